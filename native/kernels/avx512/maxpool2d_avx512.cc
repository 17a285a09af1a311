// maxPool2d forward / backward, avx512 build of the generic loops (ops_simd.h).
#include "vec_avx512.h"
#include "../ops_simd.h"

void kd_maxpool2d_forward_avx512(const kd::MaxPool2dParams& p, int64_t p0, int64_t p1) {
  maxpool_forward_impl(p.s, p.x, p.y, p.argmax, p0, p1);
}
void kd_maxpool2d_backward_avx512(const kd::MaxPool2dBackwardParams& p, int64_t p0, int64_t p1) {
  maxpool_backward_impl(p.s, p.g, p.argmax, p.dx, p0, p1);
}
