// Fused SGD (momentum, dampening, Nesterov, weight decay) and Adam / AdamW steps, avx2.
#include "vec_avx2.h"
#include "../ops_simd.h"

void kd_sgd_avx2(const kd::SgdParams& p, int64_t i0, int64_t i1) {
  sgd_impl(p.param + i0, p.grad + i0, p.momentum_buf ? p.momentum_buf + i0 : nullptr, i1 - i0, p);
}
void kd_adam_avx2(const kd::AdamParams& p, int64_t i0, int64_t i1) {
  adam_impl(p.param + i0, p.grad + i0, p.m + i0, p.v + i0, i1 - i0, p);
}
