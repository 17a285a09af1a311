// Fused softmax-KL (forward-kl / reverse-kl / jsd), generic over the ISA vector type V.
// Per row, over an L1/L2-resident row: 1. maxima; 2. sums of exp; 3. loss (+ the gradient that
// does not need the row's divergence); 4. the gradient that does (teacher for forward-kl, student
// for reverse-kl, both for jsd). a = (t - max t)/T, b = (s - max s)/T, c = log Zs - log Zt, so
// log p_t - log p_s = a - b + c. Forward and reverse KL keep a and b in log2 units (a log2 e, the
// scale folded into one multiply, exps by exp2_flush) and convert the sums by ln 2 once per row. Masked teacher entries (-inf) have e_t = 0 and are zeroed by
// pos_or_zero before they can make 0 * inf. A row whose loss comes out non-finite (a NaN or +inf
// logit, a float32 overflow of (x - max) / T, reverse-kl's masked class under student mass) is
// computed again by the scalar variant (see kernels.h).
#pragma once
#include <cmath>
#include <limits>

#include "../../dispatch/thread_pool.h"
#include "../kernels.h"
#include "sweep.h"
#include "vmath.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

// A fully masked teacher row: loss 0 and zero gradients (no scalar pass: padding rows stay cheap),
// unless the row holds a NaN or +inf (the row max skips NaN), which the scalar variant makes NaN.
inline void softmax_kl_masked_row(const SoftmaxKLParams& p, int64_t i) {
  const int64_t C = p.cols;
  if (has_nan_or_posinf(p.student + i * C, C) || has_nan_or_posinf(p.teacher + i * C, C))
    return kd_softmax_kl_scalar(p, i, i + 1);
  p.row_loss[i] = 0.0f;
  zero_row(p.grad_student ? p.grad_student + i * C : nullptr, C);
  zero_row(p.grad_teacher ? p.grad_teacher + i * C : nullptr, C);
}

// Forward KL over short rows, N rows at a time (see narrow_cols in sweep.h): same steps as the
// row path, vertically.
template <class V>
void softmax_kl_fkl_narrow(const SoftmaxKLParams& p, int64_t r0, int64_t r1) {
  using R = typename V::R;
  constexpr int N = V::N;
  const int64_t C = p.cols;
  const float ninf = -std::numeric_limits<float>::infinity();
  const double T2 = p.temperature * p.temperature;
  const R vk = V::set1(static_cast<float>(kLog2e / p.temperature)), vln2 = V::set1(kLn2);
  float* S = scratch_of<float>(6, static_cast<size_t>(4 * C * N));
  float* Tt = S + C * N;
  float* ES = Tt + C * N;
  float* ET = ES + C * N;
  float* gs0 = p.grad_student;
  float* gt0 = p.grad_teacher;
  const float ks = gs0 ? static_cast<float>(p.temperature * p.student_grad_scale) : 0.0f;
  const float kt = gt0 ? static_cast<float>(p.temperature * p.teacher_grad_scale) : 0.0f;
  for (int64_t i0 = r0; i0 < r1; i0 += N) {
    const int64_t nb = r1 - i0 < N ? r1 - i0 : N;
    gather_block<V>(p.student + i0 * C, C, nb, S);
    gather_block<V>(p.teacher + i0 * C, C, nb, Tt);
    R ms = V::set1(ninf), mt = V::set1(ninf);
    for (int64_t j = 0; j < C; ++j) {
      ms = V::max(ms, V::load(S + j * N));
      mt = V::max(mt, V::load(Tt + j * N));
    }
    R Zs = V::zero(), Zt = V::zero(), D = V::zero();
    for (int64_t j = 0; j < C; ++j) {
      const R b = V::mul(V::sub(V::load(S + j * N), ms), vk);
      const R a = V::mul(V::sub(V::load(Tt + j * N), mt), vk);
      const R es = exp2_flush<V>(b), et = exp2_flush<V>(a);
      Zs = V::add(Zs, es);
      Zt = V::add(Zt, et);
      D = V::fma(et, V::pos_or_zero(et, V::sub(a, b)), D);
      V::store(ES + j * N, es);
      V::store(ET + j * N, et);
    }
    const auto live = V::lt(V::set1(ninf), mt);  // not a fully masked teacher row
    const R rZs = V::div(V::set1(1.0f), Zs), rZt = V::div(V::set1(1.0f), Zt);
    const R c = V::sub(vlog<V>(Zs), vlog<V>(Zt));
    // A fully masked teacher row gets a NaN here: it goes to the scalar variant below.
    const R kl = V::select(live, V::fma(V::mul(D, vln2), rZt, c), V::set1(std::numeric_limits<float>::quiet_NaN()));
    float klv[N];
    V::store(klv, kl);
    for (int64_t l = 0; l < nb; ++l) p.row_loss[i0 + l] = static_cast<float>(T2 * klv[l]);
    if (gs0) {
      const R vks = V::mul(V::set1(ks), rZs), vkt = V::mul(V::set1(ks), rZt);
      for (int64_t j = 0; j < C; ++j) {
        const R g = V::sub(V::mul(V::load(ES + j * N), vks), V::mul(V::load(ET + j * N), vkt));
        V::store(ES + j * N, V::select(live, g, V::zero()));
      }
      scatter_block<V>(ES, C, nb, gs0 + i0 * C);
    }
    if (gt0) {
      // log p_t - log p_s - KL = ln 2 (a - b - D / Zt) in log2 units (exactly 0 for a one-hot p_t)
      const R vkt = V::mul(V::mul(V::set1(kt), rZt), vln2), vd = V::neg(V::mul(D, rZt));
      for (int64_t j = 0; j < C; ++j) {
        const R b = V::mul(V::sub(V::load(S + j * N), ms), vk);
        const R a = V::mul(V::sub(V::load(Tt + j * N), mt), vk);
        const R et = V::load(ET + j * N);
        const R g = V::pos_or_zero(et, V::mul(et, V::mul(V::add(V::sub(a, b), vd), vkt)));
        V::store(ET + j * N, V::select(live, g, V::zero()));
      }
      scatter_block<V>(ET, C, nb, gt0 + i0 * C);
    }
    for (int64_t i = i0; i < i0 + nb; ++i)
      if (!std::isfinite(p.row_loss[i])) kd_softmax_kl_scalar(p, i, i + 1);
  }
}

