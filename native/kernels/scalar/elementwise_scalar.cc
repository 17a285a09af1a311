// Elementwise binary / unary / affine / add-in-place, scalar reference (libm exp/log, double math
// rounded once, as src/backends/cpu/elementwise.ts).
#include <cmath>

#include "../kernel_list.h"

namespace {
using kd::BinaryOp;
using kd::UnaryOp;
double bin(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
    case BinaryOp::ReluGrad: return b > 0 ? a : 0.0;
    case BinaryOp::Max: return std::isnan(a) || std::isnan(b) ? NAN : (a > b ? a : b);
    default: return std::isnan(a) || std::isnan(b) ? NAN : (a < b ? a : b);
  }
}
double un(UnaryOp op, double x) {
  switch (op) {
    case UnaryOp::Relu: return std::isnan(x) ? x : (x > 0 ? x : 0.0);
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Log: return std::log(x);
    case UnaryOp::Neg: return -x;
    case UnaryOp::Square: return x * x;
    case UnaryOp::Sqrt: return std::sqrt(x);
    default: return std::fabs(x);
  }
}
}  // namespace

void kd_binary_scalar(const kd::BinaryParams& p) {
  for (int64_t i = 0; i < p.rows; i++)
    for (int64_t j = 0; j < p.cols; j++)
      p.out[i * p.ldo + j] = (float)bin(p.op, p.a[i * p.a_rs + j * p.a_cs], p.b[i * p.b_rs + j * p.b_cs]);
}
void kd_unary_scalar(const kd::UnaryParams& p, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) p.out[i] = (float)un(p.op, p.x[i]);
}
void kd_affine_scalar(const kd::AffineParams& p, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) p.out[i] = (float)((double)p.alpha * p.x[i] + p.beta);
}
void kd_add_inplace_scalar(const kd::AddInPlaceParams& p, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) p.dst[i] += p.src[i];
}
