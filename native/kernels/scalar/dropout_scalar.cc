// Dropout, scalar reference of the shared counter-based RNG (src/kernels/rng.ts):
// keep[i] = (pcg(pcg(seed) + i) >> 8) * 2^-24 >= p  <=>  (pcg(pcg(seed) + i) >> 8) >= ceil(p * 2^24).
#include "../kernel_list.h"

namespace {
uint32_t pcg(uint32_t x) {
  const uint32_t state = x * 747796405u + 2891336453u;
  const uint32_t word = ((state >> ((state >> 28) + 4u)) ^ state) * 277803737u;
  return (word >> 22) ^ word;
}
}  // namespace

void kd_dropout_scalar(const kd::DropoutParams& p, int64_t i0, int64_t i1) {
  const uint32_t hs = pcg(p.seed);
  for (int64_t i = i0; i < i1; i++) {
    const uint32_t k = pcg(hs + (uint32_t)i) >> 8;
    p.mask[i] = k >= p.threshold ? p.keep_scale : 0.0f;
    p.y[i] = p.x[i] * p.mask[i];
  }
}
