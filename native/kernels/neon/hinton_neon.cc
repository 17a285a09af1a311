// Fused Hinton loss, neon variant: the generic kernel (generic/hinton_impl.h) instantiated on simd::Neon.
#include "../generic/hinton_impl.h"
#include "vec_neon.h"

void kd_hinton_neon(const kd::HintonParams& p, int64_t r0, int64_t r1) {
  kd::simd::hinton_rows<kd::simd::Neon>(p, r0, r1);
}
