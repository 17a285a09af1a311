// maxPool2d forward / backward (scalar loops, a branch-free window max, compiled per ISA). Contract:
// ops.h MaxPool2dParams, MaxPool2dBackwardParams.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "../ops.h"
#include "ops_common.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

/** Window step: v replaces the best so far when larger or NaN (selects, no branch on the data). */
inline void pool_take(float v, int64_t i, float& best, int64_t& bi) {
  const bool take = (v > best) | (v != v);
  best = take ? v : best;
  bi = take ? i : bi;
}

/** Per window: first maximum in row-major order wins, a NaN always replaces (as the cpu backend). */
inline void maxpool_forward_impl(const PoolShape& s, const float* x, float* y, int32_t* argmax, int64_t p0,
                                 int64_t p1) {
  for (int64_t plane = p0; plane < p1; plane++) {
    const int64_t xPlane = plane * s.h * s.w;
    for (int64_t oh = 0; oh < s.h_out; oh++) {
      const int64_t h0 = oh * s.stride, h1 = imin(h0 + s.kernel, s.h);
      float* yo = y + (plane * s.h_out + oh) * s.w_out;
      int32_t* ao = argmax + (plane * s.h_out + oh) * s.w_out;
      if (s.kernel == 2 && s.stride == 2 && h1 == h0 + 2) {
        // The common 2 x 2 / 2 window, unrolled (every window lies inside the plane).
        const int64_t r0 = xPlane + h0 * s.w, r1 = r0 + s.w;
        for (int64_t ow = 0; ow < s.w_out; ow++) {
          const int64_t c = 2 * ow;
          float best = x[r0 + c];
          int64_t bi = r0 + c;
          pool_take(x[r0 + c + 1], r0 + c + 1, best, bi);
          pool_take(x[r1 + c], r1 + c, best, bi);
          pool_take(x[r1 + c + 1], r1 + c + 1, best, bi);
          yo[ow] = best;
          ao[ow] = (int32_t)bi;
        }
        continue;
      }
      for (int64_t ow = 0; ow < s.w_out; ow++) {
        const int64_t w0 = ow * s.stride, w1 = imin(w0 + s.kernel, s.w);
        float best = -INFINITY;
        int64_t bi = xPlane + h0 * s.w + w0;
        for (int64_t ih = h0; ih < h1; ih++)
          for (int64_t iw = w0; iw < w1; iw++) pool_take(x[xPlane + ih * s.w + iw], xPlane + ih * s.w + iw, best, bi);
        yo[ow] = x[bi];
        ao[ow] = (int32_t)bi;
      }
    }
  }
}

/** dx = 0, then dx[argmax[o]] += g[o] in output order (argmax checked to lie in its plane). */
inline void maxpool_backward_impl(const PoolShape& s, const float* g, const int32_t* argmax, float* dx,
                                  int64_t p0, int64_t p1) {
  const int64_t plane_in = s.h * s.w, plane_out = s.h_out * s.w_out;
  std::memset(dx + p0 * plane_in, 0, sizeof(float) * (size_t)((p1 - p0) * plane_in));
  for (int64_t o = p0 * plane_out; o < p1 * plane_out; o++) dx[argmax[o]] += g[o];
}

// ---- the kernels (kernel_list.h) ---------------------------------------------------------------

template <class V>
void maxpool2d_forward(const MaxPool2dParams& p, int64_t p0, int64_t p1) {
  maxpool_forward_impl(p.s, p.x, p.y, p.argmax, p0, p1);
}
template <class V>
void maxpool2d_backward(const MaxPool2dBackwardParams& p, int64_t p0, int64_t p1) {
  maxpool_backward_impl(p.s, p.g, p.argmax, p.dx, p0, p1);
}

}  // namespace
}  // namespace simd
}  // namespace kd
