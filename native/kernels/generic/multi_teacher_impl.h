// Fused multi-teacher KL, generic over V: q = sum_k w_k softmax(t_k / T), loss = T^2 KL(q || p_s).
// Per row: 1. maxima; 2. sums of exp; 3. q, g = log q - log p_s, loss = T^2 sum q g,
// grad_s = T scale (p_s - q); 4. per teacher k with a gradient:
// grad_k = T scale_k w_k p_k (g - <p_k, g>). A teacher row that is fully masked contributes nothing.
#pragma once
#include <cmath>
#include <limits>

#include "../../dispatch/thread_pool.h"

#include "../kernels.h"
#include "sweep.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

template <class V>
void multi_teacher_rows(const MultiTeacherParams& p, int64_t r0, int64_t r1) {
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
    const float ms = row_max<V>(s, C);
    auto zs = sweep<V, 1>(C, [&](auto o, int64_t j, auto* acc) {
      using O = decltype(o);
      acc[0] = O::add(acc[0], O::exp(O::mul(O::sub(O::load(s + j), O::set1(ms)), O::set1(invT))));
    });
    const float logZs = std::log(zs[0]), rZs = 1.0f / zs[0];
    for (int k = 0; k < K; ++k) {
      const float* t = p.teachers[k] + i * C;
      mt[k] = row_max<V>(t, C);
      if (mt[k] == -std::numeric_limits<float>::infinity()) {
        coef[k] = 0.0f;
        rZt[k] = 0.0f;
        mt[k] = 0.0f;
        continue;
      }
      auto zt = sweep<V, 1>(C, [&](auto o, int64_t j, auto* acc) {
        using O = decltype(o);
        acc[0] = O::add(acc[0], O::exp(O::mul(O::sub(O::load(t + j), O::set1(mt[k])), O::set1(invT))));
      });
      rZt[k] = 1.0f / zt[0];
      coef[k] = static_cast<float>(p.weights[k]) * rZt[k];
    }
    bool live = false;
    for (int k = 0; k < K; ++k) live |= coef[k] != 0.0f;
    if (!live) {  // q = 0 everywhere (every teacher fully masked or weighted 0): loss 0, gradients 0
      p.row_loss[i] = 0.0f;
      zero_row(gs, C);
      for (int k = 0; k < K && p.grad_teachers; ++k) zero_row(p.grad_teachers[k] ? p.grad_teachers[k] + i * C : nullptr, C);
      continue;
    }
    // 3.
    const float ks = gs ? static_cast<float>(p.temperature * p.student_grad_scale) : 0.0f;
    auto l = sweep<V, 1>(C, [&](auto o, int64_t j, auto* acc) {
      using O = decltype(o);
      auto q = O::zero();
      for (int k = 0; k < K; ++k) {
        if (coef[k] == 0.0f) continue;
        const auto a = O::mul(O::sub(O::load(p.teachers[k] + i * C + j), O::set1(mt[k])), O::set1(invT));
        q = O::fma(O::exp(a), O::set1(coef[k]), q);
      }
      const auto b = O::mul(O::sub(O::load(s + j), O::set1(ms)), O::set1(invT));
      const auto gv = O::sub(O::log(q), O::sub(b, O::set1(logZs)));
      acc[0] = O::add(acc[0], O::pos_or_zero(q, O::mul(q, gv)));
      if (gs) O::store(gs + j, O::mul(O::sub(O::mul(O::exp(b), O::set1(rZs)), q), O::set1(ks)));
      if (any_tgrad) O::store(gbuf + j, gv);
    });
    p.row_loss[i] = static_cast<float>(T2 * l[0]);
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
      auto dot = sweep<V, 1>(C, [&](auto o, int64_t j, auto* acc) {
        using O = decltype(o);
        const auto e = O::exp(O::mul(O::sub(O::load(t + j), O::set1(mt[k])), O::set1(invT)));
        acc[0] = O::add(acc[0], O::pos_or_zero(e, O::mul(e, O::load(gbuf + j))));
      });
      const float dk = dot[0] * rZt[k];
      const float kk = static_cast<float>(p.temperature * p.teacher_grad_scales[k] * p.weights[k]) * rZt[k];
      sweep<V, 0>(C, [&](auto o, int64_t j, auto*) {
        using O = decltype(o);
        const auto e = O::exp(O::mul(O::sub(O::load(t + j), O::set1(mt[k])), O::set1(invT)));
        const auto d = O::sub(O::load(gbuf + j), O::set1(dk));
        O::store(gt + j, O::pos_or_zero(e, O::mul(O::mul(e, O::set1(kk)), d)));
      });
    }
  }
  (void)T;
}

}  // namespace
}  // namespace simd
}  // namespace kd
