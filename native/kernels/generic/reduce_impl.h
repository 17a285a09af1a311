// Row / column / total sums over the ISA vector type V: float lanes over short blocks, blocks
// accumulated in double. Contract: ops.h SumParams.
#pragma once
#include <cstdint>

#include "../ops.h"
#include "ops_common.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

/** out[j] = scale * sum_i x[i*ld + j]: float lanes over 64-row blocks, blocks added in double. */
template <class V>
inline void sum_rows_impl(const float* x, int64_t ld, int64_t rows, int64_t cols, double scale, float* out) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
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
        for (int64_t i = b; i < e; i++) a = V::add(a, load_n<V>(x + i * ld + j, n));
      V::store(t, a);
      for (int64_t l = 0; l < n; l++) acc[l] += (double)t[l];
    }
    for (int64_t l = 0; l < n; l++) out[j + l] = (float)(acc[l] * scale);
  }
}

template <class V>
inline void sum_cols_impl(const float* x, int64_t rows, int64_t cols, double scale, float* out) {
  for (int64_t i = 0; i < rows; i++) out[i] = (float)(dsum<V>(x + i * cols, cols) * scale);
}

// ---- the kernels (kernel_list.h) ---------------------------------------------------------------

template <class V>
void sum_rows(const SumParams& p, int64_t j0, int64_t j1) {
  sum_rows_impl<V>(p.x + j0, p.cols, p.rows, j1 - j0, p.scale, p.out + j0);
}
template <class V>
void sum_cols(const SumParams& p, int64_t r0, int64_t r1) {
  sum_cols_impl<V>(p.x + r0 * p.cols, r1 - r0, p.cols, p.scale, p.out + r0);
}
template <class V>
double sum_all(const SumParams& p, int64_t i0, int64_t i1) {
  return dsum<V>(p.x + i0, i1 - i0);
}

}  // namespace
}  // namespace simd
}  // namespace kd
