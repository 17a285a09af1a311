// Fused cross-entropy, avx512 variant: the generic kernel (generic/cross_entropy_impl.h) instantiated on simd::Avx512.
#include "../generic/cross_entropy_impl.h"
#include "vec_avx512.h"

void kd_cross_entropy_avx512(const kd::CrossEntropyParams& p, int64_t r0, int64_t r1) {
  kd::simd::cross_entropy_rows<kd::simd::Avx512>(p, r0, r1);
}
