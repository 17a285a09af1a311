// Fused Hinton loss, generic over V: soft = T^2 KL(p_t || p_s) at T, hard = cross-entropy at T = 1,
// one read of the student row. Per row: 1. maxima (max(s/T) = max(s)/T); 2. ZsT, Zt, Z1 and,
// with smoothing, S = sum w (s - m); 3. soft loss and the combined gradient
// grad = softScale T (p_s^T - p_t) + hardScale (coef p_s^1 - (eps / C) w - [c = y] w_y (1 - eps)).
// A row with a non-finite soft or hard loss (a NaN or +inf logit, a float32 overflow), or with a
// fully masked teacher row that holds a NaN or +inf, is computed again by the scalar variant
// (see kernels.h). The exps are exp2_flush of log2-unit arguments (b = (s - m) log2 e / T, ...);
// D is converted by ln 2 once per row.
#pragma once
#include <cmath>
#include <limits>

#include "../../dispatch/thread_pool.h"
#include "../kernels.h"
#include "cross_entropy_impl.h"
#include "sweep.h"
#include "vmath.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

// The hard term's exp(d) (d = s - max s <= 0) given e = exp(d / T): for an integer T in [2, 16],
// e^T by squaring (about T ulp; T = 4 is two multiplies instead of an exp), with e zeroed first
// where exp(d) flushes (d < -87.33654, as exp_flush), so no product is subnormal; else
// exp2_flush(d log2 e). tp is hinton_int_temperature(T).
inline int hinton_int_temperature(double T) {
  return T >= 2 && T <= 16 && T == std::floor(T) ? static_cast<int>(T) : 0;
}
template <class V>
inline typename V::R hinton_exp1(typename V::R d, typename V::R e, int tp) {
  using R = typename V::R;
  if (!tp) return exp2_flush<V>(V::mul(d, V::set1(static_cast<float>(kLog2e))));
  R base = V::select(V::lt(d, V::set1(-87.33654f)), V::zero(), e), y = base;
  bool first = true;
  for (int n = tp; n; n >>= 1) {
    if (n & 1) y = first ? base : V::mul(y, base), first = false;
    if (n > 1) base = V::mul(base, base);
  }
  return y;
}

// A row for the scalar variant: a non-finite soft or hard loss, or a fully masked teacher row
// (soft term 0) holding a NaN or +inf, which the row max skips.
inline bool hinton_bad_row(const HintonParams& p, int64_t i, bool soft) {
  const int64_t C = p.cols;
  return !std::isfinite(p.soft_row[i]) || !std::isfinite(p.hard_row[i]) ||
         (!soft && (has_nan_or_posinf(p.student + i * C, C) || has_nan_or_posinf(p.teacher + i * C, C)));
}

