// Transpose, scalar reference: out[j*rows + i] = x[i*cols + j].
#include "../kernel_list.h"

void kd_transpose_scalar(const kd::TransposeParams& p, int64_t r0, int64_t r1) {
  for (int64_t i = r0; i < r1; i++)
    for (int64_t j = 0; j < p.cols; j++) p.out[j * p.rows + i] = p.x[i * p.cols + j];
}
