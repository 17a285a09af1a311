// Elementwise binary (2-D strides) / unary / affine / add-in-place and the blocked transpose, over
// the ISA vector type V. Contract: ops.h.
#pragma once
#include <cstdint>

#include "../ops.h"
#include "ops_common.h"
#include "vmath.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

template <class V, BinaryOp OP>
inline typename V::R binop(typename V::R a, typename V::R b) {
  if (OP == BinaryOp::Add) return V::add(a, b);
  if (OP == BinaryOp::Sub) return V::sub(a, b);
  if (OP == BinaryOp::Mul) return V::mul(a, b);
  if (OP == BinaryOp::Div) return V::div(a, b);
  if (OP == BinaryOp::ReluGrad) return V::mask_and(V::gt(b, V::zero()), a);  // b > 0 ? a : 0
  if (OP == BinaryOp::Max) return max_nan<V>(a, b);
  return min_nan<V>(a, b);
}

/** One strided 2-D binary op: contiguous, broadcast-scalar-per-row or gathered operands. */
template <class V, BinaryOp OP>
inline void binary_impl(const float* a, int64_t ars, int64_t acs, const float* b, int64_t brs, int64_t bcs,
                        float* out, int64_t ldo, int64_t rows, int64_t cols) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
  alignas(64) float ta[V::N], tb[V::N];
  for (int64_t i = 0; i < rows; i++) {
    const float* ap = a + i * ars;
    const float* bp = b + i * brs;
    float* op = out + i * ldo;
    int64_t j = 0;
    if (acs == 1 && bcs == 1) {
      for (; j + NL <= cols; j += NL) V::store(op + j, binop<V, OP>(V::load(ap + j), V::load(bp + j)));
      if (j < cols) store_n<V>(op + j, binop<V, OP>(load_n<V>(ap + j, cols - j), load_n<V>(bp + j, cols - j)), cols - j);
    } else if (acs == 1 && bcs == 0) {
      const F vb = V::set1(bp[0]);
      for (; j + NL <= cols; j += NL) V::store(op + j, binop<V, OP>(V::load(ap + j), vb));
      if (j < cols) store_n<V>(op + j, binop<V, OP>(load_n<V>(ap + j, cols - j), vb), cols - j);
    } else if (acs == 0 && bcs == 1) {
      const F va = V::set1(ap[0]);
      for (; j + NL <= cols; j += NL) V::store(op + j, binop<V, OP>(va, V::load(bp + j)));
      if (j < cols) store_n<V>(op + j, binop<V, OP>(va, load_n<V>(bp + j, cols - j)), cols - j);
    } else {
      for (; j < cols; j += NL) {
        const int64_t n = imin(NL, cols - j);
        for (int64_t l = 0; l < n; l++) {
          ta[l] = ap[(j + l) * acs];
          tb[l] = bp[(j + l) * bcs];
        }
        for (int64_t l = n; l < NL; l++) ta[l] = tb[l] = 0.0f;
        const F r = binop<V, OP>(V::load(ta), V::load(tb));
        if (n == NL) V::store(op + j, r);
        else store_n<V>(op + j, r, n);
      }
    }
  }
}

template <class V>
inline void binary_dispatch(BinaryOp op, const float* a, int64_t ars, int64_t acs, const float* b, int64_t brs,
                            int64_t bcs, float* out, int64_t ldo, int64_t rows, int64_t cols) {
  switch (op) {
    case BinaryOp::Add: return binary_impl<V, BinaryOp::Add>(a, ars, acs, b, brs, bcs, out, ldo, rows, cols);
    case BinaryOp::Sub: return binary_impl<V, BinaryOp::Sub>(a, ars, acs, b, brs, bcs, out, ldo, rows, cols);
    case BinaryOp::Mul: return binary_impl<V, BinaryOp::Mul>(a, ars, acs, b, brs, bcs, out, ldo, rows, cols);
    case BinaryOp::Div: return binary_impl<V, BinaryOp::Div>(a, ars, acs, b, brs, bcs, out, ldo, rows, cols);
    case BinaryOp::ReluGrad: return binary_impl<V, BinaryOp::ReluGrad>(a, ars, acs, b, brs, bcs, out, ldo, rows, cols);
    case BinaryOp::Max: return binary_impl<V, BinaryOp::Max>(a, ars, acs, b, brs, bcs, out, ldo, rows, cols);
    default: return binary_impl<V, BinaryOp::Min>(a, ars, acs, b, brs, bcs, out, ldo, rows, cols);
  }
}