// Forward KL over a long row (cols >= kFklBlockedCols), in blocks of kFklBlock columns: per block
// the maxima, then e_s, e_t relative to the block maxima (kept, as in the row path), the block sums
// and D_b = sum e_t (a_b - b_b); the blocks are then combined with the factors exp((m_b - m) / T),
// so each element is read from memory once for pass 1-2 while its block is in L1.
constexpr int64_t kFklBlock = 2048;
constexpr int64_t kFklBlockedCols = 4 * kFklBlock;

template <class V>
void softmax_kl_fkl_row_blocked(const SoftmaxKLParams& p, int64_t i, bool last_row, float* scr_t) {
  using R = typename V::R;
  const int64_t C = p.cols;
  const float ninf = -std::numeric_limits<float>::infinity();
  const float invT = static_cast<float>(1.0 / p.temperature);
  const double T2 = p.temperature * p.temperature;
  const float* s = p.student + i * C;
  const float* t = p.teacher + i * C;
  float* gs = p.grad_student ? p.grad_student + i * C : nullptr;
  float* gt = p.grad_teacher ? p.grad_teacher + i * C : nullptr;
  float* esb = gs;
  float* etb = gt ? gt : scr_t;
  const int64_t nblk = (C + kFklBlock - 1) / kFklBlock;
  float* st = scratch_of<float>(7, static_cast<size_t>(8 * nblk));  // per block: ms, mt, Zs, Zt, D, fs, ft
  const R vk = V::set1(static_cast<float>(kLog2e / p.temperature));
  R tes = V::zero(), tet = V::zero();  // the last block's tail
  for (int64_t bk = 0; bk < nblk; ++bk) {
    const int64_t j0 = bk * kFklBlock, n = C - j0 < kFklBlock ? C - j0 : kFklBlock;
    const bool pf = !(last_row && bk + 1 == nblk);
    const float* ps = s + j0 + n;  // the next block (of this row or the next one)
    const float* pt = t + j0 + n;
    const float msb = row_max_v<V>(s + j0, n), mtb_raw = row_max_v<V>(t + j0, n);
    const bool live = mtb_raw != ninf;
    const float mtb = live ? mtb_raw : 0.0f;  // a dead block: a = -inf, e_t = 0
    const R vms = V::set1(msb), vmt = V::set1(mtb);
    auto z = sweep_v<V, 3>(n, [&](auto L, int64_t j, R* acc) {
      if (pf) {
        __builtin_prefetch(ps + j, 0, 3);
        __builtin_prefetch(pt + j, 0, 3);
        if (esb) __builtin_prefetch(esb + j0 + n + j, 1, 3);  // its e_s stores' lines (no demand RFO)
      }
      const R b = V::mul(V::sub(L.ld(s + j0 + j, msb), vms), vk);
      const R a = V::mul(V::sub(L.ld(t + j0 + j, mtb), vmt), vk);
      const R es = exp2_flush<V>(b), et = exp2_flush<V>(a);
      acc[0] = V::add(acc[0], L.keep(es));
      acc[1] = V::add(acc[1], L.keep(et));
      acc[2] = V::fma(et, L.keep(V::pos_or_zero(et, V::sub(a, b))), acc[2]);
      if (esb) L.put(esb + j0 + j, tes, es);
      L.put(etb + j0 + j, tet, et);
    });
    float* sb = st + 8 * bk;
    sb[0] = msb, sb[1] = live ? mtb : ninf, sb[2] = z[0], sb[3] = z[1], sb[4] = z[2] * kLn2;
  }
  float ms = ninf, mt = ninf;
  for (int64_t bk = 0; bk < nblk; ++bk) {
    ms = st[8 * bk] > ms ? st[8 * bk] : ms;
    mt = st[8 * bk + 1] > mt ? st[8 * bk + 1] : mt;
  }
  if (mt == ninf) return softmax_kl_masked_row(p, i);

  double Zs = 0, Zt = 0, D = 0;
  for (int64_t bk = 0; bk < nblk; ++bk) {
    float* sb = st + 8 * bk;
    const bool live = sb[1] != ninf;
    sb[5] = std::exp((sb[0] - ms) * invT);
    sb[6] = live ? std::exp((sb[1] - mt) * invT) : 0.0f;
    sb[7] = live ? ((sb[1] - mt) - (sb[0] - ms)) * invT : 0.0f;  // (a - b) - (a_b - b_b)
    Zs += static_cast<double>(sb[5]) * sb[2];
    if (live) {
      Zt += static_cast<double>(sb[6]) * sb[3];
      D += static_cast<double>(sb[6]) * (static_cast<double>(sb[4]) + static_cast<double>(sb[3]) * sb[7]);
    }
  }
  const float c = static_cast<float>(std::log(Zs) - std::log(Zt));
  const float kl = static_cast<float>(D / Zt) + c;
  p.row_loss[i] = static_cast<float>(T2 * kl);
  if (!std::isfinite(p.row_loss[i])) return kd_softmax_kl_scalar(p, i, i + 1);
  if (!gs && !gt) return;
  const float rZs = static_cast<float>(1.0 / Zs), rZt = static_cast<float>(1.0 / Zt);
  const float ks = gs ? static_cast<float>(p.temperature * p.student_grad_scale) : 0.0f;
  const float kt = gt ? static_cast<float>(p.temperature * p.teacher_grad_scale) * rZt : 0.0f;
  for (int64_t bk = 0; bk < nblk; ++bk) {
    const int64_t j0 = bk * kFklBlock, n = C - j0 < kFklBlock ? C - j0 : kFklBlock;
    const float* sb = st + 8 * bk;
    const R vks = V::set1(ks * rZs * sb[5]), vnkt = V::set1(-ks * rZt * sb[6]), vft = V::set1(sb[6]);
    const float msb = sb[0], mtb = sb[1] != ninf ? sb[1] : 0.0f;
    const R vms = V::set1(msb), vmt = V::set1(mtb), vkt2 = V::set1(kt * kLn2);
    const R vd = V::set1(static_cast<float>((sb[7] + c - kl) * kLog2e));  // log2 units
    sweep_v<V, 0>(n, [&](auto L, int64_t j, R*) {
      const R et = L.get(etb + j0 + j, tet);
      if (gs) L.st(gs + j0 + j, V::fma(et, vnkt, V::mul(L.get(gs + j0 + j, tes), vks)));
      if (gt) {
        const R b = V::mul(V::sub(L.ld(s + j0 + j, msb), vms), vk);
        const R a = V::mul(V::sub(L.ld(t + j0 + j, mtb), vmt), vk);
        const R etg = V::mul(et, vft);
        const R d = V::add(V::sub(a, b), vd);
        L.st(gt + j0 + j, V::pos_or_zero(etg, V::mul(etg, V::mul(d, vkt2))));
      }
    });
  }
}

