// Fused cross-entropy (log-softmax + NLL, label smoothing, ignore_index, class weights), generic
// over V. Per row: 1. max; 2. Z = sum exp(x - m) (and, with smoothing, S = sum w_c (x_c - m));
// 3. loss = w_y (1 - eps)(log Z - (x_y - m)) + (eps / C)(W log Z - S), W = sum w;
//    grad_c = scale ((w_y (1 - eps) + eps W / C) p_c - (eps / C) w_c - [c = y] w_y (1 - eps)).
#pragma once
#include <cmath>
#include <limits>

#include "../../dispatch/thread_pool.h"
#include "../kernels.h"
#include "sweep.h"
#include "vmath.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

// Sum of the class weights (C without weights), in double, fixed order.
inline double class_weight_sum(const float* w, int64_t C) {
  if (!w) return static_cast<double>(C);
  double W = 0;
  for (int64_t j = 0; j < C; ++j) W += w[j];
  return W;
}

// One row's hard (T = 1) cross-entropy pieces, shared with the Hinton kernel.
struct CeRow {
  float m = 0, Z = 0, S = 0;  // max, sum exp(x - m), sum w (x - m) (smoothing only)
};

// Cross-entropy over short rows, N rows at a time (see narrow_cols in sweep.h): the same steps
// vertically, with log Z from the vector log and the per-row constants computed per lane.
template <class V>
void cross_entropy_narrow(const CrossEntropyParams& p, int64_t r0, int64_t r1) {
  using R = typename V::R;
  constexpr int N = V::N;
  const int64_t C = p.cols;
  const float eps = static_cast<float>(p.label_smoothing);
  const double W = class_weight_sum(p.weight, C);
  const float* w = p.weight;
  const R vlog2e = V::set1(static_cast<float>(kLog2e));
  float* X = scratch_of<float>(6, static_cast<size_t>(2 * C * N));
  float* E = X + C * N;
  float mv[N], lzv[N], sv[N], k1v[N], k2v[N], zv[N];
  for (int64_t i0 = r0; i0 < r1; i0 += N) {
    const int64_t nb = r1 - i0 < N ? r1 - i0 : N;
    gather_block<V>(p.logits + i0 * C, C, nb, X);
    R m = V::set1(-std::numeric_limits<float>::infinity());
    for (int64_t j = 0; j < C; ++j) m = V::max(m, V::load(X + j * N));
    R Z = V::zero(), S = V::zero();
    for (int64_t j = 0; j < C; ++j) {
      const R d = V::sub(V::load(X + j * N), m);
      const R e = exp2_flush<V>(V::mul(d, vlog2e));
      Z = V::add(Z, e);
      if (eps != 0.0f) S = w ? V::fma(V::set1(w[j]), d, S) : V::add(S, d);
      V::store(E + j * N, e);
    }
    V::store(mv, m);
    V::store(zv, Z);
    V::store(lzv, vlog<V>(Z));
    V::store(sv, S);
    for (int64_t l = 0; l < N; ++l) k1v[l] = k2v[l] = 0.0f;
    for (int64_t l = 0; l < nb; ++l) {
      const int64_t i = i0 + l;
      const int32_t y = p.labels[i];
      if (y == p.ignore_index) {
        p.row_loss[i] = 0.0f;
        continue;
      }
      const double logZ = lzv[l];
      const double wy = w ? w[y] : 1.0;
      double loss = wy * (1.0 - p.label_smoothing) * (logZ - (static_cast<double>(p.logits[i * C + y]) - mv[l]));
      if (eps != 0.0f) loss += p.label_smoothing / C * (W * logZ - sv[l]);
      p.row_loss[i] = static_cast<float>(loss);
      const double coef = wy * (1.0 - p.label_smoothing) + p.label_smoothing * W / C;
      k1v[l] = static_cast<float>(p.grad_scale * coef / zv[l]);
      k2v[l] = static_cast<float>(p.grad_scale * p.label_smoothing / C);
    }
    if (!p.grad) continue;
    const R vk1 = V::load(k1v), vk2 = V::load(k2v);
    for (int64_t j = 0; j < C; ++j) {
      R gv = V::mul(V::load(E + j * N), vk1);
      if (eps != 0.0f) gv = w ? V::sub(gv, V::mul(V::set1(w[j]), vk2)) : V::sub(gv, vk2);
      V::store(E + j * N, gv);
    }
    scatter_block<V>(E, C, nb, p.grad + i0 * C);
    for (int64_t l = 0; l < nb; ++l) {
      const int64_t i = i0 + l;
      const int32_t y = p.labels[i];
      if (y == p.ignore_index) continue;
      const double wy = w ? w[y] : 1.0;
      p.grad[i * C + y] += -static_cast<float>(p.grad_scale * wy * (1.0 - p.label_smoothing));
    }
  }
}

