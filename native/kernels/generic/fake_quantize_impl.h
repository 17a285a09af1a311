// Per-tensor affine fake quantisation over the ISA vector type V. Contract: ops.h FakeQuantizeParams.
#pragma once
#include <cstdint>

#include "../ops.h"
#include "ops_common.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

// ---- the kernels (kernel_list.h) ---------------------------------------------------------------

template <class V>
void fake_quantize(const FakeQuantizeParams& p, int64_t i0, int64_t i1) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
  const F inv = V::set1(p.inv_scale), scale = V::set1(p.scale), zp = V::set1(p.zero_point);
  const F lo = V::set1(p.qmin), hi = V::set1(p.qmax);
  const F lo_half = V::set1(p.qmin - 0.5f), hi_half = V::set1(p.qmax + 0.5f), one = V::set1(1.0f);
  for (int64_t i = i0; i < i1; i += NL) {
    const int64_t n = imin(NL, i1 - i);
    const F x = n == NL ? V::load(p.x + i) : load_n<V>(p.x + i, n);
    // 1. The level: nearest-even rounding of the float32 product (NaN stays NaN).
    const F q = V::add(V::round(V::mul(x, inv)), zp);
    // 2. In range iff q > qmin - 0.5 and q < qmax + 0.5 (false for NaN).
    const F m = V::mask_and(V::gt(q, lo_half), V::mask_and(V::lt(q, hi_half), one));
    // 3. Clamp with q as the second operand of max / min (x86 returns it when it is NaN), scale back.
    const F y = V::mul(V::sub(V::min(hi, V::max(lo, q)), zp), scale);
    if (n == NL) {
      V::store(p.mask + i, m);
      V::store(p.y + i, y);
    } else {
      store_n<V>(p.mask + i, m, n);
      store_n<V>(p.y + i, y, n);
    }
  }
}

}  // namespace
}  // namespace simd
}  // namespace kd
