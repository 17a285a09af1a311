// Per-tensor affine fake quantisation, scalar reference (float arithmetic as PyTorch's CPU kernel:
// nearbyint of the float product x * inv_scale, round half to even in the default rounding mode).
#include <cmath>

#include "../kernel_list.h"

void kd_fake_quantize_scalar(const kd::FakeQuantizeParams& p, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) {
    const float prod = p.x[i] * p.inv_scale;
    const float q = std::nearbyint(prod) + p.zero_point;
    if (std::isnan(q)) {
      p.y[i] = q;
      p.mask[i] = 0.0f;
      continue;
    }
    p.mask[i] = q >= p.qmin && q <= p.qmax ? 1.0f : 0.0f;
    p.y[i] = (std::fmin(std::fmax(q, p.qmin), p.qmax) - p.zero_point) * p.scale;
  }
}