// Hinton over short rows, N rows at a time (see narrow_cols in sweep.h): the same steps vertically;
// per-row constants per lane (zero for a lane without a soft or a hard term).
template <class V>
void hinton_narrow(const HintonParams& p, int64_t r0, int64_t r1) {
  using R = typename V::R;
  constexpr int N = V::N;
  const int64_t C = p.cols;
  const float ninf = -std::numeric_limits<float>::infinity();
  const float invT = static_cast<float>(1.0 / p.temperature);
  const double T2 = p.temperature * p.temperature;
  const float eps = static_cast<float>(p.label_smoothing);
  const double W = class_weight_sum(p.weight, C);
  const float* w = p.weight;
  const bool t1 = invT == 1.0f;
  const int tp = hinton_int_temperature(p.temperature);
  const R vk = V::set1(static_cast<float>(kLog2e / p.temperature));
  float* S = scratch_of<float>(6, static_cast<size_t>(5 * C * N));
  float* Tt = S + C * N;
  float* ES = Tt + C * N;
  float* ET = ES + C * N;
  float* E1 = t1 ? ES : ET + C * N;
  float msv[N], zsv[N], ztv[N], z1v[N], lz1v[N], sv[N], cv[N], dv[N], live_v[N];
  float ksv[N], ktv[N], k1v[N], k2v[N];
  auto redo_bad_rows = [&](int64_t i0, int64_t nb) {
    for (int64_t l = 0; l < nb; ++l)
      if (hinton_bad_row(p, i0 + l, live_v[l] != 0.0f)) kd_hinton_scalar(p, i0 + l, i0 + l + 1);
  };
  for (int64_t i0 = r0; i0 < r1; i0 += N) {
    const int64_t nb = r1 - i0 < N ? r1 - i0 : N;
    gather_block<V>(p.student + i0 * C, C, nb, S);
    gather_block<V>(p.teacher + i0 * C, C, nb, Tt);
    R ms = V::set1(ninf), mt = V::set1(ninf);
    for (int64_t j = 0; j < C; ++j) {
      ms = V::max(ms, V::load(S + j * N));
      mt = V::max(mt, V::load(Tt + j * N));
    }
    const auto live = V::lt(V::set1(ninf), mt);  // a soft term (teacher row not fully masked)
    R ZsT = V::zero(), Zt = V::zero(), Z1 = V::zero(), Sm = V::zero(), D = V::zero();
    for (int64_t j = 0; j < C; ++j) {
      const R d = V::sub(V::load(S + j * N), ms);
      const R b = V::mul(d, vk);
      const R esT = exp2_flush<V>(b);
      ZsT = V::add(ZsT, esT);
      V::store(ES + j * N, esT);
      const R a = V::mul(V::sub(V::load(Tt + j * N), mt), vk);
      const R et = V::select(live, exp2_flush<V>(a), V::zero());
      Zt = V::add(Zt, et);
      D = V::fma(et, V::pos_or_zero(et, V::sub(a, b)), D);
      V::store(ET + j * N, et);
      if (!t1) {
        const R e1 = hinton_exp1<V>(d, esT, tp);
        Z1 = V::add(Z1, e1);
        V::store(E1 + j * N, e1);
      }
      if (eps != 0.0f) Sm = w ? V::fma(V::set1(w[j]), d, Sm) : V::add(Sm, d);
    }
    if (t1) Z1 = ZsT;
    Zt = V::select(live, Zt, V::set1(1.0f));
    V::store(msv, ms);
    V::store(zsv, ZsT);
    V::store(ztv, Zt);
    V::store(z1v, Z1);
    V::store(lz1v, vlog<V>(Z1));
    V::store(sv, Sm);
    V::store(cv, V::sub(vlog<V>(ZsT), vlog<V>(Zt)));
    V::store(dv, V::mul(D, V::set1(kLn2)));
    V::store(live_v, V::select(live, V::set1(1.0f), V::zero()));
    for (int64_t l = 0; l < N; ++l) ksv[l] = ktv[l] = k1v[l] = k2v[l] = 0.0f;
    for (int64_t l = 0; l < nb; ++l) {
      const int64_t i = i0 + l;
      const int32_t y = p.labels[i];
      const bool hard = y != p.ignore_index, soft = live_v[l] != 0.0f, smooth = hard && eps != 0.0f;
      const float rZs = 1.0f / zsv[l], rZt = 1.0f / ztv[l];
      const double wy = hard ? (w ? w[y] : 1.0) : 0.0;
      if (hard) {
        const double logZ1 = lz1v[l];
        double h = wy * (1.0 - p.label_smoothing) * (logZ1 - (static_cast<double>(p.student[i * C + y]) - msv[l]));
        if (smooth) h += p.label_smoothing / C * (W * logZ1 - sv[l]);
        p.hard_row[i] = static_cast<float>(h);
      } else {
        p.hard_row[i] = 0.0f;
      }
      p.soft_row[i] = soft ? static_cast<float>(T2 * (dv[l] * rZt + cv[l])) : 0.0f;
      const float ks = soft ? static_cast<float>(p.temperature * p.soft_grad_scale) : 0.0f;
      ksv[l] = ks * rZs;
      ktv[l] = ks * rZt;
      k1v[l] = hard ? static_cast<float>(p.hard_grad_scale * (wy * (1.0 - p.label_smoothing) + p.label_smoothing * W / C) / z1v[l])
                    : 0.0f;
      k2v[l] = smooth ? static_cast<float>(p.hard_grad_scale * p.label_smoothing / C) : 0.0f;
    }
    if (!p.grad) {
      redo_bad_rows(i0, nb);
      continue;
    }
    const R vks = V::load(ksv), vkt = V::load(ktv), vk1 = V::load(k1v), vk2 = V::load(k2v);
    for (int64_t j = 0; j < C; ++j) {
      R gv = V::mul(V::load(ES + j * N), vks);
      gv = V::sub(gv, V::mul(V::load(ET + j * N), vkt));
      gv = V::fma(V::load(E1 + j * N), vk1, gv);
      if (eps != 0.0f) gv = w ? V::sub(gv, V::mul(V::set1(w[j]), vk2)) : V::sub(gv, vk2);
      V::store(S + j * N, gv);
    }
    scatter_block<V>(S, C, nb, p.grad + i0 * C);
    for (int64_t l = 0; l < nb; ++l) {
      const int64_t i = i0 + l;
      const int32_t y = p.labels[i];
      if (y == p.ignore_index) continue;
      const double wy = w ? w[y] : 1.0;
      p.grad[i * C + y] += -static_cast<float>(p.hard_grad_scale * wy * (1.0 - p.label_smoothing));
    }
    redo_bad_rows(i0, nb);
  }
}

