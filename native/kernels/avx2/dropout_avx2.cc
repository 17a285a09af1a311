// Dropout with the shared counter-based RNG (pcg hash in avx2 integer lanes), bit-identical masks.
#include "vec_avx2.h"
#include "../ops_simd.h"

void kd_dropout_avx2(const float* x, float* y, float* mask, int64_t i0, int64_t count, uint32_t seed,
                       uint32_t threshold, float keep_scale) {
  dropout_impl(x, y, mask, i0, count, seed, threshold, keep_scale);
}
