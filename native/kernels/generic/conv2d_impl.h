// conv2d forward / backward over the ISA vector type V: stride 1 (not depthwise, not a plain 1x1)
// direct on zero-padded planes through the GEMM micro-kernel (no im2col); other strides im2col onto
// the blocked GEMM (gemm_impl.h); 1x1 straight onto the GEMM; direct register-blocked loops for
// depthwise. Contract: ops.h Conv2dParams, Conv2dBackwardParams.
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

// ---- stride 1: direct on zero-padded planes, no im2col ----------------------------------------
//
// With the input planes zero-padded to [hp, wp] and stored one after another, the output at flat
// position q = oh*wp + ow reads input q + off[p] for every reduction index p = (ci, r, c),
// off[p] = ci*plane + r*wp + c. The forward pass, and the input gradient (a stride-1 convolution of
// the padded output gradient with the flipped, transposed kernel), are then C[M, q] = A[M, K] B[K, q]
// with the rows of B read in place by the GEMM micro-kernel (gemm_micro_rows): no im2col, no B
// packing. Every flat q is computed; the wp - w_out columns past each row's end are dropped when C
// is stored. The weight gradient reduces over the valid output columns only (masked tails), so a
// padding or dropped column never multiplies an input.

/** c planes [h, w] zero-padded by ph rows and pw columns on each side, then `slack` zeros. */
struct PaddedPlanes {
  int64_t c, h, w, ph, pw, hp, wp, plane, slack;
  PaddedPlanes(int64_t c_, int64_t h_, int64_t w_, int64_t ph_, int64_t pw_, int64_t slack_)
      : c(c_), h(h_), w(w_), ph(ph_), pw(pw_), hp(h_ + 2 * ph_), wp(w_ + 2 * pw_), plane((h_ + 2 * ph_) * (w_ + 2 * pw_)),
        slack(slack_) {}
  int64_t floats() const { return c * plane + slack; }
  /** The padded copy of the planes at src (plane stride h*w). */
  void fill(const float* src, float* P) const {
    for (int64_t ci = 0; ci < c; ci++) pad_plane(src + ci * h * w, h, w, 0, P + ci * plane, wp, ph, pw);
    if (slack > 0) std::memset(P + c * plane, 0, sizeof(float) * (size_t)slack);
  }
  /** off[p] for p = (ci, r, c) over kh x kw taps. */
  void offsets(int64_t kh, int64_t kw, int64_t* off) const {
    for (int64_t ci = 0; ci < c; ci++)
      for (int64_t r = 0; r < kh; r++)
        for (int64_t cc = 0; cc < kw; cc++) *off++ = ci * plane + r * wp + cc;
  }
};

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

/**
 * C [round_up(M, MR), Qn] = packed A [M, K] x B (row p: P + off[p] + q), Qn a multiple of NR; K in
 * equal slices of at most 384 so that one tile's B rows (NR floats each) stay in L1.
 */
template <class V>
inline void conv_direct_gemm(const float* apack, int64_t M, int64_t K, const float* P, const int64_t* off, int64_t Qn,
                             float* cbuf) {
  constexpr int64_t MR = V::kGemmMR, NR = V::kGemmNV * V::N;
  const int64_t slices = (K + 383) / 384, KC = (K + slices - 1) / slices;
  for (int64_t pc = 0; pc < K; pc += KC) {
    const int64_t kc = imin(KC, K - pc);
    const int64_t* o = off + pc;
    for (int64_t jr = 0; jr < Qn; jr += NR) {
      const float* base = P + jr;
      for (int64_t ir = 0; ir < M; ir += MR)
        gemm_micro_rows<V>(kc, apack + ir * K + pc * MR, [base, o](int64_t p) { return base + o[p]; },
                           cbuf + ir * Qn + jr, Qn, pc > 0, MR, NR);
    }
  }
}

