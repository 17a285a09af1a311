// Fused Hinton loss, avx512 variant: the generic kernel (generic/hinton_impl.h) instantiated on simd::Avx512.
#include "../generic/hinton_impl.h"
#include "vec_avx512.h"

void kd_hinton_avx512(const kd::HintonParams& p, int64_t r0, int64_t r1) {
  kd::simd::hinton_rows<kd::simd::Avx512>(p, r0, r1);
}
