// maxPool2d forward / backward, scalar reference (src/backends/cpu/maxpool2d.ts): the first maximum
// of a window in row-major order wins, a NaN always replaces; the backward gathers per input element.
#include <cmath>

#include "../kernel_list.h"

void kd_maxpool2d_forward_scalar(const kd::MaxPool2dParams& p, int64_t p0, int64_t p1) {
  const kd::PoolShape& s = p.s;
  const float* x = p.x;
  for (int64_t plane = p0; plane < p1; plane++) {
    const int64_t xPlane = plane * s.h * s.w;
    for (int64_t oh = 0; oh < s.h_out; oh++)
      for (int64_t ow = 0; ow < s.w_out; ow++) {
        const int64_t h0 = oh * s.stride, w0 = ow * s.stride;
        float best = -INFINITY;
        int64_t bi = xPlane + h0 * s.w + w0;
        for (int64_t ih = h0; ih < h0 + s.kernel && ih < s.h; ih++)
          for (int64_t iw = w0; iw < w0 + s.kernel && iw < s.w; iw++) {
            const float v = x[xPlane + ih * s.w + iw];
            if (v > best || std::isnan(v)) {
              best = v;
              bi = xPlane + ih * s.w + iw;
            }
          }
        const int64_t o = (plane * s.h_out + oh) * s.w_out + ow;
        p.y[o] = x[bi];
        p.argmax[o] = (int32_t)bi;
      }
  }
}

void kd_maxpool2d_backward_scalar(const kd::MaxPool2dBackwardParams& p, int64_t p0, int64_t p1) {
  const kd::PoolShape& s = p.s;
  for (int64_t plane = p0; plane < p1; plane++) {
    const int64_t oPlane = plane * s.h_out * s.w_out;
    for (int64_t ih = 0; ih < s.h; ih++) {
      // Output rows whose window [oh*stride, oh*stride + kernel) contains ih.
      const int64_t t = ih - s.kernel + 1;
      const int64_t ohLo = t > 0 ? (t + s.stride - 1) / s.stride : 0;
      const int64_t ohHi = ih / s.stride < s.h_out - 1 ? ih / s.stride : s.h_out - 1;
      for (int64_t iw = 0; iw < s.w; iw++) {
        const int64_t u = iw - s.kernel + 1;
        const int64_t owLo = u > 0 ? (u + s.stride - 1) / s.stride : 0;
        const int64_t owHi = iw / s.stride < s.w_out - 1 ? iw / s.stride : s.w_out - 1;
        const int64_t index = (plane * s.h + ih) * s.w + iw;
        double acc = 0;
        for (int64_t oh = ohLo; oh <= ohHi; oh++)
          for (int64_t ow = owLo; ow <= owHi; ow++) {
            const int64_t o = oPlane + oh * s.w_out + ow;
            if (p.argmax[o] == index) acc += p.g[o];
          }
        p.dx[index] = (float)acc;
      }
    }
  }
}
