// Fused softmax-KL (forward-kl / reverse-kl / jsd), generic over the ISA vector type V.
// Per row, over an L1/L2-resident row: 1. maxima; 2. sums of exp; 3. loss (+ the gradient that
// does not need the row's divergence); 4. the gradient that does (teacher for forward-kl, student
// for reverse-kl, both for jsd). a = (t - max t)/T, b = (s - max s)/T, c = log Zs - log Zt, so
// log p_t - log p_s = a - b + c. Masked teacher entries (-inf) have e_t = 0 and are zeroed by
// pos_or_zero before they can make 0 * inf.
#pragma once
#include <cmath>
#include <limits>

#include "../kernels.h"
#include "sweep.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

template <class V>
void softmax_kl_rows(const SoftmaxKLParams& p, int64_t r0, int64_t r1) {
  const int64_t C = p.cols;
  const float T = static_cast<float>(p.temperature);
  const float invT = static_cast<float>(1.0 / p.temperature);
  const double T2 = p.temperature * p.temperature;
  const float beta = static_cast<float>(p.beta);
  for (int64_t i = r0; i < r1; ++i) {
    const float* s = p.student + i * C;
    const float* t = p.teacher + i * C;
    float* gs = p.grad_student ? p.grad_student + i * C : nullptr;
    float* gt = p.grad_teacher ? p.grad_teacher + i * C : nullptr;
    if (i + 1 < r1) {
      prefetch_row<V>(s + C, C);
      prefetch_row<V>(t + C, C);
    }
    // 1. maxima
    const float ms = row_max<V>(s, C), mt = row_max<V>(t, C);
    if (mt == -std::numeric_limits<float>::infinity()) {  // fully masked teacher row
      p.row_loss[i] = 0.0f;
      zero_row(gs, C);
      zero_row(gt, C);
      continue;
    }
    // 2. Zs = sum exp(b), Zt = sum exp(a)
    auto z = sweep<V, 2>(C, [&](auto o, int64_t j, auto* acc) {
      using O = decltype(o);
      const auto b = O::mul(O::sub(O::load(s + j), O::set1(ms)), O::set1(invT));
      const auto a = O::mul(O::sub(O::load(t + j), O::set1(mt)), O::set1(invT));
      acc[0] = O::add(acc[0], O::exp(b));
      acc[1] = O::add(acc[1], O::exp(a));
    });
    const float Zs = z[0], Zt = z[1];
    const float logZs = std::log(Zs), logZt = std::log(Zt);
    const float c = logZs - logZt;
    const float rZs = 1.0f / Zs, rZt = 1.0f / Zt;

    if (p.divergence == Divergence::ForwardKL) {
      // 3. acc = sum e_t (a - b + c); grad_s = T scale (p_s - p_t)
      const float ks = gs ? static_cast<float>(p.temperature * p.student_grad_scale) : 0.0f;
      auto l = sweep<V, 1>(C, [&](auto o, int64_t j, auto* acc) {
        using O = decltype(o);
        const auto b = O::mul(O::sub(O::load(s + j), O::set1(ms)), O::set1(invT));
        const auto a = O::mul(O::sub(O::load(t + j), O::set1(mt)), O::set1(invT));
        const auto es = O::exp(b), et = O::exp(a);
        const auto d = O::add(O::sub(a, b), O::set1(c));
        acc[0] = O::add(acc[0], O::pos_or_zero(et, O::mul(et, d)));
        if (gs) {
          const auto g = O::sub(O::mul(es, O::set1(ks * rZs)), O::mul(et, O::set1(ks * rZt)));
          O::store(gs + j, g);
        }
      });
      const float kl = l[0] * rZt;
      p.row_loss[i] = static_cast<float>(T2 * kl);
      if (gt) {
        // 4. grad_t = T scale p_t (log p_t - log p_s - KL)
        const float kt = static_cast<float>(p.temperature * p.teacher_grad_scale) * rZt;
        sweep<V, 0>(C, [&](auto o, int64_t j, auto*) {
          using O = decltype(o);
          const auto b = O::mul(O::sub(O::load(s + j), O::set1(ms)), O::set1(invT));
          const auto a = O::mul(O::sub(O::load(t + j), O::set1(mt)), O::set1(invT));
          const auto et = O::exp(a);
          const auto d = O::add(O::sub(a, b), O::set1(c - kl));
          O::store(gt + j, O::pos_or_zero(et, O::mul(et, O::mul(d, O::set1(kt)))));
        });
      }
    } else if (p.divergence == Divergence::ReverseKL) {
      // 3. acc = sum e_s (b - a - c); masked = number of masked teacher classes (the student, with
      //    finite logits, has mass on each of them, even where p_s underflows: KL = +inf).
      auto l = sweep<V, 2>(C, [&](auto o, int64_t j, auto* acc) {
        using O = decltype(o);
        const auto tv = O::load(t + j);
        const auto b = O::mul(O::sub(O::load(s + j), O::set1(ms)), O::set1(invT));
        const auto a = O::mul(O::sub(tv, O::set1(mt)), O::set1(invT));
        const auto es = O::exp(b);
        const auto d = O::sub(O::sub(b, a), O::set1(c));
        acc[0] = O::add(acc[0], O::pos_or_zero(es, O::mul(es, d)));
        acc[1] = O::add(acc[1], O::is_neg_inf(tv));
      });
      const float kl = l[0] * rZs;
      p.row_loss[i] = static_cast<float>(T2 * kl);
      if (l[1] > 0.0f || !std::isfinite(kl)) {  // masked teacher class: +inf, no gradient
        p.row_loss[i] = std::numeric_limits<float>::infinity();
        zero_row(gs, C);
        zero_row(gt, C);
        continue;
      }
      if (gs || gt) {
        // 4. grad_s = T scale p_s (log p_s - log p_t - KL); grad_t = T scale (p_t - p_s)
        const float ks = gs ? static_cast<float>(p.temperature * p.student_grad_scale) * rZs : 0.0f;
        const float kt = gt ? static_cast<float>(p.temperature * p.teacher_grad_scale) : 0.0f;
        sweep<V, 0>(C, [&](auto o, int64_t j, auto*) {
          using O = decltype(o);
          const auto b = O::mul(O::sub(O::load(s + j), O::set1(ms)), O::set1(invT));
          const auto a = O::mul(O::sub(O::load(t + j), O::set1(mt)), O::set1(invT));
          const auto es = O::exp(b);
          if (gs) {
            const auto d = O::sub(O::sub(b, a), O::set1(c + kl));
            O::store(gs + j, O::pos_or_zero(es, O::mul(es, O::mul(d, O::set1(ks)))));
          }
          if (gt) {
            const auto et = O::exp(a);
            O::store(gt + j, O::sub(O::mul(et, O::set1(kt * rZt)), O::mul(es, O::set1(kt * rZs))));
          }
        });
      }
    } else {
      // JSD. 3. K1 = KL(p_t || m), K2 = KL(p_s || m); zero-coefficient terms are skipped.
      const bool use1 = beta != 0.0f, use2 = beta != 1.0f;
      auto lp = [&](auto o, int64_t j, auto& pt, auto& ps, auto& lpt, auto& lps, auto& lm) {
        using O = decltype(o);
        const auto b = O::mul(O::sub(O::load(s + j), O::set1(ms)), O::set1(invT));
        const auto a = O::mul(O::sub(O::load(t + j), O::set1(mt)), O::set1(invT));
        pt = O::mul(O::exp(a), O::set1(rZt));
        ps = O::mul(O::exp(b), O::set1(rZs));
        lpt = O::sub(a, O::set1(logZt));
        lps = O::sub(b, O::set1(logZs));
        // m = p_s exactly at beta 0 and p_t exactly at beta 1 (loss and gradients exactly 0).
        lm = beta == 0.0f ? lps : beta == 1.0f ? lpt : O::log(O::fma(pt, O::set1(beta), O::mul(ps, O::set1(1.0f - beta))));
      };
      auto l = sweep<V, 2>(C, [&](auto o, int64_t j, auto* acc) {
        using O = decltype(o);
        typename O::R pt, ps, lpt, lps, lm;
        lp(o, j, pt, ps, lpt, lps, lm);
        if (use1) acc[0] = O::add(acc[0], O::pos_or_zero(pt, O::mul(pt, O::sub(lpt, lm))));
        if (use2) acc[1] = O::add(acc[1], O::pos_or_zero(ps, O::mul(ps, O::sub(lps, lm))));
      });
      const float K1 = use1 ? l[0] : 0.0f, K2 = use2 ? l[1] : 0.0f;
      p.row_loss[i] = static_cast<float>(T2 * ((use1 ? p.beta * K1 : 0.0) + (use2 ? (1.0 - p.beta) * K2 : 0.0)));
      // 4. grad_s = T scale (1 - beta) p_s (log p_s - log m - K2); grad_t likewise with beta, K1.
      const float ks = static_cast<float>(p.temperature * p.student_grad_scale * (1.0 - p.beta));
      const float kt = static_cast<float>(p.temperature * p.teacher_grad_scale * p.beta);
      if (gs && !use2) zero_row(gs, C);
      if (gt && !use1) zero_row(gt, C);
      float* gs2 = use2 ? gs : nullptr;
      float* gt2 = use1 ? gt : nullptr;
      if (gs2 || gt2) {
        sweep<V, 0>(C, [&](auto o, int64_t j, auto*) {
          using O = decltype(o);
          typename O::R pt, ps, lpt, lps, lm;
          lp(o, j, pt, ps, lpt, lps, lm);
          if (gs2)
            O::store(gs2 + j, O::pos_or_zero(ps, O::mul(O::mul(ps, O::set1(ks)), O::sub(O::sub(lps, lm), O::set1(K2)))));
          if (gt2)
            O::store(gt2 + j, O::pos_or_zero(pt, O::mul(O::mul(pt, O::set1(kt)), O::sub(O::sub(lpt, lm), O::set1(K1)))));
        });
      }
    }
  }
}

}  // namespace
}  // namespace simd
}  // namespace kd
