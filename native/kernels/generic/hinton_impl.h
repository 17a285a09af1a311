// Fused Hinton loss, generic over V: soft = T^2 KL(p_t || p_s) at T, hard = cross-entropy at T = 1,
// one read of the student row. Per row: 1. maxima (max(s/T) = max(s)/T); 2. ZsT, Zt, Z1 and,
// with smoothing, S = sum w (s - m); 3. soft loss and the combined gradient
// grad = softScale T (p_s^T - p_t) + hardScale (coef p_s^1 - (eps / C) w - [c = y] w_y (1 - eps)).
#pragma once
#include <cmath>
#include <limits>

#include "../../dispatch/thread_pool.h"
#include "../kernels.h"
#include "cross_entropy_impl.h"
#include "sweep.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

template <class V>
void hinton_rows(const HintonParams& p, int64_t r0, int64_t r1) {
  using R = typename V::R;
  const int64_t C = p.cols;
  const float invT = static_cast<float>(1.0 / p.temperature);
  const double T2 = p.temperature * p.temperature;
  const float eps = static_cast<float>(p.label_smoothing);
  const double W = class_weight_sum(p.weight, C);
  const float* w = p.weight;
  const bool t1 = invT == 1.0f;  // then exp(d / T) = exp(d): one student exp
  // e_s^T goes to the gradient row, e_t and e_s^1 (T != 1) to per-thread scratch rows.
  float* et_buf = p.grad ? scratch_of<float>(4, static_cast<size_t>(C)) : nullptr;
  float* e1_buf = (p.grad && !t1) ? scratch_of<float>(5, static_cast<size_t>(C)) : nullptr;
  for (int64_t i = r0; i < r1; ++i) {
    const float* s = p.student + i * C;
    const float* t = p.teacher + i * C;
    float* g = p.grad ? p.grad + i * C : nullptr;
    const int32_t y = p.labels[i];
    const bool hard = y != p.ignore_index;
    if (i + 1 < r1) {
      prefetch_next<V>(s + C, C);
      prefetch_next<V>(t + C, C);
    }
    // 1.
    const float ms = row_max_v<V>(s, C), mt = row_max_v<V>(t, C);
    const bool soft = mt != -std::numeric_limits<float>::infinity();  // else fully masked: soft 0
    const bool smooth = hard && eps != 0.0f;
    const R vms = V::set1(ms), vmt = V::set1(mt), vinvT = V::set1(invT);
    R tes = V::zero(), tet = V::zero(), te1 = V::zero();  // the tail's exps
    // 2. ZsT, Zt, Z1, S and D = sum e_t (a - b); the exps are kept for 3.
    auto z = sweep_v<V, 5>(C, [&](auto L, int64_t j, R* acc) {
      const R d = V::sub(L.ld(s + j, ms), vms);
      const R b = V::mul(d, vinvT);
      const R esT = V::exp(b);
      acc[0] = V::add(acc[0], L.keep(esT));
      if (g) L.put(g + j, tes, esT);
      if (soft) {
        const R a = V::mul(V::sub(L.ld(t + j, mt), vmt), vinvT);
        const R et = V::exp(a);
        acc[1] = V::add(acc[1], L.keep(et));
        acc[4] = V::add(acc[4], L.keep(V::pos_or_zero(et, V::mul(et, V::sub(a, b)))));
        if (g) L.put(et_buf + j, tet, et);
      }
      if (hard && !t1) {
        const R e1 = V::exp(d);
        acc[2] = V::add(acc[2], L.keep(e1));
        if (g) L.put(e1_buf + j, te1, e1);
      }
      if (smooth) acc[3] = w ? V::fma(L.ld0(w + j), d, acc[3]) : V::add(acc[3], L.keep(d));
    });
    const float ZsT = z[0], Zt = soft ? z[1] : 1.0f, Z1 = t1 ? z[0] : z[2], S = z[3];
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
    p.soft_row[i] = soft ? static_cast<float>(T2 * (z[4] * rZt + c)) : 0.0f;
    if (!g) continue;
    // 3. grad = softScale T (p_s^T - p_t) + hardScale (coef p_s^1 - (eps / C) w - [c = y] ...)
    const float ks = soft ? static_cast<float>(p.temperature * p.soft_grad_scale) : 0.0f;
    const float k1 = hard
        ? static_cast<float>(p.hard_grad_scale * (wy * (1.0 - p.label_smoothing) + p.label_smoothing * W / C) / Z1)
        : 0.0f;
    const float k2 = smooth ? static_cast<float>(p.hard_grad_scale * p.label_smoothing / C) : 0.0f;
    const float gy = -static_cast<float>(p.hard_grad_scale * wy * (1.0 - p.label_smoothing));
    const R vks = V::set1(ks * rZs), vkt = V::set1(ks * rZt), vk1 = V::set1(k1), vk2 = V::set1(k2);
    sweep_v<V, 0>(C, [&](auto L, int64_t j, R*) {
      const R esT = L.get(g + j, tes);
      R gv = V::mul(esT, vks);
      if (soft) gv = V::sub(gv, V::mul(L.get(et_buf + j, tet), vkt));
      if (hard) gv = V::fma(t1 ? esT : L.get(e1_buf + j, te1), vk1, gv);
      if (smooth) gv = w ? V::sub(gv, V::mul(L.ld0(w + j), vk2)) : V::sub(gv, vk2);
      L.st(g + j, hard ? L.add_at(gv, y - j, gy) : gv);
    });
  }
}

}  // namespace
}  // namespace simd
}  // namespace kd
