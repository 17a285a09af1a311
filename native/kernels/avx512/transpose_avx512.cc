// Blocked transpose, avx512 build of the tiled loops (ops_simd.h).
#include "vec_avx512.h"
#include "../ops_simd.h"

void kd_transpose_avx512(const float* x, int64_t ldx, float* out, int64_t ldo, int64_t rows, int64_t cols) {
  transpose_impl(x, ldx, out, ldo, rows, cols);
}
