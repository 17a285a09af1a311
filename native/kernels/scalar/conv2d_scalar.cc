// conv2d forward / backward, scalar reference: direct loops over the definition (cross-correlation,
// NCHW, zero padding, groups), each output element one double sum. See src/backends/cpu/conv2d.ts.
#include "../kernel_list.h"

void kd_conv2d_forward_scalar(const kd::Conv2dParams& p, int64_t n0, int64_t n1) {
  const kd::ConvShape& s = p.s;
  const float *x = p.x, *w = p.w, *bias = p.bias;
  float* y = p.y;
  const int64_t cInG = s.c_in / s.groups, cOutG = s.c_out / s.groups;
  for (int64_t n = n0; n < n1; n++)
    for (int64_t co = 0; co < s.c_out; co++) {
      const int64_t grp = co / cOutG;
      for (int64_t oh = 0; oh < s.h_out; oh++)
        for (int64_t ow = 0; ow < s.w_out; ow++) {
          double acc = bias ? bias[co] : 0.0;
          for (int64_t ci = 0; ci < cInG; ci++)
            for (int64_t r = 0; r < s.kh; r++) {
              const int64_t ih = oh * s.stride - s.padding + r;
              if (ih < 0 || ih >= s.h) continue;
              for (int64_t c = 0; c < s.kw; c++) {
                const int64_t iw = ow * s.stride - s.padding + c;
                if (iw < 0 || iw >= s.w) continue;
                acc += (double)x[((n * s.c_in + grp * cInG + ci) * s.h + ih) * s.w + iw] *
                       w[((co * cInG + ci) * s.kh + r) * s.kw + c];
              }
            }
          y[((n * s.c_out + co) * s.h_out + oh) * s.w_out + ow] = (float)acc;
        }
    }
}

void kd_conv2d_backward_input_scalar(const kd::Conv2dBackwardParams& p, int64_t n0, int64_t n1) {
  const kd::ConvShape& s = p.s;
  const float *g = p.g, *w = p.w;
  float* dx = p.dx;
  const int64_t cInG = s.c_in / s.groups, cOutG = s.c_out / s.groups;
  for (int64_t n = n0; n < n1; n++)
    for (int64_t cx = 0; cx < s.c_in; cx++) {
      const int64_t grp = cx / cInG, ci = cx - grp * cInG;
      for (int64_t ih = 0; ih < s.h; ih++)
        for (int64_t iw = 0; iw < s.w; iw++) {
          double acc = 0;
          for (int64_t co = grp * cOutG; co < (grp + 1) * cOutG; co++)
            for (int64_t r = 0; r < s.kh; r++) {
              const int64_t ohs = ih + s.padding - r;
              if (ohs < 0 || ohs % s.stride != 0 || ohs / s.stride >= s.h_out) continue;
              for (int64_t c = 0; c < s.kw; c++) {
                const int64_t ows = iw + s.padding - c;
                if (ows < 0 || ows % s.stride != 0 || ows / s.stride >= s.w_out) continue;
                acc += (double)g[((n * s.c_out + co) * s.h_out + ohs / s.stride) * s.w_out + ows / s.stride] *
                       w[((co * cInG + ci) * s.kh + r) * s.kw + c];
              }
            }
          dx[((n * s.c_in + cx) * s.h + ih) * s.w + iw] = (float)acc;
        }
    }
}

void kd_conv2d_backward_weight_scalar(const kd::Conv2dBackwardParams& p, int64_t co0, int64_t co1) {
  const kd::ConvShape& s = p.s;
  const float *g = p.g, *x = p.x;
  float* dw = p.dw;
  const int64_t cInG = s.c_in / s.groups, cOutG = s.c_out / s.groups;
  for (int64_t co = co0; co < co1; co++) {
    const int64_t grp = co / cOutG;
    for (int64_t ci = 0; ci < cInG; ci++)
      for (int64_t r = 0; r < s.kh; r++)
        for (int64_t c = 0; c < s.kw; c++) {
          double acc = 0;
          for (int64_t n = 0; n < s.n; n++)
            for (int64_t oh = 0; oh < s.h_out; oh++) {
              const int64_t ih = oh * s.stride - s.padding + r;
              if (ih < 0 || ih >= s.h) continue;
              for (int64_t ow = 0; ow < s.w_out; ow++) {
                const int64_t iw = ow * s.stride - s.padding + c;
                if (iw < 0 || iw >= s.w) continue;
                acc += (double)g[((n * s.c_out + co) * s.h_out + oh) * s.w_out + ow] *
                       x[((n * s.c_in + grp * cInG + ci) * s.h + ih) * s.w + iw];
              }
            }
          dw[((co * cInG + ci) * s.kh + r) * s.kw + c] = (float)acc;
        }
  }
}

void kd_conv2d_backward_bias_scalar(const kd::Conv2dBackwardParams& p, int64_t co0, int64_t co1) {
  const kd::ConvShape& s = p.s;
  const float* g = p.g;
  float* dbias = p.dbias;
  const int64_t hw = s.h_out * s.w_out;
  for (int64_t co = co0; co < co1; co++) {
    double acc = 0;
    for (int64_t n = 0; n < s.n; n++)
      for (int64_t i = 0; i < hw; i++) acc += g[(n * s.c_out + co) * hw + i];
    dbias[co] = (float)acc;
  }
}
