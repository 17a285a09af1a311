// Elementwise binary (2-D strides) / unary (vector exp, log) / affine / add-in-place, avx512.
#include "vec_avx512.h"
#include "../ops_simd.h"

void kd_binary_avx512(int32_t op, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs,
                      int64_t b_cs, float* out, int64_t ldo, int64_t rows, int64_t cols) {
  binary_dispatch(op, a, a_rs, a_cs, b, b_rs, b_cs, out, ldo, rows, cols);
}
void kd_unary_avx512(int32_t op, const float* x, float* out, int64_t size) { unary_dispatch(op, x, out, size); }
void kd_affine_avx512(const float* x, float* out, int64_t size, float alpha, float beta) {
  affine_impl(x, out, size, alpha, beta);
}
void kd_add_inplace_avx512(float* dst, const float* src, int64_t size) { add_inplace_impl(dst, src, size); }
