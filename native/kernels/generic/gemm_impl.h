// GEMM over the ISA vector type V: cache-blocked, packed A/B panels, an MR x NR register
// micro-kernel (V::kGemmMR rows, V::kGemmNV vectors). Contract: ops.h GemmParams.
#pragma once
#include <cstdint>
#include <cstring>

#include "../../dispatch/thread_pool.h"
#include "../ops.h"
#include "ops_common.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

/**
 * C[mr, nr] (=|+=) A-strip [kc, MR] x B [kc, NR], accumulators in registers; B row p (NR floats) at
 * brow(p): a packed strip (gemm_micro), or rows read in place (the direct convolution, conv2d_impl.h).
 */
template <class V, class BRow>
inline void gemm_micro_rows(int64_t kc, const float* __restrict ap, BRow brow, float* c, int64_t ldc, bool acc,
                            int64_t mr, int64_t nr) {
  using F = typename V::R;
  constexpr int MR = V::kGemmMR;
  constexpr int NV = V::kGemmNV;
  constexpr int NR = V::kGemmNV * V::N;
  F r[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) r[i][v] = V::zero();
  for (int64_t p = 0; p < kc; p++) {
    const float* bp = brow(p);
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

/** C[mr, nr] (=|+=) A-strip [kc, MR] x B-strip [kc, NR], both packed. */
template <class V>
inline void gemm_micro(int64_t kc, const float* __restrict ap, const float* __restrict bp, float* c,
                       int64_t ldc, bool acc, int64_t mr, int64_t nr) {
  constexpr int64_t NR = V::kGemmNV * V::N;
  gemm_micro_rows<V>(kc, ap, [bp](int64_t p) { return bp + p * NR; }, c, ldc, acc, mr, nr);
}

/** Pack op(B)[pc : pc+kc, jc : jc+nc] into NR-wide strips, [kc][NR] each, zero-padded. */
template <class V>
inline void gemm_pack_b(const GemmParams& P, int64_t pc, int64_t kc, int64_t jc, int64_t nc, float* bp) {
  constexpr int NV = V::kGemmNV;
  constexpr int NR = V::kGemmNV * V::N;
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
template <class V>
inline void gemm_pack_a(const GemmParams& P, int64_t ic, int64_t mc, int64_t pc, int64_t kc, float* ap) {
  constexpr int MR = V::kGemmMR;
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
template <class V>
inline void gemm_impl(const GemmParams& P) {
  constexpr int MR = V::kGemmMR;
  constexpr int NR = V::kGemmNV * V::N;
  constexpr int64_t KC = 256;
  constexpr int64_t MC = V::kGemmMR * 16;
  constexpr int64_t NC = V::kGemmNV * V::N * 128;
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
      gemm_pack_b<V>(P, pc, kc, jc, nc, bpack);
      for (int64_t ic = 0; ic < P.m; ic += MC) {
        const int64_t mc = imin(MC, P.m - ic);
        gemm_pack_a<V>(P, ic, mc, pc, kc, apack);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          for (int64_t ir = 0; ir < mc; ir += MR) {
            gemm_micro<V>(kc, apack + ir * kc, bpack + jr * kc, P.c + (ic + ir) * P.ldc + jc + jr, P.ldc, acc,
                       imin(MR, mc - ir), imin(NR, nc - jr));
          }
        }
      }
    }
  }
}

// ---- the kernels (kernel_list.h) ---------------------------------------------------------------

template <class V>
void gemm(const GemmParams& p) {
  gemm_impl<V>(p);
}

}  // namespace
}  // namespace simd
}  // namespace kd
