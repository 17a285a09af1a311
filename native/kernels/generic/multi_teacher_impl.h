// Fused multi-teacher KL, generic over V: q = sum_k w_k softmax(t_k / T), loss = T^2 KL(q || p_s).
// Per row: 1. maxima; 2. sums of exp; 3. q, g = log q - log p_s, loss = T^2 sum q g,
// grad_s = T scale (p_s - q); 4. per teacher k with a gradient:
// grad_k = T scale_k w_k p_k (g - <p_k, g>). A teacher row that is fully masked contributes
// nothing. A row whose sums or loss come out non-finite (a NaN or +inf logit, a float32 overflow),
// or with a fully masked teacher row that holds a NaN, is computed again by the scalar variant
// (see kernels.h).
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

template <class V>
void multi_teacher_kl(const MultiTeacherParams& p, int64_t r0, int64_t r1) {
  using R = typename V::R;
  const int64_t C = p.cols;
  const int K = p.k;
  const float T = static_cast<float>(p.temperature);
  const float invT = static_cast<float>(1.0 / p.temperature);
  const double T2 = p.temperature * p.temperature;
  bool any_tgrad = false;
  for (int k = 0; k < K; ++k) any_tgrad |= p.grad_teachers && p.grad_teachers[k];
  float* mt = scratch_of<float>(0, 3 * static_cast<size_t>(K));  // per-thread scratch
  float* coef = mt + K;
  float* rZt = coef + K;
  float* gbuf = any_tgrad ? scratch_of<float>(1, static_cast<size_t>(C)) : nullptr;
  for (int64_t i = r0; i < r1; ++i) {
    const float* s = p.student + i * C;
    float* gs = p.grad_student ? p.grad_student + i * C : nullptr;
    // 1-2.
    const float ms = row_max_v<V>(s, C);
    auto zs = sweep_v<V, 1>(C, [&](auto L, int64_t j, R* acc) {
      acc[0] = V::add(acc[0], L.keep(exp_flush<V>(V::mul(V::sub(L.ld(s + j, ms), V::set1(ms)), V::set1(invT)))));
    });
    const float logZs = std::log(zs[0]), rZs = 1.0f / zs[0];
    bool redo = !std::isfinite(zs[0]);  // for the scalar variant
    for (int k = 0; k < K; ++k) {
      const float* t = p.teachers[k] + i * C;
      mt[k] = row_max_v<V>(t, C);
      if (mt[k] == -std::numeric_limits<float>::infinity()) {
        redo = redo || has_nan_or_posinf(t, C);  // the row max skips NaN
        coef[k] = 0.0f;
        rZt[k] = 0.0f;
        mt[k] = 0.0f;
        continue;
      }
      const float mk = mt[k];
      auto zt = sweep_v<V, 1>(C, [&](auto L, int64_t j, R* acc) {
        acc[0] = V::add(acc[0], L.keep(exp_flush<V>(V::mul(V::sub(L.ld(t + j, mk), V::set1(mk)), V::set1(invT)))));
      });
      redo = redo || !std::isfinite(zt[0]);
      rZt[k] = 1.0f / zt[0];
      coef[k] = static_cast<float>(p.weights[k]) * rZt[k];
    }
    bool live = false;
    for (int k = 0; k < K; ++k) live |= coef[k] != 0.0f;
    if (redo) {
      kd_multi_teacher_kl_scalar(p, i, i + 1);
      continue;
    }
    if (!live) {  // q = 0 everywhere (every teacher fully masked or weighted 0): loss 0, gradients 0
      p.row_loss[i] = 0.0f;
      zero_row(gs, C);
      for (int k = 0; k < K && p.grad_teachers; ++k) zero_row(p.grad_teachers[k] ? p.grad_teachers[k] + i * C : nullptr, C);
      continue;
    }
    // 3.
    const float ks = gs ? static_cast<float>(p.temperature * p.student_grad_scale) : 0.0f;
    auto l = sweep_v<V, 1>(C, [&](auto L, int64_t j, R* acc) {
      R q = V::zero();
      for (int k = 0; k < K; ++k) {
        if (coef[k] == 0.0f) continue;
        const R a = V::mul(V::sub(L.ld(p.teachers[k] + i * C + j, mt[k]), V::set1(mt[k])), V::set1(invT));
        q = V::fma(exp_flush<V>(a), V::set1(coef[k]), q);
      }
      const R b = V::mul(V::sub(L.ld(s + j, ms), V::set1(ms)), V::set1(invT));
      const R gv = V::sub(vlog<V>(q), V::sub(b, V::set1(logZs)));
      acc[0] = V::add(acc[0], L.keep(V::pos_or_zero(q, V::mul(q, gv))));
      if (gs) L.st(gs + j, V::mul(V::sub(V::mul(exp_flush<V>(b), V::set1(rZs)), q), V::set1(ks)));
      if (any_tgrad) L.st(gbuf + j, gv);
    });
    p.row_loss[i] = static_cast<float>(T2 * l[0]);
    if (!std::isfinite(p.row_loss[i])) {
      kd_multi_teacher_kl_scalar(p, i, i + 1);
      continue;
    }
    if (!any_tgrad) continue;
    // 4.
    for (int k = 0; k < K; ++k) {
      float* gt = p.grad_teachers[k] ? p.grad_teachers[k] + i * C : nullptr;
      if (!gt) continue;
      if (coef[k] == 0.0f) {
        zero_row(gt, C);
        continue;
      }
      const float* t = p.teachers[k] + i * C;
      // e_k is kept in the gradient row between the dot product and the gradient (one exp each).
      const float mk = mt[k];
      R te = V::zero();
      auto dot = sweep_v<V, 1>(C, [&](auto L, int64_t j, R* acc) {
        const R e = exp_flush<V>(V::mul(V::sub(L.ld(t + j, mk), V::set1(mk)), V::set1(invT)));
        acc[0] = V::add(acc[0], L.keep(V::pos_or_zero(e, V::mul(e, L.ld0(gbuf + j)))));
        L.put(gt + j, te, e);
      });
      const float dk = dot[0] * rZt[k];
      const float kk = static_cast<float>(p.temperature * p.teacher_grad_scales[k] * p.weights[k]) * rZt[k];
      sweep_v<V, 0>(C, [&](auto L, int64_t j, R*) {
        const R e = L.get(gt + j, te);
        const R d = V::sub(L.ld0(gbuf + j), V::set1(dk));
        L.st(gt + j, V::pos_or_zero(e, V::mul(V::mul(e, V::set1(kk)), d)));
      });
    }
  }
  (void)T;
}

}  // namespace
}  // namespace simd
}  // namespace kd
