// Generic SIMD bodies of the training-op kernels, written once against the ISA's vector type `V`
// (native/kernels/<isa>/vec_<isa>.h, shared with the loss kernels: AVX2 8 lanes, AVX-512 16, NEON 4)
// and instantiated by each ISA's <op>_<isa>.cc, which wraps one of these in its exported
// kd_<op>_<isa> function.
//
// Everything here has internal linkage (anonymous namespace): each ISA translation unit gets its own
// copy compiled with its own flags, and the linker can never hand one ISA's code to another.
// Tails (sizes not a multiple of the vector width) go through the same vector code on a
// zero-padded lane buffer, so a tail element is computed exactly like a body element.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "../dispatch/thread_pool.h"
#include "ops.h"

namespace {

using namespace kd;
using F = V::R;
using I = V::I;
using M = V::M;
constexpr int64_t NL = V::N;

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

// Partial vectors for tails: 0 < n < V::N lanes (masked loads / stores where the ISA has them).
inline F load_n(const float* p, int64_t n) { return V::load_part(p, n); }
inline void store_n(float* p, F v, int64_t n) { V::store_part(p, v, n); }

// ---- vector math ------------------------------------------------------------------------------

/** NaN-propagating max / min (torch.maximum / Math.max): NaN if either operand is NaN. */
inline F max_nan(F a, F b) { return V::select(V::isnan(a), a, V::max(a, b)); }
inline F min_nan(F a, F b) { return V::select(V::isnan(a), a, V::min(a, b)); }

/**
 * exp(x), Cephes expf polynomial (about 1 ulp): 1. x = n ln2 + r, |r| <= ln2/2 (ln2 split in two);
 * 2. exp(r) by a degree-6 polynomial; 3. times 2^n applied as 2^(n/2) 2^(n - n/2), so results
 * that are subnormal or overflow come out right. exp(-inf) = 0, exp(inf) = inf, NaN stays NaN.
 */
inline F vexp(F x) {
  F xc = V::min(V::max(x, V::set1(-104.0f)), V::set1(89.0f));
  F n = V::round(V::mul(xc, V::set1(1.44269504088896341f)));
  F r = V::fma(n, V::set1(-0.693359375f), xc);
  r = V::fma(n, V::set1(2.12194440e-4f), r);
  F p = V::set1(1.9875691500e-4f);
  p = V::fma(p, r, V::set1(1.3981999507e-3f));
  p = V::fma(p, r, V::set1(8.3334519073e-3f));
  p = V::fma(p, r, V::set1(4.1665795894e-2f));
  p = V::fma(p, r, V::set1(1.6666665459e-1f));
  p = V::fma(p, r, V::set1(5.0000001201e-1f));
  F y = V::fma(V::mul(p, r), r, V::add(r, V::set1(1.0f)));
  I ni = V::cvt_round(n);
  I n1 = V::isra<1>(ni);
  I n2 = V::isub(ni, n1);
  F s1 = V::from_bits(V::isll<23>(V::iadd(n1, V::iset1(127))));
  F s2 = V::from_bits(V::isll<23>(V::iadd(n2, V::iset1(127))));
  y = V::mul(V::mul(y, s1), s2);
  return V::select(V::isnan(x), x, y);
}

/**
 * log(x), Cephes logf (about 1 ulp): 1. x = 2^e m, m in [sqrt(1/2), sqrt(2)) (subnormals scaled by
 * 2^23 first); 2. log(m) by a degree-9 polynomial in m - 1; 3. + e ln2 (split in two).
 * log(0) = -inf, log(x < 0) = NaN, log(inf) = inf, NaN stays NaN.
 */
inline F vlog(F x) {
  M sub = V::lt(x, V::set1(1.17549435e-38f));
  F xs = V::select(sub, V::mul(x, V::set1(8388608.0f)), x);
  I b = V::bits(xs);
  F ef = V::cvt_f(V::isub(V::isrl<23>(b), V::iset1(126)));
  ef = V::sub(ef, V::mask_and(sub, V::set1(23.0f)));
  F m = V::from_bits(V::ior(V::iand(b, V::iset1(0x007fffff)), V::iset1(0x3f000000)));
  M small = V::lt(m, V::set1(0.707106781186547524f));
  ef = V::sub(ef, V::mask_and(small, V::set1(1.0f)));
  F t = V::mask_and(small, m);
  m = V::add(V::sub(m, V::set1(1.0f)), t);
  F z = V::mul(m, m);
  F p = V::set1(7.0376836292e-2f);
  p = V::fma(p, m, V::set1(-1.1514610310e-1f));
  p = V::fma(p, m, V::set1(1.1676998740e-1f));
  p = V::fma(p, m, V::set1(-1.2420140846e-1f));
  p = V::fma(p, m, V::set1(1.4249322787e-1f));
  p = V::fma(p, m, V::set1(-1.6668057665e-1f));
  p = V::fma(p, m, V::set1(2.0000714765e-1f));
  p = V::fma(p, m, V::set1(-2.4999993993e-1f));
  p = V::fma(p, m, V::set1(3.3333331174e-1f));
  F y = V::mul(V::mul(p, m), z);
  y = V::fma(ef, V::set1(-2.12194440e-4f), y);
  y = V::fma(z, V::set1(-0.5f), y);
  F res = V::add(m, y);
  res = V::fma(ef, V::set1(0.693359375f), res);
  // Special values.
  const float inf = INFINITY;
  res = V::select(V::gt(x, V::set1(3.40282347e38f)), x, res);                        // +inf
  res = V::select(V::gt(x, V::zero()), res, V::set1(NAN));                           // x <= 0, NaN
  res = V::select(V::lt(V::abs(x), V::set1(1.401298464e-45f)), V::set1(-inf), res);  // +-0
  return res;
}

/** Sum of n floats: float vector lanes over blocks of 1024, blocks added in double. */
inline double dsum(const float* x, int64_t n) {
  double total = 0;
  for (int64_t b = 0; b < n; b += 1024) {
    const int64_t e = imin(n, b + 1024);
    F a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
    int64_t i = b;
    for (; i + 4 * NL <= e; i += 4 * NL) {
      a0 = V::add(a0, V::load(x + i));
      a1 = V::add(a1, V::load(x + i + NL));
      a2 = V::add(a2, V::load(x + i + 2 * NL));
      a3 = V::add(a3, V::load(x + i + 3 * NL));
    }
    for (; i + NL <= e; i += NL) a0 = V::add(a0, V::load(x + i));
    if (i < e) a1 = V::add(a1, load_n(x + i, e - i));
    total += (double)V::reduce_add(V::add(V::add(a0, a1), V::add(a2, a3)));
  }
  return total;
}

/** Dot product of n floats, blocked like dsum. */
inline double ddot(const float* x, const float* y, int64_t n) {
  double total = 0;
  for (int64_t b = 0; b < n; b += 1024) {
    const int64_t e = imin(n, b + 1024);
    F a0 = V::zero(), a1 = V::zero();
    int64_t i = b;
    for (; i + 2 * NL <= e; i += 2 * NL) {
      a0 = V::fma(V::load(x + i), V::load(y + i), a0);
      a1 = V::fma(V::load(x + i + NL), V::load(y + i + NL), a1);
    }
    for (; i + NL <= e; i += NL) a0 = V::fma(V::load(x + i), V::load(y + i), a0);
    if (i < e) a1 = V::fma(load_n(x + i, e - i), load_n(y + i, e - i), a1);
    total += (double)V::reduce_add(V::add(a0, a1));
  }
  return total;
}

/** y[0, n) += a * x[0, n). */
inline void axpy(float a, const float* x, float* y, int64_t n) {
  const F va = V::set1(a);
  int64_t i = 0;
  for (; i + NL <= n; i += NL) V::store(y + i, V::fma(va, V::load(x + i), V::load(y + i)));
  if (i < n) store_n(y + i, V::fma(va, load_n(x + i, n - i), load_n(y + i, n - i)), n - i);
}

/** dst[0, n) = src[0, n) / = 0 with vector stores (short rows: cheaper than a memcpy call). */
inline void copy_n(float* dst, const float* src, int64_t n) {
  int64_t i = 0;
  for (; i + NL <= n; i += NL) V::store(dst + i, V::load(src + i));
  if (i < n) store_n(dst + i, load_n(src + i, n - i), n - i);
}
inline void zero_n(float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + NL <= n; i += NL) V::store(dst + i, V::zero());
  if (i < n) store_n(dst + i, V::zero(), n - i);
}

