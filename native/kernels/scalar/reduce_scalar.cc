// Row / column / total sums, scalar reference: double accumulation, scaled in double, rounded once.
#include "../ops.h"

void kd_sum_rows_scalar(const float* x, int64_t ld, int64_t rows, int64_t cols, double scale, float* out) {
  for (int64_t j = 0; j < cols; j++) {
    double acc = 0;
    for (int64_t i = 0; i < rows; i++) acc += x[i * ld + j];
    out[j] = (float)(acc * scale);
  }
}
void kd_sum_cols_scalar(const float* x, int64_t rows, int64_t cols, double scale, float* out) {
  for (int64_t i = 0; i < rows; i++) {
    double acc = 0;
    for (int64_t j = 0; j < cols; j++) acc += x[i * cols + j];
    out[i] = (float)(acc * scale);
  }
}
double kd_sum_all_scalar(const float* x, int64_t size) {
  double acc = 0;
  for (int64_t i = 0; i < size; i++) acc += x[i];
  return acc;
}
