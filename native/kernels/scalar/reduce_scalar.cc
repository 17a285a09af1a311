// Row / column / total sums, scalar reference: double accumulation, scaled in double, rounded once.
#include "../kernel_list.h"

void kd_sum_rows_scalar(const kd::SumParams& p, int64_t j0, int64_t j1) {
  for (int64_t j = j0; j < j1; j++) {
    double acc = 0;
    for (int64_t i = 0; i < p.rows; i++) acc += p.x[i * p.cols + j];
    p.out[j] = (float)(acc * p.scale);
  }
}
void kd_sum_cols_scalar(const kd::SumParams& p, int64_t r0, int64_t r1) {
  for (int64_t i = r0; i < r1; i++) {
    double acc = 0;
    for (int64_t j = 0; j < p.cols; j++) acc += p.x[i * p.cols + j];
    p.out[i] = (float)(acc * p.scale);
  }
}
double kd_sum_all_scalar(const kd::SumParams& p, int64_t i0, int64_t i1) {
  double acc = 0;
  for (int64_t i = i0; i < i1; i++) acc += p.x[i];
  return acc;
}
