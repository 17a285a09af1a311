// Gram similarity (SP, Tung & Mori 2019), generic over V, on the blocked GEMM (gemm_impl.h):
// 1. G = F F^T: row blocks of 96 times the columns from the block's diagonal on (the upper
//    triangle), B = F^T transposed once so that its panels pack contiguously; mirrored below;
// 2. rows normalised, Gn_i = G_i / max(||G_i||, 1e-12); 3. loss = sum (Gns - Gnt)^2 / b^2 (double,
//    fixed order); 4. D = +-2 scale (Gns - Gnt) / b^2, dG_i = (D_i - Gn_i <Gn_i, D_i>) / ||G_i||
//    (D_i / eps when ||G_i|| <= eps); 5. dF = (dG + dG^T) F, one GEMM. Every G or dF element is one
//    FMA chain whatever the row split, so the parallel_for over row blocks never changes a bit.
#pragma once
#include <cmath>

#include "../../dispatch/thread_pool.h"
#include "../kernels.h"
#include "elementwise_impl.h"
#include "gemm_impl.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

constexpr int64_t kGramRows = 96;  // row block: a multiple of every micro-kernel height (6, 8)

// Buffers come from the calling thread's scratch, slots 2..7 (the GEMM packs into 0 and 1 of
// every thread): no std:: containers in ISA code.
struct NormGram {
  float* g;      // [b, b] normalised
  double* inv;   // 1 / max(norm, eps)
  char* big;     // norm > eps
};

/** C[m, n] = A [m, k] x B [k, n], row blocks over the pool. */
template <class V>
inline void gemm_rows(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                      float* c, int64_t ldc) {
  parallel_for(m, kGramRows, [&](int64_t r0, int64_t r1) {
    gemm_impl<V>(GemmParams{r1 - r0, n, k, a + r0 * lda, lda, 1, b, ldb, 1, c + r0 * ldc, ldc, false});
  });
}

/** The [b, b] matrix A made symmetric in 32 x 32 tiles: A + A^T (sum) or its upper triangle mirrored. */
inline void symmetrize(float* A, int64_t b, bool sum) {
  constexpr int64_t T = 32;
  for (int64_t i0 = 0; i0 < b; i0 += T)
    for (int64_t j0 = i0; j0 < b; j0 += T)
      for (int64_t i = i0; i < imin(b, i0 + T); ++i)
        for (int64_t j = j0 == i0 ? i : j0; j < imin(b, j0 + T); ++j)
          A[i * b + j] = A[j * b + i] = sum ? A[i * b + j] + A[j * b + i] : A[i * b + j];
}

template <class V>
NormGram normalized_gram(const float* F, int64_t b, int64_t d, int slot) {
  NormGram n;
  n.g = scratch_of<float>(slot, static_cast<size_t>(b * b));
  n.inv = scratch_of<double>(slot + 1, static_cast<size_t>(b + (b + 7) / 8));
  n.big = reinterpret_cast<char*>(n.inv + b);
  float* G = n.g;
  // 1.
  float* FT = scratch_of<float>(7, static_cast<size_t>(d * b));
  transpose_impl(F, d, FT, b, b, d);
  parallel_for(b, kGramRows, [&](int64_t r0, int64_t r1) {
    for (int64_t i0 = r0; i0 < r1; i0 += kGramRows) {
      const int64_t rows = imin(kGramRows, r1 - i0);
      gemm_impl<V>(GemmParams{rows, b - i0, d, F + i0 * d, d, 1, FT + i0, b, 1, G + i0 * b + i0, b, false});
    }
  });
  symmetrize(G, b, false);
  // 2.
  parallel_for(b, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      double ss = 0;
      for (int64_t j = 0; j < b; ++j) ss += static_cast<double>(G[i * b + j]) * G[i * b + j];
      const double norm = std::sqrt(ss);
      n.big[i] = norm > 1e-12;
      n.inv[i] = 1.0 / (norm > 1e-12 ? norm : 1e-12);
      for (int64_t j = 0; j < b; ++j) G[i * b + j] = static_cast<float>(G[i * b + j] * n.inv[i]);
    }
  });
  return n;
}

/** dF = (dG + dG^T) F, dG from D (step 4) built in D's place. */
template <class V>
void gram_grad(const float* F, int64_t b, int64_t d, const NormGram& n, float* D, float* dF) {
  // 4.
  parallel_for(b, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const float* gi = n.g + i * b;
      float* di = D + i * b;
      double proj = 0;
      if (n.big[i])
        for (int64_t j = 0; j < b; ++j) proj += static_cast<double>(gi[j]) * di[j];
      for (int64_t j = 0; j < b; ++j) di[j] = static_cast<float>((di[j] - gi[j] * proj) * n.inv[i]);
    }
  });
  // 5.
  symmetrize(D, b, true);
  gemm_rows<V>(b, d, b, D, b, F, d, dF, d);
}

template <class V>
void gram_similarity(const GramParams& p) {
  const int64_t b = p.b;
  const NormGram s = normalized_gram<V>(p.student, b, p.ds, 2);
  const NormGram t = normalized_gram<V>(p.teacher, b, p.dt, 4);
  // 3.
  double loss = 0;
  for (int64_t i = 0; i < b; ++i) {
    double acc = 0;
    for (int64_t j = 0; j < b; ++j) {
      const double diff = static_cast<double>(s.g[i * b + j]) - t.g[i * b + j];
      acc += diff * diff;
    }
    loss += acc;
  }
  const double bb = static_cast<double>(b) * b;
  p.loss[0] = static_cast<float>(loss / bb);
  if (!p.grad_student && !p.grad_teacher) return;
  float* D = scratch_of<float>(6, static_cast<size_t>(b * b));
  for (int net = 0; net < 2; ++net) {
    float* out = net == 0 ? p.grad_student : p.grad_teacher;
    if (!out) continue;
    const double k = (net == 0 ? 2.0 : -2.0) * (net == 0 ? p.student_grad_scale : p.teacher_grad_scale) / bb;
    for (int64_t e = 0; e < b * b; ++e) D[e] = static_cast<float>(k * (static_cast<double>(s.g[e]) - t.g[e]));
    if (net == 0) gram_grad<V>(p.student, b, p.ds, s, D, out);
    else gram_grad<V>(p.teacher, b, p.dt, t, D, out);
  }
}

}  // namespace
}  // namespace simd
}  // namespace kd