template <class V>
void hinton(const HintonParams& p, int64_t r0, int64_t r1) {
  if (narrow_cols<V>(p.cols)) return hinton_narrow<V>(p, r0, r1);
  using R = typename V::R;
  const int64_t C = p.cols;
  const float invT = static_cast<float>(1.0 / p.temperature);
  const double T2 = p.temperature * p.temperature;
  const float eps = static_cast<float>(p.label_smoothing);
  const double W = class_weight_sum(p.weight, C);
  const float* w = p.weight;
  const bool t1 = invT == 1.0f;  // then exp(d / T) = exp(d): one student exp
  const int tp = hinton_int_temperature(p.temperature);  // then exp(d) = exp(d / T)^T
  const R vk = V::set1(static_cast<float>(kLog2e / p.temperature));
  // e_s^T goes to the gradient row, e_t and e_s^1 (T != 1) to per-thread scratch rows.
  float* et_buf = p.grad ? scratch_of<float>(4, static_cast<size_t>(C)) : nullptr;
  float* e1_buf = (p.grad && !t1) ? scratch_of<float>(5, static_cast<size_t>(C)) : nullptr;
  for (int64_t i = r0; i < r1; ++i) {
    const float* s = p.student + i * C;
    const float* t = p.teacher + i * C;
    float* g = p.grad ? p.grad + i * C : nullptr;
    const int32_t y = p.labels[i];
    const bool hard = y != p.ignore_index;
    const float* ns = (i + 1 < r1 && C >= 256) ? s + C : nullptr;  // next row, prefetched in 2
    const float* nt = t + C;
    // 1.
    const float ms = row_max_v<V>(s, C), mt = row_max_v<V>(t, C);
    const bool soft = mt != -std::numeric_limits<float>::infinity();  // else fully masked: soft 0
    const bool smooth = hard && eps != 0.0f;
    const R vms = V::set1(ms), vmt = V::set1(mt);
    R tes = V::zero(), tet = V::zero(), te1 = V::zero();  // the tail's exps
    // 2. ZsT, Zt, Z1, S and D = sum e_t (a - b); the exps are kept for 3.
    auto z = sweep_v<V, 5>(C, [&](auto L, int64_t j, R* acc) {
      if (ns) {
        __builtin_prefetch(ns + j, 0, 3);
        __builtin_prefetch(nt + j, 0, 3);
      }
      const R d = V::sub(L.ld(s + j, ms), vms);
      const R b = V::mul(d, vk);
      const R esT = exp2_flush<V>(b);
      acc[0] = V::add(acc[0], L.keep(esT));
      if (g) L.put(g + j, tes, esT);
      if (soft) {
        const R a = V::mul(V::sub(L.ld(t + j, mt), vmt), vk);
        const R et = exp2_flush<V>(a);
        acc[1] = V::add(acc[1], L.keep(et));
        acc[4] = V::fma(et, L.keep(V::pos_or_zero(et, V::sub(a, b))), acc[4]);
        if (g) L.put(et_buf + j, tet, et);
      }
      if (hard && !t1) {
        const R e1 = hinton_exp1<V>(d, esT, tp);
        acc[2] = V::add(acc[2], L.keep(e1));
        if (g) L.put(e1_buf + j, te1, e1);
      }
      if (smooth) acc[3] = w ? V::fma(L.ld0(w + j), d, acc[3]) : V::add(acc[3], L.keep(d));
    });
    const float ZsT = z[0], Zt = soft ? z[1] : 1.0f, Z1 = t1 ? z[0] : z[2], S = z[3];
    const float c = std::log(ZsT) - std::log(Zt);
    const float rZs = 1.0f / ZsT, rZt = 1.0f / Zt;
    // hard row
    const double wy = hard ? (w ? w[y] : 1.0) : 0.0;
    if (hard) {
      const double logZ1 = std::log(static_cast<double>(Z1));
      double h = wy * (1.0 - p.label_smoothing) * (logZ1 - (static_cast<double>(s[y]) - ms));
      if (smooth) h += p.label_smoothing / C * (W * logZ1 - S);
      p.hard_row[i] = static_cast<float>(h);
    } else {
      p.hard_row[i] = 0.0f;
    }
    p.soft_row[i] = soft ? static_cast<float>(T2 * (z[4] * kLn2 * rZt + c)) : 0.0f;
    if (hinton_bad_row(p, i, soft)) {
      kd_hinton_scalar(p, i, i + 1);
      continue;
    }
    if (!g) continue;
    // 3. grad = softScale T (p_s^T - p_t) + hardScale (coef p_s^1 - (eps / C) w - [c = y] ...)
    const float ks = soft ? static_cast<float>(p.temperature * p.soft_grad_scale) : 0.0f;
    const float k1 = hard
        ? static_cast<float>(p.hard_grad_scale * (wy * (1.0 - p.label_smoothing) + p.label_smoothing * W / C) / Z1)
        : 0.0f;
    const float k2 = smooth ? static_cast<float>(p.hard_grad_scale * p.label_smoothing / C) : 0.0f;
    const float gy = -static_cast<float>(p.hard_grad_scale * wy * (1.0 - p.label_smoothing));
    const R vks = V::set1(ks * rZs), vkt = V::set1(ks * rZt), vk1 = V::set1(k1), vk2 = V::set1(k2);
    sweep_v<V, 0>(C, [&](auto L, int64_t j, R*) {
      const R esT = L.get(g + j, tes);
      R gv = V::mul(esT, vks);
      if (soft) gv = V::sub(gv, V::mul(L.get(et_buf + j, tet), vkt));
      if (hard) gv = V::fma(t1 ? esT : L.get(e1_buf + j, te1), vk1, gv);
      if (smooth) gv = w ? V::sub(gv, V::mul(L.ld0(w + j), vk2)) : V::sub(gv, vk2);
      L.st(g + j, hard ? L.add_at(gv, y - j, gy) : gv);
    });
  }
}

}  // namespace
}  // namespace simd
}  // namespace kd
