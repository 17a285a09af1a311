// Column sweeps shared by the generic (ISA-templated) kernels.
//
// sweep<V, K>(cols, body) calls body(ops, j, acc) over a row: two vectors per step (two
// accumulator sets, for instruction-level parallelism), then one vector, then single lanes
// (ops = Lane1) for the tail. `acc` points at K accumulators of ops::R. The K results are combined
// in a fixed order (accA + accB, horizontal sum, + tail), so a row's result is deterministic.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "lane1.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

template <class V, int K, class Body>
inline std::array<float, K> sweep(int64_t cols, Body&& body) {
  using R = typename V::R;
  R a[K > 0 ? K : 1], b[K > 0 ? K : 1];
  float t[K > 0 ? K : 1];
  for (int k = 0; k < K; ++k) a[k] = b[k] = V::zero(), t[k] = 0.0f;
  int64_t j = 0;
  for (; j + 2 * V::N <= cols; j += 2 * V::N) {
    body(V{}, j, a);
    body(V{}, j + V::N, b);
  }
  for (int k = 0; k < K; ++k) a[k] = V::add(a[k], b[k]);
  for (; j + V::N <= cols; j += V::N) body(V{}, j, a);
  for (; j < cols; ++j) body(Lane1{}, j, t);
  std::array<float, K> out{};
  for (int k = 0; k < K; ++k) out[k] = V::hsum(a[k]) + t[k];
  return out;
}

// Row maximum of x[0, cols) (-inf for an all -inf row).
template <class V>
inline float row_max(const float* x, int64_t cols) {
  using R = typename V::R;
  const float ninf = -std::numeric_limits<float>::infinity();
  R a = V::set1(ninf), b = V::set1(ninf);
  int64_t j = 0;
  for (; j + 2 * V::N <= cols; j += 2 * V::N) {
    a = V::max(a, V::load(x + j));
    b = V::max(b, V::load(x + j + V::N));
  }
  a = V::max(a, b);
  for (; j + V::N <= cols; j += V::N) a = V::max(a, V::load(x + j));
  float m = V::hmax(a);
  for (; j < cols; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

// Prefetch the next row (every 64-byte line) while the current one is processed.
template <class V>
inline void prefetch_row(const float* x, int64_t cols) {
  for (int64_t j = 0; j < cols; j += 16) V::prefetch(x + j);
}

inline void zero_row(float* g, int64_t cols) {
  if (g)
    for (int64_t j = 0; j < cols; ++j) g[j] = 0.0f;
}

}  // namespace
}  // namespace simd
}  // namespace kd
