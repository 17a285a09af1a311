// Blocked transpose, avx512 build of the tiled loops (ops_simd.h).
#include "vec_avx512.h"
#include "../ops_simd.h"

void kd_transpose_avx512(const kd::TransposeParams& p, int64_t r0, int64_t r1) {
  transpose_impl(p.x + r0 * p.cols, p.cols, p.out + r0, p.rows, r1 - r0, p.cols);
}
