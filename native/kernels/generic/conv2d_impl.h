// conv2d forward / backward over the ISA vector type V: im2col onto the blocked GEMM
// (gemm_impl.h), direct register-blocked loops for depthwise. Contract: ops.h Conv2dParams,
// Conv2dBackwardParams.
#pragma once
#include <cstdint>
#include <cstring>

#include "../../dispatch/thread_pool.h"
#include "../ops.h"
#include "elementwise_impl.h"
#include "gemm_impl.h"
#include "ops_common.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

struct ConvGeom {
  int64_t cInG, cOutG, K, HW, plane;
  bool pointwise;  // 1x1, stride 1, no padding: the input plane is its own im2col
  explicit ConvGeom(const ConvShape& s)
      : cInG(s.c_in / s.groups), cOutG(s.c_out / s.groups), K(s.c_in / s.groups * s.kh * s.kw),
        HW(s.h_out * s.w_out), plane(s.h * s.w),
        pointwise(s.kh == 1 && s.kw == 1 && s.stride == 1 && s.padding == 0) {}
};

/** Output columns [lo, hi) whose input column ow*stride - padding + c is inside [0, w). */
inline void valid_range(int64_t w, int64_t wOut, int64_t stride, int64_t padding, int64_t c, int64_t& lo, int64_t& hi) {
  const int64_t off = padding - c;  // iw = ow*stride - off
  lo = off > 0 ? (off + stride - 1) / stride : 0;
  const int64_t last = w - 1 + off;  // ow*stride <= last
  hi = last < 0 ? 0 : imin(wOut, last / stride + 1);
  if (hi < lo) hi = lo;
}

/** col[(ci*kh + r)*kw + c][oh*wOut + ow] = x[n, grp*cInG + ci, ih, iw] (0 outside). */
template <class V>
inline void im2col(const ConvShape& s, const ConvGeom& G, const float* x, int64_t n, int64_t grp, float* col) {
  for (int64_t ci = 0; ci < G.cInG; ci++) {
    const float* xp = x + ((n * s.c_in + grp * G.cInG + ci) * s.h) * s.w;
    for (int64_t r = 0; r < s.kh; r++) {
      for (int64_t c = 0; c < s.kw; c++) {
        float* row = col + ((ci * s.kh + r) * s.kw + c) * G.HW;
        int64_t lo, hi;
        valid_range(s.w, s.w_out, s.stride, s.padding, c, lo, hi);
        for (int64_t oh = 0; oh < s.h_out; oh++) {
          float* o = row + oh * s.w_out;
          const int64_t ih = oh * s.stride - s.padding + r;
          if (ih < 0 || ih >= s.h) {
            zero_n<V>(o, s.w_out);
            continue;
          }
          const float* xr = xp + ih * s.w - s.padding + c;
          for (int64_t ow = 0; ow < lo; ow++) o[ow] = 0.0f;
          if (s.stride == 1) {
            if (hi > lo) copy_n<V>(o + lo, xr + lo, hi - lo);
          } else {
            for (int64_t ow = lo; ow < hi; ow++) o[ow] = xr[ow * s.stride];
          }
          for (int64_t ow = hi; ow < s.w_out; ow++) o[ow] = 0.0f;
        }
      }
    }
  }
}

/** dx[n, grp*cInG + ci, ih, iw] += col[...] (the adjoint of im2col). */
template <class V>
inline void col2im_add(const ConvShape& s, const ConvGeom& G, const float* col, int64_t n, int64_t grp, float* dx) {
  for (int64_t ci = 0; ci < G.cInG; ci++) {
    float* xp = dx + ((n * s.c_in + grp * G.cInG + ci) * s.h) * s.w;
    for (int64_t r = 0; r < s.kh; r++) {
      for (int64_t c = 0; c < s.kw; c++) {
        const float* row = col + ((ci * s.kh + r) * s.kw + c) * G.HW;
        int64_t lo, hi;
        valid_range(s.w, s.w_out, s.stride, s.padding, c, lo, hi);
        for (int64_t oh = 0; oh < s.h_out; oh++) {
          const int64_t ih = oh * s.stride - s.padding + r;
          if (ih < 0 || ih >= s.h) continue;
          float* xr = xp + ih * s.w - s.padding + c;
          const float* o = row + oh * s.w_out;
          if (s.stride == 1) {
            if (hi > lo) add_inplace_impl<V>(xr + lo, o + lo, hi - lo);
          } else {
            for (int64_t ow = lo; ow < hi; ow++) xr[ow * s.stride] += o[ow];
          }
        }
      }
    }
  }
}