// ---- GEMM ---------------------------------------------------------------------------------------

constexpr int MR = V::kGemmMR;
constexpr int NV = V::kGemmNV;
constexpr int NR = NV * V::N;
constexpr int64_t KC = 256;
constexpr int64_t MC = MR * 16;
constexpr int64_t NC = NR * 128;

/** C[mr, nr] (=|+=) A-strip [kc, MR] x B-strip [kc, NR], accumulators in registers. */
inline void gemm_micro(int64_t kc, const float* __restrict ap, const float* __restrict bp, float* c,
                       int64_t ldc, bool acc, int64_t mr, int64_t nr) {
  F r[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) r[i][v] = V::zero();
  for (int64_t p = 0; p < kc; p++) {
    F b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) b[v] = V::load(bp + v * V::N);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const F a = V::set1(ap[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) r[i][v] = V::fma(a, b[v], r[i][v]);
    }
    ap += MR;
    bp += NR;
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        float* cp = c + i * ldc + v * V::N;
        V::store(cp, acc ? V::add(V::load(cp), r[i][v]) : r[i][v]);
      }
  } else {
    alignas(64) float t[MR * NR];
    for (int i = 0; i < MR; i++)
      for (int v = 0; v < NV; v++) V::store(t + i * NR + v * V::N, r[i][v]);
    for (int64_t i = 0; i < mr; i++)
      for (int64_t j = 0; j < nr; j++) c[i * ldc + j] = acc ? c[i * ldc + j] + t[i * NR + j] : t[i * NR + j];
  }
}

