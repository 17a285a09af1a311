// Dropout with the shared counter-based RNG (src/kernels/rng.ts pcg hash) in the integer lanes of
// the ISA vector type V: masks bit-identical to the cpu backend. Contract: ops.h DropoutParams.
#pragma once
#include <cstdint>

#include "../ops.h"
#include "ops_common.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

/** PCG-RXS-M-XS 32-bit output hash (src/kernels/rng.ts pcg), all lanes mod 2^32. */
template <class V>
inline typename V::I vpcg(typename V::I x) {
  using I = typename V::I;
  const I state = V::iadd(V::imul(x, V::iset1(747796405)), V::iset1((int32_t)2891336453u));
  const I shift = V::iadd(V::template isrl<28>(state), V::iset1(4));
  const I word = V::imul(V::ixor(V::isrlv(state, shift), state), V::iset1(277803737));
  return V::ixor(V::template isrl<22>(word), word);
}

inline uint32_t spcg(uint32_t x) {
  const uint32_t state = x * 747796405u + 2891336453u;
  const uint32_t word = ((state >> ((state >> 28) + 4u)) ^ state) * 277803737u;
  return (word >> 22) ^ word;
}

/**
 * keep[i] = hashUniform(seed, i) >= p  <=>  (pcg(pcg(seed) + i) >> 8) >= threshold, with
 * threshold = ceil(p * 2^24) (hashUniform is k * 2^-24 for an integer k): integer-exact, so the
 * masks are bit-identical to src/kernels/rng.ts. mask = keep ? keep_scale : 0, y = x * mask.
 */
template <class V>
inline void dropout_impl(const float* x, float* y, float* mask, int64_t i0, int64_t count, uint32_t seed,
                         uint32_t threshold, float keep_scale) {
  using F = typename V::R;
  using I = typename V::I;
  constexpr int64_t NL = V::N;
  const uint32_t hs = spcg(seed);
  const I tm1 = V::iset1((int32_t)threshold - 1);
  const I ramp = V::iramp();
  const F ks = V::set1(keep_scale);
  int64_t i = 0;
  for (; i < count; i += NL) {
    const I idx = V::iadd(V::iset1((int32_t)(hs + (uint32_t)(i0 + i))), ramp);
    const I k = V::template isrl<8>(vpcg<V>(idx));
    const F mv = V::mask_and(V::igt(k, tm1), ks);
    if (i + NL <= count) {
      V::store(mask + i, mv);
      V::store(y + i, V::mul(V::load(x + i), mv));
    } else {
      store_n<V>(mask + i, mv, count - i);
      store_n<V>(y + i, V::mul(load_n<V>(x + i, count - i), mv), count - i);
    }
  }
}

// ---- the kernels (kernel_list.h) ---------------------------------------------------------------

template <class V>
void dropout(const DropoutParams& p, int64_t i0, int64_t i1) {
  dropout_impl<V>(p.x + i0, p.y + i0, p.mask + i0, i0, i1 - i0, p.seed, p.threshold, p.keep_scale);
}

}  // namespace
}  // namespace simd
}  // namespace kd
