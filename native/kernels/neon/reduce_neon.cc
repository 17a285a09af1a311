// Row / column / total sums, neon: float lanes over short blocks, blocks accumulated in double.
#include "vec_neon.h"
#include "../ops_simd.h"

void kd_sum_rows_neon(const kd::SumParams& p, int64_t j0, int64_t j1) {
  sum_rows_impl(p.x + j0, p.cols, p.rows, j1 - j0, p.scale, p.out + j0);
}
void kd_sum_cols_neon(const kd::SumParams& p, int64_t r0, int64_t r1) {
  sum_cols_impl(p.x + r0 * p.cols, r1 - r0, p.cols, p.scale, p.out + r0);
}
double kd_sum_all_neon(const kd::SumParams& p, int64_t i0, int64_t i1) { return dsum(p.x + i0, i1 - i0); }