/** Pack op(B)[pc : pc+kc, jc : jc+nc] into NR-wide strips, [kc][NR] each, zero-padded. */
inline void gemm_pack_b(const GemmParams& P, int64_t pc, int64_t kc, int64_t jc, int64_t nc, float* bp) {
  for (int64_t j0 = 0; j0 < nc; j0 += NR) {
    const int64_t nr = imin(NR, nc - j0);
    float* dst = bp + j0 * kc;
    const float* src = P.b + pc * P.b_rs + (jc + j0) * P.b_cs;
    if (P.b_cs == 1) {
      for (int64_t p = 0; p < kc; p++) {
        const float* s = src + p * P.b_rs;
        float* d = dst + p * NR;
        if (nr == NR) {
          for (int v = 0; v < NV; v++) V::store(d + v * V::N, V::load(s + v * V::N));
        } else {
          for (int64_t j = 0; j < nr; j++) d[j] = s[j];
          for (int64_t j = nr; j < NR; j++) d[j] = 0.0f;
        }
      }
    } else {
      // Strided columns (transposed B): a cache-blocked transpose, 16 depths at a time, so the
      // written lines stay in L1 while every source row is read sequentially.
      for (int64_t p0 = 0; p0 < kc; p0 += 16) {
        const int64_t p1 = imin(kc, p0 + 16);
        for (int64_t j = 0; j < nr; j++) {
          const float* s = src + j * P.b_cs;
          for (int64_t p = p0; p < p1; p++) dst[p * NR + j] = s[p * P.b_rs];
        }
      }
      for (int64_t j = nr; j < NR; j++)
        for (int64_t p = 0; p < kc; p++) dst[p * NR + j] = 0.0f;
    }
  }
}

/** Pack op(A)[ic : ic+mc, pc : pc+kc] into MR-tall strips, [kc][MR] each, zero-padded. */
inline void gemm_pack_a(const GemmParams& P, int64_t ic, int64_t mc, int64_t pc, int64_t kc, float* ap) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR) {
    const int64_t mr = imin(MR, mc - i0);
    float* dst = ap + i0 * kc;
    const float* src = P.a + (ic + i0) * P.a_rs + pc * P.a_cs;
    if (P.a_rs == 1 && mr == MR) {
      for (int64_t p = 0; p < kc; p++) {
        const float* s = src + p * P.a_cs;
        for (int i = 0; i < MR; i++) dst[p * MR + i] = s[i];
      }
    } else {
      for (int64_t p0 = 0; p0 < kc; p0 += 64) {
        const int64_t p1 = imin(kc, p0 + 64);
        for (int64_t i = 0; i < mr; i++) {
          const float* s = src + i * P.a_rs;
          for (int64_t p = p0; p < p1; p++) dst[p * MR + i] = s[p * P.a_cs];
        }
      }
      for (int64_t i = mr; i < MR; i++)
        for (int64_t p = 0; p < kc; p++) dst[p * MR + i] = 0.0f;
    }
  }
}

/**
 * Blocked GEMM (Goto / BLIS loop order): for each NC column panel and KC depth slice, pack the B
 * panel once, then for each MC row block pack A and sweep the MR x NR micro-kernel over it.
 * Every C element is the same chain of FMAs over p (per KC slice, slices added in order) wherever
 * it falls in the tiling, so splitting m or n across threads never changes a bit.
 */
inline void gemm_impl(const GemmParams& P) {
  if (P.m <= 0 || P.n <= 0) return;
  if (P.k <= 0) {
    if (!P.accumulate)
      for (int64_t i = 0; i < P.m; i++) std::memset(P.c + i * P.ldc, 0, sizeof(float) * P.n);
    return;
  }
  const int64_t ncMax = imin(NC, (P.n + NR - 1) / NR * NR);
  const int64_t kcMax = imin(KC, P.k);
  const int64_t mcMax = imin(MC, (P.m + MR - 1) / MR * MR);
  float* bpack = scratch_of<float>(0, (size_t)(kcMax * ncMax));
  float* apack = scratch_of<float>(1, (size_t)(mcMax * kcMax));
  for (int64_t jc = 0; jc < P.n; jc += NC) {
    const int64_t nc = imin(NC, P.n - jc);
    for (int64_t pc = 0; pc < P.k; pc += KC) {
      const int64_t kc = imin(KC, P.k - pc);
      const bool acc = P.accumulate || pc > 0;
      gemm_pack_b(P, pc, kc, jc, nc, bpack);
      for (int64_t ic = 0; ic < P.m; ic += MC) {
        const int64_t mc = imin(MC, P.m - ic);
        gemm_pack_a(P, ic, mc, pc, kc, apack);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          for (int64_t ir = 0; ir < mc; ir += MR) {
            gemm_micro(kc, apack + ir * kc, bpack + jr * kc, P.c + (ic + ir) * P.ldc + jc + jr, P.ldc, acc,
                       imin(MR, mc - ir), imin(NR, nc - jr));
          }
        }
      }
    }
  }
}

