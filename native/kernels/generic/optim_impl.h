// Fused SGD (momentum, dampening, Nesterov, weight decay) and Adam / AdamW steps over the ISA
// vector type V. Contract: ops.h SgdParams, AdamParams.
#pragma once
#include <cmath>
#include <cstdint>

#include "../ops.h"
#include "ops_common.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

/** torch.optim.SGD, float32 arithmetic (see src/backends/cpu/optim.ts for the steps). */
template <class V>
inline void sgd_impl(float* param, const float* grad, float* buf, int64_t n, const SgdParams& p) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
  const F lr = V::set1((float)-p.lr), wd = V::set1((float)p.weight_decay), mom = V::set1((float)p.momentum),
          damp = V::set1((float)(1.0 - p.dampening));
  const bool useWd = p.weight_decay != 0, useMom = p.momentum != 0 && buf;
  for (int64_t i = 0; i < n; i += NL) {
    const int64_t c = imin(NL, n - i);
    const bool full = c == NL;
    F pv = full ? V::load(param + i) : load_n<V>(param + i, c);
    F g = full ? V::load(grad + i) : load_n<V>(grad + i, c);
    // 1. L2 weight decay.
    if (useWd) g = V::fma(wd, pv, g);
    // 2. Momentum buffer (first step: buf = g), optionally Nesterov.
    if (useMom) {
      F b = g;
      if (p.has_momentum_buffer) b = V::fma(mom, full ? V::load(buf + i) : load_n<V>(buf + i, c), V::mul(damp, g));
      if (full) V::store(buf + i, b); else store_n<V>(buf + i, b, c);
      g = p.nesterov ? V::fma(mom, b, g) : b;
    }
    // 3. Descend.
    pv = V::fma(lr, g, pv);
    if (full) V::store(param + i, pv); else store_n<V>(param + i, pv, c);
  }
}

/** torch.optim.Adam / AdamW, float32 arithmetic with double-precision step constants. */
template <class V>
inline void adam_impl(float* param, const float* grad, float* m, float* v, int64_t n, const AdamParams& p) {
  using F = typename V::R;
  constexpr int64_t NL = V::N;
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
    F pv = full ? V::load(param + i) : load_n<V>(param + i, c);
    F g = full ? V::load(grad + i) : load_n<V>(grad + i, c);
    F mv = full ? V::load(m + i) : load_n<V>(m + i, c);
    F vv = full ? V::load(v + i) : load_n<V>(v + i, c);
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
      store_n<V>(param + i, pv, c); store_n<V>(m + i, mv, c); store_n<V>(v + i, vv, c);
    }
  }
}

// ---- the kernels (kernel_list.h) ---------------------------------------------------------------

template <class V>
void sgd(const SgdParams& p, int64_t i0, int64_t i1) {
  sgd_impl<V>(p.param + i0, p.grad + i0, p.momentum_buf ? p.momentum_buf + i0 : nullptr, i1 - i0, p);
}
template <class V>
void adam(const AdamParams& p, int64_t i0, int64_t i1) {
  adam_impl<V>(p.param + i0, p.grad + i0, p.m + i0, p.v + i0, i1 - i0, p);
}

}  // namespace
}  // namespace simd
}  // namespace kd
