// conv2d forward / backward, avx2: im2col onto kd_gemm_avx2 (direct axpy loops for depthwise).
#include "vec_avx2.h"
#include "../ops_simd.h"

void kd_conv2d_forward_avx2(const KdConvShape& s, const float* x, const float* w, const float* bias, float* y,
                              int64_t n0, int64_t n1) {
  conv_forward_impl(s, x, w, bias, y, n0, n1, kd_gemm_avx2);
}
void kd_conv2d_backward_input_avx2(const KdConvShape& s, const float* g, const float* w, float* dx, int64_t n0,
                                     int64_t n1) {
  conv_backward_input_impl(s, g, w, dx, n0, n1, kd_gemm_avx2);
}
void kd_conv2d_backward_weight_avx2(const KdConvShape& s, const float* g, const float* x, float* dw, int64_t co0,
                                      int64_t co1) {
  conv_backward_weight_impl(s, g, x, dw, co0, co1, kd_gemm_avx2);
}
void kd_conv2d_backward_bias_avx2(const KdConvShape& s, const float* g, float* dbias, int64_t co0, int64_t co1) {
  conv_backward_bias_impl(s, g, dbias, co0, co1);
}