template <class V, UnaryOp OP>
inline typename V::R unop(typename V::R x) {
  if (OP == UnaryOp::Relu) return max_nan<V>(x, V::zero());
  if (OP == UnaryOp::Exp) return exp_subnormal<V>(x);
  if (OP == UnaryOp::Log) return vlog<V>(x);
  if (OP == UnaryOp::Neg) return V::neg(x);
  if (OP == UnaryOp::Square) return V::mul(x, x);
  if (OP == UnaryOp::Sqrt) return V::sqrt(x);
  return V::abs(x);
}

template <class V, UnaryOp OP>
inline void unary_impl(const float* x, float* out, int64_t n) {
  constexpr int64_t NL = V::N;
  int64_t i = 0;
  for (; i + NL <= n; i += NL) V::store(out + i, unop<V, OP>(V::load(x + i)));
  if (i < n) store_n<V>(out + i, unop<V, OP>(load_n<V>(x + i, n - i)), n - i);
}

template <class V>
inline void unary_dispatch(UnaryOp op, const float* x, float* out, int64_t n) {
  switch (op) {
    case UnaryOp::Relu: return unary_impl<V, UnaryOp::Relu>(x, out, n);
    case UnaryOp::Exp: return unary_impl<V, UnaryOp::Exp>(x, out, n);
    case UnaryOp::Log: return unary_impl<V, UnaryOp::Log>(x, out, n);
    case UnaryOp::Neg: return unary_impl<V, UnaryOp::Neg>(x, out, n);
    case UnaryOp::Square: return unary_impl<V, UnaryOp::Square>(x, out, n);
    case UnaryOp::Sqrt: return unary_impl<V, UnaryOp::Sqrt>(x, out, n);
    default: return unary_impl<V, UnaryOp::Abs>(x, out, n);
  }
}

template <class V>
inline void affine_impl(const float* x, float* out, int64_t n, float alpha, float beta) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
  const F va = V::set1(alpha), vb = V::set1(beta);
  int64_t i = 0;
  for (; i + NL <= n; i += NL) V::store(out + i, V::fma(va, V::load(x + i), vb));
  if (i < n) store_n<V>(out + i, V::fma(va, load_n<V>(x + i, n - i), vb), n - i);
}

template <class V>
inline void add_inplace_impl(float* dst, const float* src, int64_t n) {
  constexpr int64_t NL = V::N;
  int64_t i = 0;
  for (; i + NL <= n; i += NL) V::store(dst + i, V::add(V::load(dst + i), V::load(src + i)));
  if (i < n) store_n<V>(dst + i, V::add(load_n<V>(dst + i, n - i), load_n<V>(src + i, n - i)), n - i);
}

// ---- transpose ----------------------------------------------------------------------------------

/** out[j*ldo + i] = x[i*ldx + j] in 32 x 32 tiles (both sides stay in L1). */
inline void transpose_impl(const float* x, int64_t ldx, float* out, int64_t ldo, int64_t rows, int64_t cols) {
  constexpr int64_t T = 32;
  for (int64_t i0 = 0; i0 < rows; i0 += T) {
    const int64_t i1 = imin(rows, i0 + T);
    for (int64_t j0 = 0; j0 < cols; j0 += T) {
      const int64_t j1 = imin(cols, j0 + T);
      for (int64_t j = j0; j < j1; j++) {
        float* o = out + j * ldo;
        for (int64_t i = i0; i < i1; i++) o[i] = x[i * ldx + j];
      }
    }
  }
}

// ---- the kernels (kernel_list.h) ---------------------------------------------------------------

template <class V>
void binary(const BinaryParams& p) {
  binary_dispatch<V>(p.op, p.a, p.a_rs, p.a_cs, p.b, p.b_rs, p.b_cs, p.out, p.ldo, p.rows, p.cols);
}
template <class V>
void unary(const UnaryParams& p, int64_t i0, int64_t i1) {
  unary_dispatch<V>(p.op, p.x + i0, p.out + i0, i1 - i0);
}
template <class V>
void affine(const AffineParams& p, int64_t i0, int64_t i1) {
  affine_impl<V>(p.x + i0, p.out + i0, i1 - i0, p.alpha, p.beta);
}
template <class V>
void add_inplace(const AddInPlaceParams& p, int64_t i0, int64_t i1) {
  add_inplace_impl<V>(p.dst + i0, p.src + i0, i1 - i0);
}
template <class V>
void transpose(const TransposeParams& p, int64_t r0, int64_t r1) {
  transpose_impl(p.x + r0 * p.cols, p.cols, p.out + r0, p.rows, r1 - r0, p.cols);
}

}  // namespace
}  // namespace simd
}  // namespace kd
