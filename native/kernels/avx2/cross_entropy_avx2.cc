// Fused cross-entropy, avx2 variant: the generic kernel (generic/cross_entropy_impl.h) instantiated on simd::Avx2.
#include "../generic/cross_entropy_impl.h"
#include "vec_avx2.h"

void kd_cross_entropy_avx2(const kd::CrossEntropyParams& p, int64_t r0, int64_t r1) {
  kd::simd::cross_entropy_rows<kd::simd::Avx2>(p, r0, r1);
}