// ---- elementwise --------------------------------------------------------------------------------

template <BinaryOp OP>
inline F binop(F a, F b) {
  if (OP == BinaryOp::Add) return V::add(a, b);
  if (OP == BinaryOp::Sub) return V::sub(a, b);
  if (OP == BinaryOp::Mul) return V::mul(a, b);
  if (OP == BinaryOp::Div) return V::div(a, b);
  if (OP == BinaryOp::ReluGrad) return V::mask_and(V::gt(b, V::zero()), a);  // b > 0 ? a : 0
  if (OP == BinaryOp::Max) return max_nan(a, b);
  return min_nan(a, b);
}

/** One strided 2-D binary op: contiguous, broadcast-scalar-per-row or gathered operands. */
template <BinaryOp OP>
inline void binary_impl(const float* a, int64_t ars, int64_t acs, const float* b, int64_t brs, int64_t bcs,
                        float* out, int64_t ldo, int64_t rows, int64_t cols) {
  alignas(64) float ta[V::N], tb[V::N];
  for (int64_t i = 0; i < rows; i++) {
    const float* ap = a + i * ars;
    const float* bp = b + i * brs;
    float* op = out + i * ldo;
    int64_t j = 0;
    if (acs == 1 && bcs == 1) {
      for (; j + NL <= cols; j += NL) V::store(op + j, binop<OP>(V::load(ap + j), V::load(bp + j)));
      if (j < cols) store_n(op + j, binop<OP>(load_n(ap + j, cols - j), load_n(bp + j, cols - j)), cols - j);
    } else if (acs == 1 && bcs == 0) {
      const F vb = V::set1(bp[0]);
      for (; j + NL <= cols; j += NL) V::store(op + j, binop<OP>(V::load(ap + j), vb));
      if (j < cols) store_n(op + j, binop<OP>(load_n(ap + j, cols - j), vb), cols - j);
    } else if (acs == 0 && bcs == 1) {
      const F va = V::set1(ap[0]);
      for (; j + NL <= cols; j += NL) V::store(op + j, binop<OP>(va, V::load(bp + j)));
      if (j < cols) store_n(op + j, binop<OP>(va, load_n(bp + j, cols - j)), cols - j);
    } else {
      for (; j < cols; j += NL) {
        const int64_t n = imin(NL, cols - j);
        for (int64_t l = 0; l < n; l++) {
          ta[l] = ap[(j + l) * acs];
          tb[l] = bp[(j + l) * bcs];
        }
        for (int64_t l = n; l < NL; l++) ta[l] = tb[l] = 0.0f;
        const F r = binop<OP>(V::load(ta), V::load(tb));
        if (n == NL) V::store(op + j, r);
        else store_n(op + j, r, n);
      }
    }
  }
}

inline void binary_dispatch(BinaryOp op, const float* a, int64_t ars, int64_t acs, const float* b, int64_t brs,
                            int64_t bcs, float* out, int64_t ldo, int64_t rows, int64_t cols) {
  switch (op) {
    case BinaryOp::Add: return binary_impl<BinaryOp::Add>(a, ars, acs, b, brs, bcs, out, ldo, rows, cols);
    case BinaryOp::Sub: return binary_impl<BinaryOp::Sub>(a, ars, acs, b, brs, bcs, out, ldo, rows, cols);
    case BinaryOp::Mul: return binary_impl<BinaryOp::Mul>(a, ars, acs, b, brs, bcs, out, ldo, rows, cols);
    case BinaryOp::Div: return binary_impl<BinaryOp::Div>(a, ars, acs, b, brs, bcs, out, ldo, rows, cols);
    case BinaryOp::ReluGrad: return binary_impl<BinaryOp::ReluGrad>(a, ars, acs, b, brs, bcs, out, ldo, rows, cols);
    case BinaryOp::Max: return binary_impl<BinaryOp::Max>(a, ars, acs, b, brs, bcs, out, ldo, rows, cols);
    default: return binary_impl<BinaryOp::Min>(a, ars, acs, b, brs, bcs, out, ldo, rows, cols);
  }
}

