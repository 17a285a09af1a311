// Fused softmax-KL, avx2 variant: the generic kernel (generic/softmax_kl_impl.h) instantiated on simd::Avx2.
#include "../generic/softmax_kl_impl.h"
#include "vec_avx2.h"

void kd_softmax_kl_avx2(const kd::SoftmaxKLParams& p, int64_t r0, int64_t r1) {
  kd::simd::softmax_kl_rows<kd::simd::Avx2>(p, r0, r1);
}
