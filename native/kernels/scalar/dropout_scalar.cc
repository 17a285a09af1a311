// Dropout, scalar reference of the shared counter-based RNG (src/kernels/rng.ts):
// keep[i] = (pcg(pcg(seed) + i) >> 8) * 2^-24 >= p  <=>  (pcg(pcg(seed) + i) >> 8) >= ceil(p * 2^24).
#include "../ops.h"

namespace {
uint32_t pcg(uint32_t x) {
  const uint32_t state = x * 747796405u + 2891336453u;
  const uint32_t word = ((state >> ((state >> 28) + 4u)) ^ state) * 277803737u;
  return (word >> 22) ^ word;
}
}  // namespace

void kd_dropout_scalar(const float* x, float* y, float* mask, int64_t i0, int64_t count, uint32_t seed,
                       uint32_t threshold, float keep_scale) {
  const uint32_t hs = pcg(seed);
  for (int64_t i = 0; i < count; i++) {
    const uint32_t k = pcg(hs + (uint32_t)(i0 + i)) >> 8;
    mask[i] = k >= threshold ? keep_scale : 0.0f;
    y[i] = x[i] * mask[i];
  }
}