template <UnaryOp OP>
inline F unop(F x) {
  if (OP == UnaryOp::Relu) return max_nan(x, V::zero());
  if (OP == UnaryOp::Exp) return vexp(x);
  if (OP == UnaryOp::Log) return vlog(x);
  if (OP == UnaryOp::Neg) return V::neg(x);
  if (OP == UnaryOp::Square) return V::mul(x, x);
  if (OP == UnaryOp::Sqrt) return V::sqrt(x);
  return V::abs(x);
}

template <UnaryOp OP>
inline void unary_impl(const float* x, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + NL <= n; i += NL) V::store(out + i, unop<OP>(V::load(x + i)));
  if (i < n) store_n(out + i, unop<OP>(load_n(x + i, n - i)), n - i);
}

inline void unary_dispatch(UnaryOp op, const float* x, float* out, int64_t n) {
  switch (op) {
    case UnaryOp::Relu: return unary_impl<UnaryOp::Relu>(x, out, n);
    case UnaryOp::Exp: return unary_impl<UnaryOp::Exp>(x, out, n);
    case UnaryOp::Log: return unary_impl<UnaryOp::Log>(x, out, n);
    case UnaryOp::Neg: return unary_impl<UnaryOp::Neg>(x, out, n);
    case UnaryOp::Square: return unary_impl<UnaryOp::Square>(x, out, n);
    case UnaryOp::Sqrt: return unary_impl<UnaryOp::Sqrt>(x, out, n);
    default: return unary_impl<UnaryOp::Abs>(x, out, n);
  }
}

inline void affine_impl(const float* x, float* out, int64_t n, float alpha, float beta) {
  const F va = V::set1(alpha), vb = V::set1(beta);
  int64_t i = 0;
  for (; i + NL <= n; i += NL) V::store(out + i, V::fma(va, V::load(x + i), vb));
  if (i < n) store_n(out + i, V::fma(va, load_n(x + i, n - i), vb), n - i);
}

inline void add_inplace_impl(float* dst, const float* src, int64_t n) {
  int64_t i = 0;
  for (; i + NL <= n; i += NL) V::store(dst + i, V::add(V::load(dst + i), V::load(src + i)));
  if (i < n) store_n(dst + i, V::add(load_n(dst + i, n - i), load_n(src + i, n - i)), n - i);
}

// ---- reductions ---------------------------------------------------------------------------------

/** out[j] = scale * sum_i x[i*ld + j]: float lanes over 64-row blocks, blocks added in double. */
inline void sum_rows_impl(const float* x, int64_t ld, int64_t rows, int64_t cols, double scale, float* out) {
  alignas(64) float t[V::N];
  for (int64_t j = 0; j < cols; j += NL) {
    const int64_t n = imin(NL, cols - j);
    double acc[V::N] = {};
    for (int64_t b = 0; b < rows; b += 64) {
      const int64_t e = imin(rows, b + 64);
      F a = V::zero();
      if (n == NL)
        for (int64_t i = b; i < e; i++) a = V::add(a, V::load(x + i * ld + j));
      else
        for (int64_t i = b; i < e; i++) a = V::add(a, load_n(x + i * ld + j, n));
      V::store(t, a);
      for (int64_t l = 0; l < n; l++) acc[l] += (double)t[l];
    }
    for (int64_t l = 0; l < n; l++) out[j + l] = (float)(acc[l] * scale);
  }
}

inline void sum_cols_impl(const float* x, int64_t rows, int64_t cols, double scale, float* out) {
  for (int64_t i = 0; i < rows; i++) out[i] = (float)(dsum(x + i * cols, cols) * scale);
}

// ---- softmax ------------------------------------------------------------------------------------

/** Row softmax / log-softmax: 1. row max; 2. e = exp(x - max) into y, summed; 3. normalise. */
inline void softmax_impl(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    // 1. Row max (a NaN anywhere makes the whole row NaN through exp below).
    F mv = V::set1(-INFINITY);
    int64_t j = 0;
    for (; j + NL <= cols; j += NL) mv = V::max(mv, V::load(xr + j));
    float mx = V::reduce_max(mv);
    for (; j < cols; j++) mx = xr[j] > mx ? xr[j] : mx;
    const F vm = V::set1(mx);
    // 2. Shifted exponentials and their sum.
    double total = 0;
    for (int64_t b = 0; b < cols; b += 1024) {
      const int64_t e = imin(cols, b + 1024);
      F acc = V::zero();
      for (j = b; j + NL <= e; j += NL) {
        const F ev = vexp(V::sub(V::load(xr + j), vm));
        if (!log) V::store(yr + j, ev);
        acc = V::add(acc, ev);
      }
      if (j < e) {
        F ev = vexp(V::sub(load_n(xr + j, e - j), vm));
        if (!log) store_n(yr + j, ev, e - j);
        acc = V::add(acc, V::select(V::lt(V::cvt_f(V::iramp()), V::set1((float)(e - j))), ev, V::zero()));
      }
      total += (double)V::reduce_add(acc);
    }
    // 3. Probabilities e / sum, or log-probabilities (x - max) - log(sum).
    if (log) {
      const F lse = V::set1((float)std::log(total));
      for (j = 0; j + NL <= cols; j += NL) V::store(yr + j, V::sub(V::sub(V::load(xr + j), vm), lse));
      if (j < cols) store_n(yr + j, V::sub(V::sub(load_n(xr + j, cols - j), vm), lse), cols - j);
    } else {
      const F vs = V::set1((float)total);
      for (j = 0; j + NL <= cols; j += NL) V::store(yr + j, V::div(V::load(yr + j), vs));
      if (j < cols) store_n(yr + j, V::div(load_n(yr + j, cols - j), vs), cols - j);
    }
  }
}

