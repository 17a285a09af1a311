// maxPool2d forward / backward, neon build of the generic loops (ops_simd.h).
#include "vec_neon.h"
#include "../ops_simd.h"

void kd_maxpool2d_forward_neon(const KdPoolShape& s, const float* x, float* y, int32_t* argmax, int64_t p0,
                                 int64_t p1) {
  maxpool_forward_impl(s, x, y, argmax, p0, p1);
}
void kd_maxpool2d_backward_neon(const KdPoolShape& s, const float* g, const int32_t* argmax, float* dx, int64_t p0,
                                  int64_t p1) {
  maxpool_backward_impl(s, g, argmax, dx, p0, p1);
}
