// Fused softmax-KL, neon variant: the generic kernel (generic/softmax_kl_impl.h) instantiated on simd::Neon.
#include "../generic/softmax_kl_impl.h"
#include "vec_neon.h"

void kd_softmax_kl_neon(const kd::SoftmaxKLParams& p, int64_t r0, int64_t r1) {
  kd::simd::softmax_kl_rows<kd::simd::Neon>(p, r0, r1);
}
