// Row softmax / log-softmax forward and backward over the ISA vector type V (vmath.h exp_subnormal).
// Contract: ops.h SoftmaxParams, SoftmaxBackwardParams.
#pragma once
#include <cmath>
#include <cstdint>

#include "../ops.h"
#include "ops_common.h"
#include "vmath.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

/** Row softmax / log-softmax: 1. row max; 2. e = exp(x - max) into y, summed; 3. normalise. */
template <class V>
inline void softmax_impl(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
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
        const F ev = exp_subnormal<V>(V::sub(V::load(xr + j), vm));
        if (!log) V::store(yr + j, ev);
        acc = V::add(acc, ev);
      }
      if (j < e) {
        F ev = exp_subnormal<V>(V::sub(load_n<V>(xr + j, e - j), vm));
        if (!log) store_n<V>(yr + j, ev, e - j);
        acc = V::add(acc, V::select(V::lt(V::cvt_f(V::iramp()), V::set1((float)(e - j))), ev, V::zero()));
      }
      total += (double)V::reduce_add(acc);
    }
    // 3. Probabilities e / sum, or log-probabilities (x - max) - log(sum).
    if (log) {
      const F lse = V::set1((float)std::log(total));
      for (j = 0; j + NL <= cols; j += NL) V::store(yr + j, V::sub(V::sub(V::load(xr + j), vm), lse));
      if (j < cols) store_n<V>(yr + j, V::sub(V::sub(load_n<V>(xr + j, cols - j), vm), lse), cols - j);
    } else {
      const F vs = V::set1((float)total);
      for (j = 0; j + NL <= cols; j += NL) V::store(yr + j, V::div(V::load(yr + j), vs));
      if (j < cols) store_n<V>(yr + j, V::div(load_n<V>(yr + j, cols - j), vs), cols - j);
    }
  }
}

/** softmax: dx = y (g - <g, y>); logSoftmax: dx = g - exp(y) sum(g). */
template <class V>
inline void softmax_backward_impl(const float* y, const float* g, float* dx, int64_t rows, int64_t cols, bool log) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
  for (int64_t r = 0; r < rows; r++) {
    const float* yr = y + r * cols;
    const float* gr = g + r * cols;
    float* dr = dx + r * cols;
    int64_t j = 0;
    if (log) {
      const F s = V::set1((float)dsum<V>(gr, cols));
      for (; j + NL <= cols; j += NL) V::store(dr + j, V::sub(V::load(gr + j), V::mul(exp_subnormal<V>(V::load(yr + j)), s)));
      if (j < cols)
        store_n<V>(dr + j, V::sub(load_n<V>(gr + j, cols - j), V::mul(exp_subnormal<V>(load_n<V>(yr + j, cols - j)), s)), cols - j);
    } else {
      const F d = V::set1((float)ddot<V>(gr, yr, cols));
      for (; j + NL <= cols; j += NL) V::store(dr + j, V::mul(V::load(yr + j), V::sub(V::load(gr + j), d)));
      if (j < cols) store_n<V>(dr + j, V::mul(load_n<V>(yr + j, cols - j), V::sub(load_n<V>(gr + j, cols - j), d)), cols - j);
    }
  }
}

// ---- the kernels (kernel_list.h) ---------------------------------------------------------------

template <class V>
void softmax(const SoftmaxParams& p, int64_t r0, int64_t r1) {
  softmax_impl<V>(p.x + r0 * p.cols, p.y + r0 * p.cols, r1 - r0, p.cols, p.log);
}
template <class V>
void softmax_backward(const SoftmaxBackwardParams& p, int64_t r0, int64_t r1) {
  softmax_backward_impl<V>(p.y + r0 * p.cols, p.g + r0 * p.cols, p.dx + r0 * p.cols, r1 - r0, p.cols, p.log);
}

}  // namespace
}  // namespace simd
}  // namespace kd
