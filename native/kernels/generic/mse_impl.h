// MSE pieces over [i0, i1), generic over V: returns sum (a - b)^2 (float32 lanes, fixed order) and
// writes grad_a = 2 a_scale (a - b), grad_b = 2 b_scale (b - a).
#pragma once
#include "../kernels.h"
#include "sweep.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

template <class V>
double mse(const MseParams& p, int64_t i0, int64_t i1) {
  const float* a = p.a + i0;
  const float* b = p.b + i0;
  float* ga = p.grad_a ? p.grad_a + i0 : nullptr;
  float* gb = p.grad_b ? p.grad_b + i0 : nullptr;
  const float ka = static_cast<float>(2.0 * p.a_grad_scale), kb = static_cast<float>(-2.0 * p.b_grad_scale);
  auto r = sweep<V, 1>(i1 - i0, [&](auto o, int64_t j, auto* acc) {
    using O = decltype(o);
    const auto d = O::sub(O::load(a + j), O::load(b + j));
    acc[0] = O::fma(d, d, acc[0]);
    if (ga) O::store(ga + j, O::mul(d, O::set1(ka)));
    if (gb) O::store(gb + j, O::mul(d, O::set1(kb)));
  });
  return r[0];
}

}  // namespace
}  // namespace simd
}  // namespace kd