/** softmax: dx = y (g - <g, y>); logSoftmax: dx = g - exp(y) sum(g). */
inline void softmax_backward_impl(const float* y, const float* g, float* dx, int64_t rows, int64_t cols, bool log) {
  for (int64_t r = 0; r < rows; r++) {
    const float* yr = y + r * cols;
    const float* gr = g + r * cols;
    float* dr = dx + r * cols;
    int64_t j = 0;
    if (log) {
      const F s = V::set1((float)dsum(gr, cols));
      for (; j + NL <= cols; j += NL) V::store(dr + j, V::sub(V::load(gr + j), V::mul(vexp(V::load(yr + j)), s)));
      if (j < cols)
        store_n(dr + j, V::sub(load_n(gr + j, cols - j), V::mul(vexp(load_n(yr + j, cols - j)), s)), cols - j);
    } else {
      const F d = V::set1((float)ddot(gr, yr, cols));
      for (; j + NL <= cols; j += NL) V::store(dr + j, V::mul(V::load(yr + j), V::sub(V::load(gr + j), d)));
      if (j < cols) store_n(dr + j, V::mul(load_n(yr + j, cols - j), V::sub(load_n(gr + j, cols - j), d)), cols - j);
    }
  }
}

// ---- transpose ----------------------------------------------------------------------------------

/** out[j*ldo + i] = x[i*ldx + j] in 32 x 32 tiles (both sides stay in L1). */
inline void transpose_impl(const float* x, int64_t ldx, float* out, int64_t ldo, int64_t rows, int64_t cols) {
  constexpr int64_t T = 32;
  for (int64_t i0 = 0; i0 < rows; i0 += T) {
    const int64_t i1 = imin(rows, i0 + T);
    for (int64_t j0 = 0; j0 < cols; j0 += T) {
      const int64_t j1 = imin(cols, j0 + T);
      for (int64_t j = j0; j < j1; j++) {
        float* o = out + j * ldo;
        for (int64_t i = i0; i < i1; i++) o[i] = x[i * ldx + j];
      }
    }
  }
}

// ---- dropout ------------------------------------------------------------------------------------

/** PCG-RXS-M-XS 32-bit output hash (src/kernels/rng.ts pcg), all lanes mod 2^32. */
inline I vpcg(I x) {
  const I state = V::iadd(V::imul(x, V::iset1(747796405)), V::iset1((int32_t)2891336453u));
  const I shift = V::iadd(V::isrl<28>(state), V::iset1(4));
  const I word = V::imul(V::ixor(V::isrlv(state, shift), state), V::iset1(277803737));
  return V::ixor(V::isrl<22>(word), word);
}

inline uint32_t spcg(uint32_t x) {
  const uint32_t state = x * 747796405u + 2891336453u;
  const uint32_t word = ((state >> ((state >> 28) + 4u)) ^ state) * 277803737u;
  return (word >> 22) ^ word;
}

/**
 * keep[i] = hashUniform(seed, i) >= p  <=>  (pcg(pcg(seed) + i) >> 8) >= threshold, with
 * threshold = ceil(p * 2^24) (hashUniform is k * 2^-24 for an integer k): integer-exact, so the
 * masks are bit-identical to src/kernels/rng.ts. mask = keep ? keep_scale : 0, y = x * mask.
 */
inline void dropout_impl(const float* x, float* y, float* mask, int64_t i0, int64_t count, uint32_t seed,
                         uint32_t threshold, float keep_scale) {
  const uint32_t hs = spcg(seed);
  const I tm1 = V::iset1((int32_t)threshold - 1);
  const I ramp = V::iramp();
  const F ks = V::set1(keep_scale);
  int64_t i = 0;
  for (; i < count; i += NL) {
    const I idx = V::iadd(V::iset1((int32_t)(hs + (uint32_t)(i0 + i))), ramp);
    const I k = V::isrl<8>(vpcg(idx));
    const F mv = V::mask_and(V::igt(k, tm1), ks);
    if (i + NL <= count) {
      V::store(mask + i, mv);
      V::store(y + i, V::mul(V::load(x + i), mv));
    } else {
      store_n(mask + i, mv, count - i);
      store_n(y + i, V::mul(load_n(x + i, count - i), mv), count - i);
    }
  }
}

