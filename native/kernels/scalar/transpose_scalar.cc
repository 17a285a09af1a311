// Transpose, scalar reference: out[j*ldo + i] = x[i*ldx + j].
#include "../ops.h"

void kd_transpose_scalar(const float* x, int64_t ldx, float* out, int64_t ldo, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) out[j * ldo + i] = x[i * ldx + j];
}
