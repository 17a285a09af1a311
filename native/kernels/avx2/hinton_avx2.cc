// Fused Hinton loss, avx2 variant: the generic kernel (generic/hinton_impl.h) instantiated on simd::Avx2.
#include "../generic/hinton_impl.h"
#include "vec_avx2.h"

void kd_hinton_avx2(const kd::HintonParams& p, int64_t r0, int64_t r1) {
  kd::simd::hinton_rows<kd::simd::Avx2>(p, r0, r1);
}