/** out[m, oh, ow] = cbuf[m, oh*wp + ow] (+ bias[m]) for m < M, oh < ho, ow < wo. */
template <class V>
inline void conv_direct_store(const float* cbuf, int64_t M, int64_t Qn, int64_t wp, int64_t ho, int64_t wo,
                              const float* bias, float* out) {
  constexpr int64_t NL = V::N;
  for (int64_t m = 0; m < M; m++) {
    const auto b = V::set1(bias ? bias[m] : 0.0f);
    for (int64_t oh = 0; oh < ho; oh++) {
      const float* src = cbuf + m * Qn + oh * wp;
      float* dst = out + (m * ho + oh) * wo;
      int64_t i = 0;
      for (; i + NL <= wo; i += NL) V::store(dst + i, V::add(V::load(src + i), b));
      if (i < wo) store_n<V>(dst + i, V::add(load_n<V>(src + i, wo - i), b), wo - i);
    }
  }
}

/** Stride 1, not depthwise, not 1x1 without padding: the direct path serves this shape. */
inline bool conv_direct(const ConvShape& s, const ConvGeom& G) {
  return s.stride == 1 && !G.pointwise && (s.groups == 1 || G.cInG > 1);
}

template <class V>
inline void conv_forward_direct(const ConvShape& s, const ConvGeom& G, const float* x, const float* w,
                                const float* bias, float* y, int64_t n0, int64_t n1) {
  constexpr int64_t MR = V::kGemmMR, NR = V::kGemmNV * V::N;
  const PaddedPlanes L(G.cInG, s.h, s.w, s.padding, s.padding, NR + s.kw);
  const int64_t Qn = round_up(s.h_out * L.wp, NR), Mp = round_up(G.cOutG, MR);
  int64_t* off = scratch_of<int64_t>(0, (size_t)G.K);
  float* apack = scratch_of<float>(1, (size_t)(Mp * G.K));
  float* P = scratch_of<float>(2, (size_t)L.floats());
  float* cbuf = scratch_of<float>(3, (size_t)(Mp * Qn));
  L.offsets(s.kh, s.kw, off);
  for (int64_t grp = 0; grp < s.groups; grp++) {
    const GemmParams A{G.cOutG, 0, G.K, w + grp * G.cOutG * G.K, G.K, 1, nullptr, 0, 0, nullptr, 0, false};
    gemm_pack_a<V>(A, 0, G.cOutG, 0, G.K, apack);
    for (int64_t n = n0; n < n1; n++) {
      L.fill(x + (n * s.c_in + grp * G.cInG) * G.plane, P);
      conv_direct_gemm<V>(apack, G.cOutG, G.K, P, off, Qn, cbuf);
      conv_direct_store<V>(cbuf, G.cOutG, Qn, L.wp, s.h_out, s.w_out, bias ? bias + grp * G.cOutG : nullptr,
                           y + (n * s.c_out + grp * G.cOutG) * G.HW);
    }
  }
}

/** dx: the padded g planes (kh-1-pad, kw-1-pad) convolved with w flipped and transposed. */
template <class V>
inline void conv_backward_input_direct(const ConvShape& s, const ConvGeom& G, const float* g, const float* w,
                                       float* dx, int64_t n0, int64_t n1) {
  constexpr int64_t MR = V::kGemmMR, NR = V::kGemmNV * V::N;
  const int64_t taps = s.kh * s.kw, K = G.cOutG * taps;
  const PaddedPlanes L(G.cOutG, s.h_out, s.w_out, s.kh - 1 - s.padding, s.kw - 1 - s.padding, NR + s.kw);
  const int64_t Qn = round_up(s.h * L.wp, NR), Mp = round_up(G.cInG, MR);
  int64_t* off = scratch_of<int64_t>(0, (size_t)K);
  float* apack = scratch_of<float>(1, (size_t)(Mp * K));
  float* P = scratch_of<float>(2, (size_t)L.floats());
  float* cbuf = scratch_of<float>(3, (size_t)(Mp * Qn));
  L.offsets(s.kh, s.kw, off);
  for (int64_t grp = 0; grp < s.groups; grp++) {
    // A[ci, (co, t)] = w[grp*cOutG + co, ci, taps-1-t], packed in MR-tall strips [K][MR], zero-padded.
    const float* wg = w + grp * G.cOutG * G.K;
    for (int64_t i0 = 0; i0 < Mp; i0 += MR)
      for (int64_t p = 0; p < K; p++) {
        const int64_t co = p / taps, t = p % taps;
        for (int64_t i = 0; i < MR; i++)
          apack[i0 * K + p * MR + i] = i0 + i < G.cInG ? wg[(co * G.cInG + i0 + i) * taps + taps - 1 - t] : 0.0f;
      }
    for (int64_t n = n0; n < n1; n++) {
      L.fill(g + (n * s.c_out + grp * G.cOutG) * G.HW, P);
      conv_direct_gemm<V>(apack, G.cInG, K, P, off, Qn, cbuf);
      conv_direct_store<V>(cbuf, G.cInG, Qn, L.wp, s.h, s.w, nullptr, dx + (n * s.c_in + grp * G.cInG) * G.plane);
    }
  }
}