// ---- optimisers ---------------------------------------------------------------------------------

/** torch.optim.SGD, float32 arithmetic (see src/backends/cpu/optim.ts for the steps). */
inline void sgd_impl(float* param, const float* grad, float* buf, int64_t n, const SgdParams& p) {
  const F lr = V::set1((float)-p.lr), wd = V::set1((float)p.weight_decay), mom = V::set1((float)p.momentum),
          damp = V::set1((float)(1.0 - p.dampening));
  const bool useWd = p.weight_decay != 0, useMom = p.momentum != 0 && buf;
  for (int64_t i = 0; i < n; i += NL) {
    const int64_t c = imin(NL, n - i);
    const bool full = c == NL;
    F pv = full ? V::load(param + i) : load_n(param + i, c);
    F g = full ? V::load(grad + i) : load_n(grad + i, c);
    // 1. L2 weight decay.
    if (useWd) g = V::fma(wd, pv, g);
    // 2. Momentum buffer (first step: buf = g), optionally Nesterov.
    if (useMom) {
      F b = g;
      if (p.has_momentum_buffer) b = V::fma(mom, full ? V::load(buf + i) : load_n(buf + i, c), V::mul(damp, g));
      if (full) V::store(buf + i, b); else store_n(buf + i, b, c);
      g = p.nesterov ? V::fma(mom, b, g) : b;
    }
    // 3. Descend.
    pv = V::fma(lr, g, pv);
    if (full) V::store(param + i, pv); else store_n(param + i, pv, c);
  }
}

/** torch.optim.Adam / AdamW, float32 arithmetic with double-precision step constants. */
inline void adam_impl(float* param, const float* grad, float* m, float* v, int64_t n, const AdamParams& p) {
  const double bc1 = 1.0 - std::pow(p.beta1, p.step);
  const double bc2s = std::sqrt(1.0 - std::pow(p.beta2, p.step));
  const F step = V::set1((float)(p.lr / bc1)), bc2 = V::set1((float)bc2s), eps = V::set1((float)p.eps);
  const F b1 = V::set1((float)p.beta1), b2 = V::set1((float)p.beta2), c1 = V::set1((float)(1.0 - p.beta1)),
          c2 = V::set1((float)(1.0 - p.beta2));
  const F wd = V::set1((float)p.weight_decay), decay = V::set1((float)(1.0 - p.lr * p.weight_decay));
  const bool useWd = p.weight_decay != 0;
  for (int64_t i = 0; i < n; i += NL) {
    const int64_t c = imin(NL, n - i);
    const bool full = c == NL;
    F pv = full ? V::load(param + i) : load_n(param + i, c);
    F g = full ? V::load(grad + i) : load_n(grad + i, c);
    F mv = full ? V::load(m + i) : load_n(m + i, c);
    F vv = full ? V::load(v + i) : load_n(v + i, c);
    // 1. Weight decay: decoupled (AdamW) on the parameter, or L2 into the gradient (Adam).
    if (useWd) {
      if (p.decoupled) pv = V::mul(pv, decay);
      else g = V::fma(wd, pv, g);
    }
    // 2-3. Moments.
    mv = V::fma(b1, mv, V::mul(c1, g));
    vv = V::fma(b2, vv, V::mul(c2, V::mul(g, g)));
    // 4. p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps).
    const F denom = V::add(V::div(V::sqrt(vv), bc2), eps);
    pv = V::sub(pv, V::div(V::mul(step, mv), denom));
    if (full) {
      V::store(param + i, pv); V::store(m + i, mv); V::store(v + i, vv);
    } else {
      store_n(param + i, pv, c); store_n(m + i, mv, c); store_n(v + i, vv, c);
    }
  }
}

// ---- max pooling --------------------------------------------------------------------------------