template <class V>
void softmax_kl(const SoftmaxKLParams& p, int64_t r0, int64_t r1) {
  if (p.divergence == Divergence::ForwardKL && narrow_cols<V>(p.cols)) return softmax_kl_fkl_narrow<V>(p, r0, r1);
  using R = typename V::R;
  const int64_t C = p.cols;
  const float invT = static_cast<float>(1.0 / p.temperature);
  const double T2 = p.temperature * p.temperature;
  const float beta = static_cast<float>(p.beta);
  const bool fkl = p.divergence == Divergence::ForwardKL, rkl = p.divergence == Divergence::ReverseKL;
  // Pass 2 keeps e_s and e_t for pass 3 (2 exps per element, not 4): in the gradient rows when
  // they are wanted, else in per-thread scratch rows.
  float* scr_s = (rkl && !p.grad_student && p.grad_teacher) ? scratch_of<float>(4, static_cast<size_t>(C)) : nullptr;
  float* scr_t = (fkl && !p.grad_teacher && p.grad_student) ? scratch_of<float>(5, static_cast<size_t>(C)) : nullptr;
  if (fkl && C >= kFklBlockedCols) {
    float* scr = p.grad_teacher ? nullptr : scratch_of<float>(5, static_cast<size_t>(C));
    for (int64_t i = r0; i < r1; ++i) softmax_kl_fkl_row_blocked<V>(p, i, i + 1 == r1, scr);
    return;
  }
  for (int64_t i = r0; i < r1; ++i) {
    const float* s = p.student + i * C;
    const float* t = p.teacher + i * C;
    float* gs = p.grad_student ? p.grad_student + i * C : nullptr;
    float* gt = p.grad_teacher ? p.grad_teacher + i * C : nullptr;
    // The next row is prefetched during pass 2 (one line per vector, spread over the compute),
    // so pass 1 of the next row finds it in cache.
    const float* ns = (i + 1 < r1 && C >= 256) ? s + C : nullptr;
    const float* nt = t + C;
    // 1. maxima
    const float ms = row_max_v<V>(s, C), mt = row_max_v<V>(t, C);
    if (mt == -std::numeric_limits<float>::infinity()) {
      softmax_kl_masked_row(p, i);
      continue;
    }
    const R vms = V::set1(ms), vmt = V::set1(mt);

    if (fkl || rkl) {
      const R vk = V::set1(static_cast<float>(kLog2e / p.temperature));
      // 2. Zs = sum e_s, Zt = sum e_t, D = sum e_t (a - b) (forward) or sum e_s (b - a) (reverse),
      //    M = number of masked teacher classes where the student logit is not -inf (reverse);
      //    e_s, e_t kept for pass 3.
      float* esb = fkl ? gs : (gs ? gs : scr_s);
      float* etb = fkl ? (gt ? gt : scr_t) : gt;
      R tes = V::zero(), tet = V::zero();  // the tail's e_s, e_t
      auto z = sweep_v<V, 4>(C, [&](auto L, int64_t j, R* acc) {
        if (ns) {
          __builtin_prefetch(ns + j, 0, 3);
          __builtin_prefetch(nt + j, 0, 3);
        }
        const R tv = L.ld(t + j, mt), sv = L.ld(s + j, ms);
        const R b = V::mul(V::sub(sv, vms), vk);
        const R a = V::mul(V::sub(tv, vmt), vk);
        const R es = exp2_flush<V>(b), et = exp2_flush<V>(a);
        acc[0] = V::add(acc[0], L.keep(es));
        acc[1] = V::add(acc[1], L.keep(et));
        if (fkl) {
          acc[2] = V::fma(et, L.keep(V::pos_or_zero(et, V::sub(a, b))), acc[2]);
        } else {
          acc[2] = V::fma(es, L.keep(V::pos_or_zero(es, V::sub(b, a))), acc[2]);
          acc[3] = V::add(acc[3], L.keep(V::mul(V::is_neg_inf(tv), V::sub(V::set1(1.0f), V::is_neg_inf(sv)))));
        }
        if (esb) L.put(esb + j, tes, es);
        if (etb) L.put(etb + j, tet, et);
      });
      const float Zs = z[0], Zt = z[1], D = z[2] * kLn2;
      const float rZs = 1.0f / Zs, rZt = 1.0f / Zt;
      const float c = std::log(Zs) - std::log(Zt);  // log Zs - log Zt
      if (fkl) {
        const float kl = D * rZt + c;
        p.row_loss[i] = static_cast<float>(T2 * kl);
        if (!std::isfinite(p.row_loss[i])) {
          kd_softmax_kl_scalar(p, i, i + 1);
          continue;
        }
        if (!gs && !gt) continue;
        // 3. grad_s = T scale (p_s - p_t); grad_t = T scale p_t (log p_t - log p_s - KL)
        const float ks = gs ? static_cast<float>(p.temperature * p.student_grad_scale) : 0.0f;
        const float kt = gt ? static_cast<float>(p.temperature * p.teacher_grad_scale) * rZt : 0.0f;
        // log p_t - log p_s - KL = ln 2 (a - b - D / Zt) in log2 units (exactly 0 for a one-hot p_t)
        const R vks = V::set1(ks * rZs), vnkt = V::set1(-ks * rZt), vkt2 = V::set1(kt * kLn2), vd = V::set1(-(z[2] * rZt));
        sweep_v<V, 0>(C, [&](auto L, int64_t j, R*) {
          const R et = L.get(etb + j, tet);
          if (gs) L.st(gs + j, V::fma(et, vnkt, V::mul(L.get(gs + j, tes), vks)));
          if (gt) {
            const R b = V::mul(V::sub(L.ld(s + j, ms), vms), vk);
            const R a = V::mul(V::sub(L.ld(t + j, mt), vmt), vk);
            const R d = V::add(V::sub(a, b), vd);
            L.st(gt + j, V::pos_or_zero(et, V::mul(et, V::mul(d, vkt2))));
          }
        });
      } else {
        const float kl = D * rZs - c;
        p.row_loss[i] = static_cast<float>(T2 * kl);
        if (z[3] > 0.0f || !std::isfinite(p.row_loss[i])) {  // incl. a masked class under student mass
          kd_softmax_kl_scalar(p, i, i + 1);
          continue;
        }
        if (!gs && !gt) continue;
        // 3. grad_s = T scale p_s (log p_s - log p_t - KL); grad_t = T scale (p_t - p_s)
        const float ks = gs ? static_cast<float>(p.temperature * p.student_grad_scale) * rZs : 0.0f;
        const float kt = gt ? static_cast<float>(p.temperature * p.teacher_grad_scale) : 0.0f;
        // log p_s - log p_t - KL = ln 2 (b - a - D / Zs) in log2 units
        const R vks = V::set1(ks * kLn2), vnd = V::set1(-(z[2] * rZs)), vkt = V::set1(kt * rZt), vnks2 = V::set1(-kt * rZs);
        sweep_v<V, 0>(C, [&](auto L, int64_t j, R*) {
          const R es = L.get(esb + j, tes);
          if (gt) L.st(gt + j, V::fma(es, vnks2, V::mul(L.get(gt + j, tet), vkt)));
          if (gs) {
            const R b = V::mul(V::sub(L.ld(s + j, ms), vms), vk);
            const R a = V::mul(V::sub(L.ld(t + j, mt), vmt), vk);
            const R d = V::add(V::sub(b, a), vnd);
            L.st(gs + j, V::pos_or_zero(es, V::mul(es, V::mul(d, vks))));
          }
        });
      }
    } else {
      // JSD. 2. sums of exp; 3. K1 = KL(p_t || m), K2 = KL(p_s || m); zero-coefficient terms skipped.
      const R vinvT = V::set1(invT);
      auto z = sweep_v<V, 2>(C, [&](auto L, int64_t j, R* acc) {
        const R b = V::mul(V::sub(L.ld(s + j, ms), vms), vinvT);
        const R a = V::mul(V::sub(L.ld(t + j, mt), vmt), vinvT);
        acc[0] = V::add(acc[0], L.keep(exp_flush<V>(b)));
        acc[1] = V::add(acc[1], L.keep(exp_flush<V>(a)));
      });
      const float Zs = z[0], Zt = z[1];
      const float logZs = std::log(Zs), logZt = std::log(Zt);
      const float rZs = 1.0f / Zs, rZt = 1.0f / Zt;
      const bool use1 = beta != 0.0f, use2 = beta != 1.0f;
      auto lp = [&](auto L, int64_t j, R& pt, R& ps, R& lpt, R& lps, R& lm) {
        const R b = V::mul(V::sub(L.ld(s + j, ms), vms), vinvT);
        const R a = V::mul(V::sub(L.ld(t + j, mt), vmt), vinvT);
        pt = V::mul(exp_flush<V>(a), V::set1(rZt));
        ps = V::mul(exp_flush<V>(b), V::set1(rZs));
        lpt = V::sub(a, V::set1(logZt));
        lps = V::sub(b, V::set1(logZs));
        // m = p_s exactly at beta 0 and p_t exactly at beta 1 (loss and gradients exactly 0).
        lm = beta == 0.0f ? lps : beta == 1.0f ? lpt : vlog<V>(V::fma(pt, V::set1(beta), V::mul(ps, V::set1(1.0f - beta))));
      };
      auto l = sweep_v<V, 2>(C, [&](auto L, int64_t j, R* acc) {
        R pt, ps, lpt, lps, lm;
        lp(L, j, pt, ps, lpt, lps, lm);
        if (use1) acc[0] = V::add(acc[0], L.keep(V::pos_or_zero(pt, V::mul(pt, V::sub(lpt, lm)))));
        if (use2) acc[1] = V::add(acc[1], L.keep(V::pos_or_zero(ps, V::mul(ps, V::sub(lps, lm)))));
      });
      const float K1 = use1 ? l[0] : 0.0f, K2 = use2 ? l[1] : 0.0f;
      p.row_loss[i] = static_cast<float>(T2 * ((use1 ? p.beta * K1 : 0.0) + (use2 ? (1.0 - p.beta) * K2 : 0.0)));
      if (!std::isfinite(p.row_loss[i]) || !std::isfinite(Zs + Zt)) {
        kd_softmax_kl_scalar(p, i, i + 1);
        continue;
      }
      // 4. grad_s = T scale (1 - beta) p_s (log p_s - log m - K2); grad_t likewise with beta, K1.
      const float ks = static_cast<float>(p.temperature * p.student_grad_scale * (1.0 - p.beta));
      const float kt = static_cast<float>(p.temperature * p.teacher_grad_scale * p.beta);
      if (gs && !use2) zero_row(gs, C);
      if (gt && !use1) zero_row(gt, C);
      float* gs2 = use2 ? gs : nullptr;
      float* gt2 = use1 ? gt : nullptr;
      if (gs2 || gt2) {
        sweep_v<V, 0>(C, [&](auto L, int64_t j, R*) {
          R pt, ps, lpt, lps, lm;
          lp(L, j, pt, ps, lpt, lps, lm);
          if (gs2) L.st(gs2 + j, V::pos_or_zero(ps, V::mul(V::mul(ps, V::set1(ks)), V::sub(V::sub(lps, lm), V::set1(K2)))));
          if (gt2) L.st(gt2 + j, V::pos_or_zero(pt, V::mul(V::mul(pt, V::set1(kt)), V::sub(V::sub(lpt, lm), V::set1(K1)))));
        });
      }
    }
  }
}

}  // namespace
}  // namespace simd
}  // namespace kd