template <class V>
void cross_entropy(const CrossEntropyParams& p, int64_t r0, int64_t r1) {
  if (narrow_cols<V>(p.cols)) return cross_entropy_narrow<V>(p, r0, r1);
  using R = typename V::R;
  const int64_t C = p.cols;
  const float eps = static_cast<float>(p.label_smoothing);
  const double W = class_weight_sum(p.weight, C);
  const float* w = p.weight;
  for (int64_t i = r0; i < r1; ++i) {
    const float* x = p.logits + i * C;
    float* g = p.grad ? p.grad + i * C : nullptr;
    const int32_t y = p.labels[i];
    if (y == p.ignore_index) {
      p.row_loss[i] = 0.0f;
      zero_row(g, C);
      continue;
    }
    const float* nx = (i + 1 < r1 && C >= 256) ? x + C : nullptr;  // next row, prefetched in 1-2
    // 1-2. (e = exp(x - m) kept in the gradient row for 3.)
    const float m = row_max_v<V>(x, C);
    const R vm = V::set1(m), vlog2e = V::set1(static_cast<float>(kLog2e));
    R te = V::zero();  // the tail's e
    auto z = sweep_v<V, 2>(C, [&](auto L, int64_t j, R* acc) {
      if (nx) __builtin_prefetch(nx + j, 0, 3);
      const R d = V::sub(L.ld(x + j, m), vm);
      const R e = exp2_flush<V>(V::mul(d, vlog2e));
      acc[0] = V::add(acc[0], L.keep(e));
      if (eps != 0.0f) acc[1] = (w ? V::fma(L.ld0(w + j), d, acc[1]) : V::add(acc[1], L.keep(d)));
      if (g) L.put(g + j, te, e);
    });
    const float Z = z[0], S = z[1];
    const double logZ = std::log(static_cast<double>(Z));
    const double wy = w ? w[y] : 1.0;
    // 3.
    double loss = wy * (1.0 - p.label_smoothing) * (logZ - (static_cast<double>(x[y]) - m));
    if (eps != 0.0f) loss += p.label_smoothing / C * (W * logZ - S);
    p.row_loss[i] = static_cast<float>(loss);
    if (g) {
      const double coef = wy * (1.0 - p.label_smoothing) + p.label_smoothing * W / C;
      const float k1 = static_cast<float>(p.grad_scale * coef / Z);
      const float k2 = static_cast<float>(p.grad_scale * p.label_smoothing / C);
      const float gy = -static_cast<float>(p.grad_scale * wy * (1.0 - p.label_smoothing));
      const R vk1 = V::set1(k1), vk2 = V::set1(k2);
      sweep_v<V, 0>(C, [&](auto L, int64_t j, R*) {
        R gv = V::mul(L.get(g + j, te), vk1);
        if (eps != 0.0f) gv = w ? V::sub(gv, V::mul(L.ld0(w + j), vk2)) : V::sub(gv, vk2);
        L.st(g + j, L.add_at(gv, y - j, gy));
      });
    }
  }
}

}  // namespace
}  // namespace simd
}  // namespace kd