/** Per window: first maximum in row-major order wins, a NaN always replaces (as the cpu backend). */
inline void maxpool_forward_impl(const PoolShape& s, const float* x, float* y, int32_t* argmax, int64_t p0,
                                 int64_t p1) {
  for (int64_t plane = p0; plane < p1; plane++) {
    const int64_t xPlane = plane * s.h * s.w;
    for (int64_t oh = 0; oh < s.h_out; oh++) {
      const int64_t h0 = oh * s.stride, h1 = imin(h0 + s.kernel, s.h);
      for (int64_t ow = 0; ow < s.w_out; ow++) {
        const int64_t w0 = ow * s.stride, w1 = imin(w0 + s.kernel, s.w);
        float best = -INFINITY;
        int64_t bi = xPlane + h0 * s.w + w0;
        for (int64_t ih = h0; ih < h1; ih++) {
          const float* row = x + xPlane + ih * s.w;
          for (int64_t iw = w0; iw < w1; iw++) {
            const float v = row[iw];
            if (v > best || v != v) {
              best = v;
              bi = xPlane + ih * s.w + iw;
            }
          }
        }
        const int64_t o = (plane * s.h_out + oh) * s.w_out + ow;
        y[o] = x[bi];
        argmax[o] = (int32_t)bi;
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

// ---- conv2d -------------------------------------------------------------------------------------

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
            zero_n(o, s.w_out);
            continue;
          }
          const float* xr = xp + ih * s.w - s.padding + c;
          for (int64_t ow = 0; ow < lo; ow++) o[ow] = 0.0f;
          if (s.stride == 1) {
            if (hi > lo) copy_n(o + lo, xr + lo, hi - lo);
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
            if (hi > lo) add_inplace_impl(xr + lo, o + lo, hi - lo);
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
inline void depthwise_forward(const ConvShape& s, const ConvGeom& G, const float* x, const float* w,
                              const float* bias, float* y, int64_t n) {
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
                const F xv = cnt == NL ? V::load(pr + c) : load_n(pr + c, cnt);
                acc = V::fma(V::set1(wk[r * s.kw + c]), xv, acc);
              }
            }
            if (cnt == NL) V::store(yp + oh * s.w_out + ow, acc);
            else store_n(yp + oh * s.w_out + ow, acc, cnt);
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

inline void conv_forward_impl(const ConvShape& s, const float* x, const float* w, const float* bias, float* y,
                              int64_t n0, int64_t n1, void (*gemm)(const GemmParams&)) {
  const ConvGeom G(s);
  float* col = (G.cInG == 1 || G.pointwise) ? nullptr : scratch_of<float>(2, (size_t)(G.K * G.HW));
  for (int64_t n = n0; n < n1; n++) {
    if (G.cInG == 1) {
      depthwise_forward(s, G, x, w, bias, y, n);
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
      else im2col(s, G, x, n, grp, col);
      GemmParams P{G.cOutG, G.HW, G.K, w + grp * G.cOutG * G.K, G.K, 1, cp, G.HW, 1, yg, G.HW, bias != nullptr};
      gemm(P);
    }
  }
}

inline void conv_backward_input_impl(const ConvShape& s, const float* g, const float* w, float* dx, int64_t n0,
                                     int64_t n1, void (*gemm)(const GemmParams&)) {
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
              F acc = co == 0 ? V::zero() : (cnt == NL ? V::load(o) : load_n(o, cnt));
              for (int64_t rr = 0; rr < s.kh; rr++) {
                const float* pr = Gp + (ih + s.padding + rr) * gw + iw + s.padding;
                const float* wr = wk + (s.kh - 1 - rr) * s.kw + (s.kw - 1);
                for (int64_t cc = 0; cc < s.kw; cc++) {
                  const F gv = cnt == NL ? V::load(pr + cc) : load_n(pr + cc, cnt);
                  acc = V::fma(V::set1(wr[-cc]), gv, acc);
                }
              }
              if (cnt == NL) V::store(o, acc);
              else store_n(o, acc, cnt);
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
                  if (hi > lo) axpy(wv, gr + lo, xr + lo, hi - lo);
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
      gemm(P);
      if (!G.pointwise) col2im_add(s, G, colg, n, grp, dx);
    }
  }
}

inline void conv_backward_weight_impl(const ConvShape& s, const float* g, const float* x, float* dw, int64_t co0,
                                      int64_t co1, void (*gemm)(const GemmParams&)) {
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
            const F gv = cnt == NL ? V::load(gp + oh * s.w_out + ow) : load_n(gp + oh * s.w_out + ow, cnt);
            for (int64_t r = 0; r < s.kh; r++) {
              const float* pr = P + (oh + r) * pw + ow;
              for (int64_t c = 0; c < s.kw; c++) {
                const F xv = cnt == NL ? V::load(pr + c) : load_n(pr + c, cnt);
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
                acc += ddot(gr + lo, xr + lo, hi - lo);
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
      else im2col(s, G, x, n, grp, col);
      GemmParams P{hi - lo, G.K, G.HW, g + (n * s.c_out + lo) * G.HW, G.HW, 1, cp, 1, G.HW, dw + lo * G.K, G.K, n > 0};
      gemm(P);
    }
  }
}

inline void conv_backward_bias_impl(const ConvShape& s, const float* g, float* dbias, int64_t co0, int64_t co1) {
  const int64_t HW = s.h_out * s.w_out;
  for (int64_t co = co0; co < co1; co++) {
    double acc = 0;
    for (int64_t n = 0; n < s.n; n++) acc += dsum(g + (n * s.c_out + co) * HW, HW);
    dbias[co] = (float)acc;
  }
}

}  // namespace
