// Row softmax / log-softmax forward and backward, avx512 (vector exp).
#include "vec_avx512.h"
#include "../ops_simd.h"

void kd_softmax_avx512(const kd::SoftmaxParams& p, int64_t r0, int64_t r1) {
  softmax_impl(p.x + r0 * p.cols, p.y + r0 * p.cols, r1 - r0, p.cols, p.log);
}
void kd_softmax_backward_avx512(const kd::SoftmaxBackwardParams& p, int64_t r0, int64_t r1) {
  softmax_backward_impl(p.y + r0 * p.cols, p.g + r0 * p.cols, p.dx + r0 * p.cols, r1 - r0, p.cols, p.log);
}