/** The zero-padded copy P [(h + 2 ph), (w + 2 pw)] (row stride ld = w + 2 pw) of one plane. */
inline void pad_plane(const float* xp, int64_t h, int64_t w, int64_t /*unused*/, float* P, int64_t ld, int64_t ph,
                      int64_t pw) {
  std::memset(P, 0, sizeof(float) * (size_t)(ph * ld));
  for (int64_t ih = 0; ih < h; ih++) {
    float* row = P + (ih + ph) * ld;
    for (int64_t i = 0; i < pw; i++) row[i] = row[pw + w + i] = 0.0f;
    std::memcpy(row + pw, xp + ih * w, sizeof(float) * (size_t)w);
  }
  std::memset(P + (h + ph) * ld, 0, sizeof(float) * (size_t)(ph * ld));
}
inline void pad_plane(const float* xp, int64_t h, int64_t w, int64_t pad, float* P) {
  pad_plane(xp, h, w, 0, P, w + 2 * pad, pad, pad);
}

/**
 * Depthwise-style forward (cIn/groups == 1), direct on a zero-padded copy of the input plane:
 * y[oh, ow] = bias + sum_{r, c} w[r, c] P[oh*stride + r, ow*stride + c]. Stride 1 keeps a vector
 * of output columns in a register across all taps (no bounds checks); other strides are scalar.
 */
template <class V>
inline void depthwise_forward(const ConvShape& s, const ConvGeom& G, const float* x, const float* w,
                              const float* bias, float* y, int64_t n) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
  const int64_t pw = s.w + 2 * s.padding;
  float* P = scratch_of<float>(3, (size_t)((s.h + 2 * s.padding) * pw));
  for (int64_t grp = 0; grp < s.groups; grp++) {
    pad_plane(x + (n * s.c_in + grp) * G.plane, s.h, s.w, s.padding, P);
    for (int64_t co = grp * G.cOutG; co < (grp + 1) * G.cOutG; co++) {
      const float* wk = w + co * s.kh * s.kw;
      float* yp = y + (n * s.c_out + co) * G.HW;
      const float b0 = bias ? bias[co] : 0.0f;
      if (s.stride == 1) {
        for (int64_t oh = 0; oh < s.h_out; oh++) {
          for (int64_t ow = 0; ow < s.w_out; ow += NL) {
            const int64_t cnt = imin(NL, s.w_out - ow);
            F acc = V::set1(b0);
            for (int64_t r = 0; r < s.kh; r++) {
              const float* pr = P + (oh + r) * pw + ow;
              for (int64_t c = 0; c < s.kw; c++) {
                const F xv = cnt == NL ? V::load(pr + c) : load_n<V>(pr + c, cnt);
                acc = V::fma(V::set1(wk[r * s.kw + c]), xv, acc);
              }
            }
            if (cnt == NL) V::store(yp + oh * s.w_out + ow, acc);
            else store_n<V>(yp + oh * s.w_out + ow, acc, cnt);
          }
        }
      } else {
        for (int64_t oh = 0; oh < s.h_out; oh++)
          for (int64_t ow = 0; ow < s.w_out; ow++) {
            float acc = b0;
            for (int64_t r = 0; r < s.kh; r++) {
              const float* pr = P + (oh * s.stride + r) * pw + ow * s.stride;
              for (int64_t c = 0; c < s.kw; c++) acc += wk[r * s.kw + c] * pr[c];
            }
            yp[oh * s.w_out + ow] = acc;
          }
      }
    }
  }
}

