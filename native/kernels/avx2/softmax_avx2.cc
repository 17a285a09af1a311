// Row softmax / log-softmax forward and backward, avx2 (vector exp).
#include "vec_avx2.h"
#include "../ops_simd.h"

void kd_softmax_avx2(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  softmax_impl(x, y, rows, cols, log);
}
void kd_softmax_backward_avx2(const float* y, const float* g, float* dx, int64_t rows, int64_t cols, bool log) {
  softmax_backward_impl(y, g, dx, rows, cols, log);
}
