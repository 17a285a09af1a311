// Helpers of the training-op kernels (generic/*_impl.h of the ops), over the ISA vector type V
// (native/kernels/<isa>/vec_<isa>.h: AVX2 8 lanes, AVX-512 16, NEON 4).
// Tails (sizes not a multiple of the vector width) go through the same vector code on partial
// vectors, so a tail element is computed exactly like a body element.
#pragma once
#include <cstdint>

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

// Partial vectors for tails: 0 < n < V::N lanes (masked loads / stores where the ISA has them).
template <class V>
inline typename V::R load_n(const float* p, int64_t n) { return V::load_part(p, n); }
template <class V>
inline void store_n(float* p, typename V::R v, int64_t n) { V::store_part(p, v, n); }

/** NaN-propagating max / min (torch.maximum / Math.max): NaN if either operand is NaN. */
template <class V>
inline typename V::R max_nan(typename V::R a, typename V::R b) { return V::select(V::isnan(a), a, V::max(a, b)); }
template <class V>
inline typename V::R min_nan(typename V::R a, typename V::R b) { return V::select(V::isnan(a), a, V::min(a, b)); }

/** Sum of n floats: float vector lanes over blocks of 1024, blocks added in double. */
template <class V>
inline double dsum(const float* x, int64_t n) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
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
    if (i < e) a1 = V::add(a1, load_n<V>(x + i, e - i));
    total += (double)V::reduce_add(V::add(V::add(a0, a1), V::add(a2, a3)));
  }
  return total;
}

/** Dot product of n floats, blocked like dsum. */
template <class V>
inline double ddot(const float* x, const float* y, int64_t n) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
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
    if (i < e) a1 = V::fma(load_n<V>(x + i, e - i), load_n<V>(y + i, e - i), a1);
    total += (double)V::reduce_add(V::add(a0, a1));
  }
  return total;
}

/** y[0, n) += a * x[0, n). */
template <class V>
inline void axpy_n(float a, const float* x, float* y, int64_t n) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
  const F va = V::set1(a);
  int64_t i = 0;
  for (; i + NL <= n; i += NL) V::store(y + i, V::fma(va, V::load(x + i), V::load(y + i)));
  if (i < n) store_n<V>(y + i, V::fma(va, load_n<V>(x + i, n - i), load_n<V>(y + i, n - i)), n - i);
}

/** dst[0, n) = src[0, n) / = 0 with vector stores (short rows: cheaper than a memcpy call). */
template <class V>
inline void copy_n(float* dst, const float* src, int64_t n) {
  constexpr int64_t NL = V::N;
  int64_t i = 0;
  for (; i + NL <= n; i += NL) V::store(dst + i, V::load(src + i));
  if (i < n) store_n<V>(dst + i, load_n<V>(src + i, n - i), n - i);
}
template <class V>
inline void zero_n(float* dst, int64_t n) {
  constexpr int64_t NL = V::N;
  int64_t i = 0;
  for (; i + NL <= n; i += NL) V::store(dst + i, V::zero());
  if (i < n) store_n<V>(dst + i, V::zero(), n - i);
}

}  // namespace
}  // namespace simd
}  // namespace kd
