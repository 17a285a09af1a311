// Fused Hinton loss, generic over V: soft = T^2 KL(p_t || p_s) at T, hard = cross-entropy at T = 1,
// one read of the student row. Per row: 1. maxima (max(s/T) = max(s)/T); 2. ZsT, Zt, Z1 and,
// with smoothing, S = sum w (s - m); 3. soft loss and the combined gradient
// grad = softScale T (p_s^T - p_t) + hardScale (coef p_s^1 - (eps / C) w - [c = y] w_y (1 - eps)).
#pragma once
#include <cmath>
#include <limits>

#include "../kernels.h"
#include "cross_entropy_impl.h"
#include "sweep.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

template <class V>
void hinton_rows(const HintonParams& p, int64_t r0, int64_t r1) {
  const int64_t C = p.cols;
  const float invT = static_cast<float>(1.0 / p.temperature);
  const double T2 = p.temperature * p.temperature;
  const float eps = static_cast<float>(p.label_smoothing);
  const double W = class_weight_sum(p.weight, C);
  const float* w = p.weight;
  for (int64_t i = r0; i < r1; ++i) {
    const float* s = p.student + i * C;
    const float* t = p.teacher + i * C;
    float* g = p.grad ? p.grad + i * C : nullptr;
    const int32_t y = p.labels[i];
    const bool hard = y != p.ignore_index;
    if (i + 1 < r1) {
      prefetch_row<V>(s + C, C);
      prefetch_row<V>(t + C, C);
    }
    // 1.
    const float ms = row_max<V>(s, C), mt = row_max<V>(t, C);
    const bool soft = mt != -std::numeric_limits<float>::infinity();  // else fully masked: soft 0
    const bool smooth = hard && eps != 0.0f;
    // 2.
    auto z = sweep<V, 4>(C, [&](auto o, int64_t j, auto* acc) {
      using O = decltype(o);
      const auto d = O::sub(O::load(s + j), O::set1(ms));
      const auto a = O::mul(O::sub(O::load(t + j), O::set1(mt)), O::set1(invT));
      acc[0] = O::add(acc[0], O::exp(O::mul(d, O::set1(invT))));
      if (soft) acc[1] = O::add(acc[1], O::exp(a));
      if (hard) acc[2] = O::add(acc[2], O::exp(d));
      if (smooth) acc[3] = w ? O::fma(O::load(w + j), d, acc[3]) : O::add(acc[3], d);
    });
    const float ZsT = z[0], Zt = soft ? z[1] : 1.0f, Z1 = z[2], S = z[3];
    const float c = std::log(ZsT) - std::log(Zt);
    const float rZs = 1.0f / ZsT, rZt = 1.0f / Zt;
    // hard row
    const double wy = hard ? (w ? w[y] : 1.0) : 0.0;
    if (hard) {
      const double logZ1 = std::log(static_cast<double>(Z1));
      double h = wy * (1.0 - p.label_smoothing) * (logZ1 - (static_cast<double>(s[y]) - ms));
      if (smooth) h += p.label_smoothing / C * (W * logZ1 - S);
      p.hard_row[i] = static_cast<float>(h);
    } else {
      p.hard_row[i] = 0.0f;
    }
    // 3.
    const float ks = (g && soft) ? static_cast<float>(p.temperature * p.soft_grad_scale) : 0.0f;
    const float k1 = (g && hard)
        ? static_cast<float>(p.hard_grad_scale * (wy * (1.0 - p.label_smoothing) + p.label_smoothing * W / C) / Z1)
        : 0.0f;
    const float k2 = (g && smooth) ? static_cast<float>(p.hard_grad_scale * p.label_smoothing / C) : 0.0f;
    auto l = sweep<V, 1>(C, [&](auto o, int64_t j, auto* acc) {
      using O = decltype(o);
      const auto d = O::sub(O::load(s + j), O::set1(ms));
      const auto b = O::mul(d, O::set1(invT));
      const auto esT = O::exp(b);
      typename O::R et = O::zero();
      if (soft) {
        const auto a = O::mul(O::sub(O::load(t + j), O::set1(mt)), O::set1(invT));
        et = O::exp(a);
        acc[0] = O::add(acc[0], O::pos_or_zero(et, O::mul(et, O::add(O::sub(a, b), O::set1(c)))));
      }
      if (g) {
        auto gv = O::sub(O::mul(esT, O::set1(ks * rZs)), O::mul(et, O::set1(ks * rZt)));
        if (hard) gv = O::fma(O::exp(d), O::set1(k1), gv);
        if (smooth) gv = w ? O::sub(gv, O::mul(O::load(w + j), O::set1(k2))) : O::sub(gv, O::set1(k2));
        O::store(g + j, gv);
      }
    });
    p.soft_row[i] = soft ? static_cast<float>(T2 * (l[0] * rZt)) : 0.0f;
    if (g && hard) g[y] -= static_cast<float>(p.hard_grad_scale * wy * (1.0 - p.label_smoothing));
  }
}

}  // namespace
}  // namespace simd
}  // namespace kd
