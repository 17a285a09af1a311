// Dropout with the shared counter-based RNG (pcg hash in neon integer lanes), bit-identical masks.
#include "vec_neon.h"
#include "../ops_simd.h"

void kd_dropout_neon(const kd::DropoutParams& p, int64_t i0, int64_t i1) {
  dropout_impl(p.x + i0, p.y + i0, p.mask + i0, i0, i1 - i0, p.seed, p.threshold, p.keep_scale);
}