template <class V>
inline void conv_forward_impl(const ConvShape& s, const float* x, const float* w, const float* bias, float* y,
                              int64_t n0, int64_t n1) {
  const ConvGeom G(s);
  float* col = (G.cInG == 1 || G.pointwise) ? nullptr : scratch_of<float>(2, (size_t)(G.K * G.HW));
  for (int64_t n = n0; n < n1; n++) {
    if (G.cInG == 1) {
      depthwise_forward<V>(s, G, x, w, bias, y, n);
      continue;
    }
    for (int64_t grp = 0; grp < s.groups; grp++) {
      float* yg = y + (n * s.c_out + grp * G.cOutG) * G.HW;
      // 1. y = bias (then accumulate), 2. im2col, 3. y += W_g [cOutG, K] x col [K, HW].
      if (bias)
        for (int64_t co = 0; co < G.cOutG; co++) {
          const float b0 = bias[grp * G.cOutG + co];
          for (int64_t i = 0; i < G.HW; i++) yg[co * G.HW + i] = b0;
        }
      const float* cp = col;
      if (G.pointwise) cp = x + (n * s.c_in + grp * G.cInG) * G.plane;
      else im2col<V>(s, G, x, n, grp, col);
      GemmParams P{G.cOutG, G.HW, G.K, w + grp * G.cOutG * G.K, G.K, 1, cp, G.HW, 1, yg, G.HW, bias != nullptr};
      gemm_impl<V>(P);
    }
  }
}

template <class V>
inline void conv_backward_input_impl(const ConvShape& s, const float* g, const float* w, float* dx, int64_t n0,
                                     int64_t n1) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
  const ConvGeom G(s);
  float* colg = (G.cInG == 1 || G.pointwise) ? nullptr : scratch_of<float>(3, (size_t)(G.K * G.HW));
  for (int64_t n = n0; n < n1; n++) {
    float* dxn = dx + n * s.c_in * G.plane;
    if (!G.pointwise) std::memset(dxn, 0, sizeof(float) * (size_t)(s.c_in * G.plane));
    for (int64_t grp = 0; grp < s.groups; grp++) {
      const float* gg = g + (n * s.c_out + grp * G.cOutG) * G.HW;
      const float* wg = w + grp * G.cOutG * G.K;
      if (G.cInG == 1 && s.stride == 1) {
        // Depthwise, stride 1: dx = correlation of the (kh-1, kw-1)-padded g plane with the flipped
        // kernel, summed over the group's output channels; a vector of dx columns stays in a register.
        float* xp = dx + (n * s.c_in + grp) * G.plane;
        const int64_t gh = s.h_out + 2 * (s.kh - 1), gw = s.w_out + 2 * (s.kw - 1);
        float* Gp = scratch_of<float>(3, (size_t)(gh * gw));
        for (int64_t co = 0; co < G.cOutG; co++) {
          const float* wk = wg + co * s.kh * s.kw;
          pad_plane(gg + co * G.HW, s.h_out, s.w_out, 0, Gp, gw, s.kh - 1, s.kw - 1);
          for (int64_t ih = 0; ih < s.h; ih++) {
            for (int64_t iw = 0; iw < s.w; iw += NL) {
              const int64_t cnt = imin(NL, s.w - iw);
              float* o = xp + ih * s.w + iw;
              F acc = co == 0 ? V::zero() : (cnt == NL ? V::load(o) : load_n<V>(o, cnt));
              for (int64_t rr = 0; rr < s.kh; rr++) {
                const float* pr = Gp + (ih + s.padding + rr) * gw + iw + s.padding;
                const float* wr = wk + (s.kh - 1 - rr) * s.kw + (s.kw - 1);
                for (int64_t cc = 0; cc < s.kw; cc++) {
                  const F gv = cnt == NL ? V::load(pr + cc) : load_n<V>(pr + cc, cnt);
                  acc = V::fma(V::set1(wr[-cc]), gv, acc);
                }
              }
              if (cnt == NL) V::store(o, acc);
              else store_n<V>(o, acc, cnt);
            }
          }
        }
        continue;
      }
      if (G.cInG == 1) {
        // Depthwise: dx row += w * g row, per output channel of the group and tap.
        float* xp = dx + (n * s.c_in + grp) * G.plane;
        for (int64_t co = 0; co < G.cOutG; co++) {
          const float* gp = gg + co * G.HW;
          const float* wk = wg + co * s.kh * s.kw;
          for (int64_t oh = 0; oh < s.h_out; oh++) {
            for (int64_t r = 0; r < s.kh; r++) {
              const int64_t ih = oh * s.stride - s.padding + r;
              if (ih < 0 || ih >= s.h) continue;
              for (int64_t c = 0; c < s.kw; c++) {
                int64_t lo, hi;
                valid_range(s.w, s.w_out, s.stride, s.padding, c, lo, hi);
                const float wv = wk[r * s.kw + c];
                float* xr = xp + ih * s.w - s.padding + c;
                const float* gr = gp + oh * s.w_out;
                if (s.stride == 1) {
                  if (hi > lo) axpy_n<V>(wv, gr + lo, xr + lo, hi - lo);
                } else {
                  for (int64_t ow = lo; ow < hi; ow++) xr[ow * s.stride] += wv * gr[ow];
                }
              }
            }
          }
        }
        continue;
      }
      // colg [K, HW] = W_g^T [K, cOutG] x g_g [cOutG, HW], then scatter back with col2im.
      float* target = G.pointwise ? dx + (n * s.c_in + grp * G.cInG) * G.plane : colg;
      GemmParams P{G.K, G.HW, G.cOutG, wg, 1, G.K, gg, G.HW, 1, target, G.HW, false};
      gemm_impl<V>(P);
      if (!G.pointwise) col2im_add<V>(s, G, colg, n, grp, dx);
    }
  }
}

