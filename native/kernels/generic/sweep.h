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


// Sweeps with a vector tail instead of single lanes: body(L, j, acc) where L is FullV<V> for whole
// vectors and TailV<V> for the last cols % N columns. L.ld(p, fill) loads (lanes past the tail
// read `fill`), L.ld0(p) loads with zeros past the tail, L.st(p, v) stores only the valid lanes,
// L.keep(v) zeroes the lanes past the tail (apply it to every accumulated term). Each column's
// arithmetic is that of a whole vector, so a row's result does not depend on where it sits.
template <class V>
inline typename V::R add_lane(typename V::R v, int64_t k, float add) {
  if (k < 0 || k >= V::N) return v;
  const typename V::R ramp = V::cvt_f(V::iramp()), kk = V::set1(static_cast<float>(k));
  const typename V::R hit = V::select(V::lt(ramp, V::sub(kk, V::set1(0.5f))), V::zero(),
                                      V::select(V::lt(ramp, V::add(kk, V::set1(0.5f))), V::set1(add), V::zero()));
  return V::add(v, hit);
}

template <class V>
struct FullV {
  using R = typename V::R;
  R ld(const float* p, float) const { return V::load(p); }
  R ld0(const float* p) const { return V::load(p); }
  void st(float* p, R v) const { V::store(p, v); }
  R keep(R v) const { return v; }
  // Keep a value for a later pass: in the row p for whole vectors, in `slot` (a register or stack
  // vector of the caller) for the tail, so no masked store is read back by a masked load (those do
  // not forward from the store buffer: a stall per row that dominates short rows).
  void put(float* p, R& slot, R v) const { V::store(p, v); (void)slot; }
  R get(const float* p, const R& slot) const { (void)slot; return V::load(p); }
  // v with `add` added in the lane of column k (relative to this vector), if k lies in it.
  R add_at(R v, int64_t k, float add) const { return add_lane<V>(v, k, add); }
};
template <class V>
struct TailV {
  using R = typename V::R;
  typename V::M m;
  int64_t n;
  TailV(int64_t n_) : m(V::lt(V::cvt_f(V::iramp()), V::set1(static_cast<float>(n_)))), n(n_) {}
  R ld(const float* p, float fill) const { return V::select(m, V::load_part(p, n), V::set1(fill)); }
  R ld0(const float* p) const { return V::load_part(p, n); }
  void st(float* p, R v) const { V::store_part(p, v, n); }
  R keep(R v) const { return V::select(m, v, V::zero()); }
  void put(float*, R& slot, R v) const { slot = v; }
  R get(const float*, const R& slot) const { return slot; }
  R add_at(R v, int64_t k, float add) const { return add_lane<V>(v, k, add); }
};

template <class V, int K, class Body>
inline std::array<float, K> sweep_v(int64_t cols, Body&& body) {
  using R = typename V::R;
  R a[K > 0 ? K : 1], b[K > 0 ? K : 1];
  for (int k = 0; k < K; ++k) a[k] = b[k] = V::zero();
  int64_t j = 0;
  for (; j + 2 * V::N <= cols; j += 2 * V::N) {
    body(FullV<V>{}, j, a);
    body(FullV<V>{}, j + V::N, b);
  }
  for (int k = 0; k < K; ++k) a[k] = V::add(a[k], b[k]);
  if (j + V::N <= cols) {
    body(FullV<V>{}, j, a);
    j += V::N;
  }
  if (j < cols) body(TailV<V>(cols - j), j, a);
  std::array<float, K> out{};
  for (int k = 0; k < K; ++k) out[k] = V::hsum(a[k]);
  return out;
}

// Row maximum with a vector tail (same value as row_max).
template <class V>
inline float row_max_v(const float* x, int64_t cols) {
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
  if (j < cols) a = V::max(a, TailV<V>(cols - j).ld(x + j, ninf));
  return V::hmax(a);
}

// Prefetch the next row, only when it is long enough for the prefetches to pay.
template <class V>
inline void prefetch_next(const float* x, int64_t cols) {
  if (cols >= 256) prefetch_row<V>(x, cols);
}


// Short rows (cols < 2 N): kernels process a block of N rows at once, one row per lane, over a
// column-major copy X[j N + l] of the block (lanes past the block's rows hold 0 and are never
// written back). Each lane's arithmetic does not depend on the other lanes, so a row's result does
// not depend on how the rows are split into blocks or chunks.
template <class V>
inline bool narrow_cols(int64_t cols) {
  return cols < 2 * V::N;
}
template <class V>
inline void gather_block(const float* x, int64_t C, int64_t nb, float* X) {
  for (int64_t l = 0; l < nb; ++l)
    for (int64_t j = 0; j < C; ++j) X[j * V::N + l] = x[l * C + j];
  for (int64_t l = nb; l < V::N; ++l)
    for (int64_t j = 0; j < C; ++j) X[j * V::N + l] = 0.0f;
}
template <class V>
inline void scatter_block(const float* X, int64_t C, int64_t nb, float* x) {
  for (int64_t l = 0; l < nb; ++l)
    for (int64_t j = 0; j < C; ++j) x[l * C + j] = X[j * V::N + l];
}

}  // namespace
}  // namespace simd
}  // namespace kd
