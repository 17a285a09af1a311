// Elementwise binary (2-D strides) / unary (vector exp, log) / affine / add-in-place, neon.
#include "vec_neon.h"
#include "../ops_simd.h"

void kd_binary_neon(const kd::BinaryParams& p) {
  binary_dispatch(p.op, p.a, p.a_rs, p.a_cs, p.b, p.b_rs, p.b_cs, p.out, p.ldo, p.rows, p.cols);
}
void kd_unary_neon(const kd::UnaryParams& p, int64_t i0, int64_t i1) {
  unary_dispatch(p.op, p.x + i0, p.out + i0, i1 - i0);
}
void kd_affine_neon(const kd::AffineParams& p, int64_t i0, int64_t i1) {
  affine_impl(p.x + i0, p.out + i0, i1 - i0, p.alpha, p.beta);
}
void kd_add_inplace_neon(const kd::AddInPlaceParams& p, int64_t i0, int64_t i1) {
  add_inplace_impl(p.dst + i0, p.src + i0, i1 - i0);
}
