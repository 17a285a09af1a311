// Row / column / total sums, avx2: float lanes over short blocks, blocks accumulated in double.
#include "vec_avx2.h"
#include "../ops_simd.h"

void kd_sum_rows_avx2(const float* x, int64_t ld, int64_t rows, int64_t cols, double scale, float* out) {
  sum_rows_impl(x, ld, rows, cols, scale, out);
}
void kd_sum_cols_avx2(const float* x, int64_t rows, int64_t cols, double scale, float* out) {
  sum_cols_impl(x, rows, cols, scale, out);
}
double kd_sum_all_avx2(const float* x, int64_t size) { return dsum(x, size); }