/** True when the n floats at x are all finite (x - x is 0 exactly then, NaN otherwise). */
template <class V>
inline bool all_finite(const float* x, int64_t n) {
  constexpr int64_t NL = V::N;
  auto a = V::zero();
  int64_t i = 0;
  for (; i + NL <= n; i += NL) a = V::add(a, V::sub(V::load(x + i), V::load(x + i)));
  for (; i < n; i++)
    if (!(x[i] - x[i] == 0.0f)) return false;
  return V::reduce_add(a) == 0.0f;
}

/**
 * dw[co, p] = sum over images and outputs (oh, ow) of g[co, oh, ow] * padded x at oh*wp + ow + off[p]:
 * register blocks of 4 output channels x 3 taps (edge blocks repeat their last row / tap and drop
 * it), vector lanes over output positions, images padded a chunk at a time (about 128 KiB). When
 * there are at least 32 taps and the chunk's inputs are all finite, g is copied to the padded row stride with zeros in the dropped
 * columns and each image is one flat run of full vectors; otherwise each output row runs on its own
 * with a masked tail, so that no padding or dropped column multiplies an input (0 * inf would be a
 * NaN that the reference does not have). Each chunk's lane sums are added to a double total in
 * image order, whatever the channel split (both runs give the same sums up to rounding).
 */
