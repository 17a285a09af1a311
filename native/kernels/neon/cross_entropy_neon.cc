// Fused cross-entropy, neon variant: the generic kernel (generic/cross_entropy_impl.h) instantiated on simd::Neon.
#include "../generic/cross_entropy_impl.h"
#include "vec_neon.h"

void kd_cross_entropy_neon(const kd::CrossEntropyParams& p, int64_t r0, int64_t r1) {
  kd::simd::cross_entropy_rows<kd::simd::Neon>(p, r0, r1);
}
