// Fused SGD (momentum, dampening, Nesterov, weight decay) and Adam / AdamW steps, avx2.
#include "vec_avx2.h"
#include "../ops_simd.h"

void kd_sgd_avx2(float* param, const float* grad, float* momentum_buf, int64_t size, const KdSgdParams& p) {
  sgd_impl(param, grad, momentum_buf, size, p);
}
void kd_adam_avx2(float* param, const float* grad, float* m, float* v, int64_t size, const KdAdamParams& p) {
  adam_impl(param, grad, m, v, size, p);
}