template <class V>
inline void conv_backward_weight_direct(const ConvShape& s, const ConvGeom& G, const float* g, const float* x,
                                        float* dw, int64_t co0, int64_t co1) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
  constexpr int CB = 4, TB = 3;
  const PaddedPlanes L(G.cInG, s.h, s.w, s.padding, s.padding, NL + s.kw);
  const int64_t K = G.K, img = L.floats(), Qf = round_up(s.h_out * L.wp, NL);
  const int64_t NB = imin(s.n, imax(1, 32768 / img)), ncMax = imin(co1 - co0, G.cOutG);
  int64_t* off = scratch_of<int64_t>(0, (size_t)K);
  double* tot = scratch_of<double>(1, (size_t)((co1 - co0) * K));
  float* P = scratch_of<float>(2, (size_t)(NB * img));
  float* gF = scratch_of<float>(3, (size_t)(NB * ncMax * Qf));
  L.offsets(s.kh, s.kw, off);
  for (int64_t e = 0; e < (co1 - co0) * K; e++) tot[e] = 0.0;
  for (int64_t grp = co0 / G.cOutG; grp * G.cOutG < co1; grp++) {
    const int64_t lo = imax(co0, grp * G.cOutG), hi = imin(co1, (grp + 1) * G.cOutG), nc = hi - lo;
    for (int64_t nb0 = 0; nb0 < s.n; nb0 += NB) {
      const int64_t nb = imin(NB, s.n - nb0);
      bool flat = K >= 32;  // below, copying g costs more than the masked tails
      for (int64_t i = 0; i < nb; i++) {
        const float* xi = x + ((nb0 + i) * s.c_in + grp * G.cInG) * G.plane;
        L.fill(xi, P + i * img);
        if (flat) flat = all_finite<V>(xi, G.cInG * G.plane);
      }
      // The runs: `rows` rows of `len` outputs per image, P / g row strides, g's image and channel strides.
      const int64_t rows = flat ? 1 : s.h_out, len = flat ? Qf : s.w_out, prs = flat ? 0 : L.wp;
      const int64_t grs = flat ? 0 : s.w_out, gis = flat ? nc * Qf : s.c_out * G.HW, gcs = flat ? Qf : G.HW;
      const float* gb = flat ? gF : g + (nb0 * s.c_out + lo) * G.HW;
      if (flat)
        for (int64_t i = 0; i < nb; i++)
          for (int64_t c = 0; c < nc; c++) {
            float* d = gF + (i * nc + c) * Qf;
            const float* src = g + ((nb0 + i) * s.c_out + lo + c) * G.HW;
            for (int64_t oh = 0; oh < s.h_out; oh++) {
              copy_n<V>(d + oh * L.wp, src + oh * s.w_out, s.w_out);
              zero_n<V>(d + oh * L.wp + s.w_out, L.wp - s.w_out);
            }
            zero_n<V>(d + s.h_out * L.wp, Qf - s.h_out * L.wp);
          }
      for (int64_t cb = lo; cb < hi; cb += CB) {
        const float* gc[CB];
        for (int i = 0; i < CB; i++) gc[i] = gb + (imin(cb + i, hi - 1) - lo) * gcs;
        for (int64_t t0 = 0; t0 < K; t0 += TB) {
          int64_t o[TB];
          for (int j = 0; j < TB; j++) o[j] = off[imin(t0 + j, K - 1)];
          F acc[CB][TB];
          for (int i = 0; i < CB; i++)
            for (int j = 0; j < TB; j++) acc[i][j] = V::zero();
          for (int64_t im = 0; im < nb; im++) {
            const float* pb = P + im * img;
            for (int64_t r = 0; r < rows; r++) {
              const float* pr = pb + r * prs;
              const int64_t gr = im * gis + r * grs;
              int64_t ow = 0;
              for (; ow + NL <= len; ow += NL) {
                F pv[TB];
                for (int j = 0; j < TB; j++) pv[j] = V::load(pr + o[j] + ow);
                for (int i = 0; i < CB; i++) {
                  const F gv = V::load(gc[i] + gr + ow);
                  for (int j = 0; j < TB; j++) acc[i][j] = V::fma(gv, pv[j], acc[i][j]);
                }
              }
              if (ow < len) {
                const int64_t m = len - ow;
                F pv[TB];
                for (int j = 0; j < TB; j++) pv[j] = load_n<V>(pr + o[j] + ow, m);
                for (int i = 0; i < CB; i++) {
                  const F gv = load_n<V>(gc[i] + gr + ow, m);
                  for (int j = 0; j < TB; j++) acc[i][j] = V::fma(gv, pv[j], acc[i][j]);
                }
              }
            }
          }
          for (int i = 0; i < CB && cb + i < hi; i++)
            for (int j = 0; j < TB && t0 + j < K; j++) tot[(cb + i - co0) * K + t0 + j] += (double)V::reduce_add(acc[i][j]);
        }
      }
    }
  }
  for (int64_t co = co0; co < co1; co++)
    for (int64_t p = 0; p < K; p++) dw[co * K + p] = (float)tot[(co - co0) * K + p];
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
  if (conv_direct(s, G)) {
    conv_forward_direct<V>(s, G, x, w, bias, y, n0, n1);
    return;
  }
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
  if (conv_direct(s, G) && s.padding < s.kh && s.padding < s.kw) {
    conv_backward_input_direct<V>(s, G, g, w, dx, n0, n1);
    return;
  }
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
  if (conv_direct(s, G)) {
    conv_backward_weight_direct<V>(s, G, g, x, dw, co0, co1);
    return;
  }
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
