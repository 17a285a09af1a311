// conv2d forward / backward, avx512: im2col onto the blocked GEMM (direct loops for depthwise).
#include "vec_avx512.h"
#include "../ops_simd.h"

void kd_conv2d_forward_avx512(const kd::Conv2dParams& p, int64_t n0, int64_t n1) {
  conv_forward_impl(p.s, p.x, p.w, p.bias, p.y, n0, n1, gemm_impl);
}
void kd_conv2d_backward_input_avx512(const kd::Conv2dBackwardParams& p, int64_t n0, int64_t n1) {
  conv_backward_input_impl(p.s, p.g, p.w, p.dx, n0, n1, gemm_impl);
}
void kd_conv2d_backward_weight_avx512(const kd::Conv2dBackwardParams& p, int64_t co0, int64_t co1) {
  conv_backward_weight_impl(p.s, p.g, p.x, p.dw, co0, co1, gemm_impl);
}
void kd_conv2d_backward_bias_avx512(const kd::Conv2dBackwardParams& p, int64_t co0, int64_t co1) {
  conv_backward_bias_impl(p.s, p.g, p.dbias, co0, co1);
}
