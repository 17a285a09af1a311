// Elementwise binary / unary / affine / add-in-place, scalar reference (libm exp/log, double math
// rounded once, as src/backends/cpu/elementwise.ts).
#include <cmath>

#include "../ops.h"

namespace {
double bin(int32_t op, double a, double b) {
  switch (op) {
    case KD_ADD: return a + b;
    case KD_SUB: return a - b;
    case KD_MUL: return a * b;
    case KD_DIV: return a / b;
    case KD_RELU_GRAD: return b > 0 ? a : 0.0;
    case KD_MAX: return std::isnan(a) || std::isnan(b) ? NAN : (a > b ? a : b);
    default: return std::isnan(a) || std::isnan(b) ? NAN : (a < b ? a : b);
  }
}
double un(int32_t op, double x) {
  switch (op) {
    case KD_RELU: return std::isnan(x) ? x : (x > 0 ? x : 0.0);
    case KD_EXP: return std::exp(x);
    case KD_LOG: return std::log(x);
    case KD_NEG: return -x;
    case KD_SQUARE: return x * x;
    case KD_SQRT: return std::sqrt(x);
    default: return std::fabs(x);
  }
}
}  // namespace

void kd_binary_scalar(int32_t op, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs,
                      int64_t b_cs, float* out, int64_t ldo, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) out[i * ldo + j] = (float)bin(op, a[i * a_rs + j * a_cs], b[i * b_rs + j * b_cs]);
}
void kd_unary_scalar(int32_t op, const float* x, float* out, int64_t size) {
  for (int64_t i = 0; i < size; i++) out[i] = (float)un(op, x[i]);
}
void kd_affine_scalar(const float* x, float* out, int64_t size, float alpha, float beta) {
  for (int64_t i = 0; i < size; i++) out[i] = (float)((double)alpha * x[i] + beta);
}
void kd_add_inplace_scalar(float* dst, const float* src, int64_t size) {
  for (int64_t i = 0; i < size; i++) dst[i] += src[i];
}