template <class V>
inline void conv_backward_weight_impl(const ConvShape& s, const float* g, const float* x, float* dw, int64_t co0,
                                      int64_t co1) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
  const ConvGeom G(s);
  if (co1 <= co0) return;
  if (G.cInG == 1 && s.stride == 1 && s.kh * s.kw <= 64) {
    // Depthwise, stride 1: per image, one vector accumulator per tap over the padded input plane,
    // dw[co, r, c] += sum_{oh, ow} g[oh, ow] P[oh + r, ow + c]; images added in order, in double.
    const int64_t pw = s.w + 2 * s.padding, taps = s.kh * s.kw;
    float* P = scratch_of<float>(2, (size_t)((s.h + 2 * s.padding) * pw));
    F acc[64];
    double tot[64];
    for (int64_t co = co0; co < co1; co++) {
      const int64_t grp = co / G.cOutG;
      for (int64_t t = 0; t < taps; t++) tot[t] = 0.0;
      for (int64_t n = 0; n < s.n; n++) {
        pad_plane(x + (n * s.c_in + grp) * G.plane, s.h, s.w, s.padding, P);
        const float* gp = g + (n * s.c_out + co) * G.HW;
        for (int64_t t = 0; t < taps; t++) acc[t] = V::zero();
        for (int64_t oh = 0; oh < s.h_out; oh++) {
          for (int64_t ow = 0; ow < s.w_out; ow += NL) {
            const int64_t cnt = imin(NL, s.w_out - ow);
            const F gv = cnt == NL ? V::load(gp + oh * s.w_out + ow) : load_n<V>(gp + oh * s.w_out + ow, cnt);
            for (int64_t r = 0; r < s.kh; r++) {
              const float* pr = P + (oh + r) * pw + ow;
              for (int64_t c = 0; c < s.kw; c++) {
                const F xv = cnt == NL ? V::load(pr + c) : load_n<V>(pr + c, cnt);
                acc[r * s.kw + c] = V::fma(gv, xv, acc[r * s.kw + c]);
              }
            }
          }
        }
        for (int64_t t = 0; t < taps; t++) tot[t] += (double)V::reduce_add(acc[t]);
      }
      for (int64_t t = 0; t < taps; t++) dw[co * taps + t] = (float)tot[t];
    }
    return;
  }
  if (G.cInG == 1) {
    // Depthwise: dw[co, r, c] = sum_n sum_oh <g row, shifted x row>.
    for (int64_t co = co0; co < co1; co++) {
      const int64_t grp = co / G.cOutG;
      for (int64_t r = 0; r < s.kh; r++) {
        for (int64_t c = 0; c < s.kw; c++) {
          int64_t lo, hi;
          valid_range(s.w, s.w_out, s.stride, s.padding, c, lo, hi);
          double acc = 0;
          for (int64_t n = 0; n < s.n; n++) {
            const float* gp = g + (n * s.c_out + co) * G.HW;
            const float* xp = x + (n * s.c_in + grp) * G.plane;
            for (int64_t oh = 0; oh < s.h_out; oh++) {
              const int64_t ih = oh * s.stride - s.padding + r;
              if (ih < 0 || ih >= s.h || hi <= lo) continue;
              const float* xr = xp + ih * s.w - s.padding + c;
              const float* gr = gp + oh * s.w_out;
              if (s.stride == 1) {
                acc += ddot<V>(gr + lo, xr + lo, hi - lo);
              } else {
                float a = 0;
                for (int64_t ow = lo; ow < hi; ow++) a += gr[ow] * xr[ow * s.stride];
                acc += a;
              }
            }
          }
          dw[(co * s.kh + r) * s.kw + c] = (float)acc;
        }
      }
    }
    return;
  }
  float* col = G.pointwise ? nullptr : scratch_of<float>(2, (size_t)(G.K * G.HW));
  // Groups intersecting [co0, co1): dw rows += g rows [rows, HW] x col^T [HW, K], image by image.
  for (int64_t grp = co0 / G.cOutG; grp * G.cOutG < co1; grp++) {
    const int64_t lo = imax(co0, grp * G.cOutG), hi = imin(co1, (grp + 1) * G.cOutG);
    for (int64_t n = 0; n < s.n; n++) {
      const float* cp = col;
      if (G.pointwise) cp = x + (n * s.c_in + grp * G.cInG) * G.plane;
      else im2col<V>(s, G, x, n, grp, col);
      GemmParams P{hi - lo, G.K, G.HW, g + (n * s.c_out + lo) * G.HW, G.HW, 1, cp, 1, G.HW, dw + lo * G.K, G.K, n > 0};
      gemm_impl<V>(P);
    }
  }
}

