// Fused softmax-KL, avx512 variant: the generic kernel (generic/softmax_kl_impl.h) instantiated on simd::Avx512.
#include "../generic/softmax_kl_impl.h"
#include "vec_avx512.h"

void kd_softmax_kl_avx512(const kd::SoftmaxKLParams& p, int64_t r0, int64_t r1) {
  kd::simd::softmax_kl_rows<kd::simd::Avx512>(p, r0, r1);
}
