// Elementwise binary (2-D strides) / unary (vector exp, log) / affine / add-in-place, avx512.
#include "vec_avx512.h"
#include "../ops_simd.h"

void kd_binary_avx512(const kd::BinaryParams& p) {
  binary_dispatch(p.op, p.a, p.a_rs, p.a_cs, p.b, p.b_rs, p.b_cs, p.out, p.ldo, p.rows, p.cols);
}
void kd_unary_avx512(const kd::UnaryParams& p, int64_t i0, int64_t i1) {
  unary_dispatch(p.op, p.x + i0, p.out + i0, i1 - i0);
}
void kd_affine_avx512(const kd::AffineParams& p, int64_t i0, int64_t i1) {
  affine_impl(p.x + i0, p.out + i0, i1 - i0, p.alpha, p.beta);
}
void kd_add_inplace_avx512(const kd::AddInPlaceParams& p, int64_t i0, int64_t i1) {
  add_inplace_impl(p.dst + i0, p.src + i0, i1 - i0);
}