template <class V>
inline void conv_backward_bias_impl(const ConvShape& s, const float* g, float* dbias, int64_t co0, int64_t co1) {
  const int64_t HW = s.h_out * s.w_out;
  for (int64_t co = co0; co < co1; co++) {
    double acc = 0;
    for (int64_t n = 0; n < s.n; n++) acc += dsum<V>(g + (n * s.c_out + co) * HW, HW);
    dbias[co] = (float)acc;
  }
}

// ---- the kernels (kernel_list.h) ---------------------------------------------------------------

template <class V>
void conv2d_forward(const Conv2dParams& p, int64_t n0, int64_t n1) {
  conv_forward_impl<V>(p.s, p.x, p.w, p.bias, p.y, n0, n1);
}
template <class V>
void conv2d_backward_input(const Conv2dBackwardParams& p, int64_t n0, int64_t n1) {
  conv_backward_input_impl<V>(p.s, p.g, p.w, p.dx, n0, n1);
}
template <class V>
void conv2d_backward_weight(const Conv2dBackwardParams& p, int64_t co0, int64_t co1) {
  conv_backward_weight_impl<V>(p.s, p.g, p.x, p.dw, co0, co1);
}
template <class V>
void conv2d_backward_bias(const Conv2dBackwardParams& p, int64_t co0, int64_t co1) {
  conv_backward_bias_impl<V>(p.s, p.g, p.dbias, co0, co1);
}

}  // namespace
}  // namespace simd
}  // namespace kd
