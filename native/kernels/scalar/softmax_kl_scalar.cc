// Fused softmax-KL, scalar variant: the C++ reference (double arithmetic) for the SIMD variants.
// Per row: 1. maxima; 2. log-sum-exp; 3. log p_t, log p_s; 4. loss; 5. gradients.
// A NaN or +inf logit: row loss NaN, gradient rows NaN (the SIMD variants send such rows here).
// Masked teacher entries (-inf) have p_t = 0: 0 loss, 0 gradient. Probabilities below the float32
// exp range (x < -87.33654, where the SIMD exp flushes to 0) count as exactly 0 in every variant.
// reverse-kl: a masked teacher class where the student logit is finite gives +inf, as in the
// TypeScript reference (both -inf: 0 log 0 = 0). Logits minus their row max, divided by T, are
// formed in double, so differences beyond float32 (logits of +-3e38) stay exact.
#include <cmath>
#include <limits>
#include <vector>

#include "../kernel_list.h"

namespace {
constexpr double kFlush = -87.33654;
inline double fexp(double x) { return x < kFlush ? 0.0 : std::exp(x); }
}  // namespace

void kd_softmax_kl_scalar(const kd::SoftmaxKLParams& p, int64_t r0, int64_t r1) {
  const int64_t C = p.cols;
  const double T = p.temperature, invT = 1.0 / T, T2 = T * T, beta = p.beta;
  std::vector<double> lpt(C), lps(C), pt(C), ps(C);
  for (int64_t i = r0; i < r1; ++i) {
    const float* s = p.student + i * C;
    const float* t = p.teacher + i * C;
    float* gs = p.grad_student ? p.grad_student + i * C : nullptr;
    float* gt = p.grad_teacher ? p.grad_teacher + i * C : nullptr;
    // 0. PyTorch's non-finite policy.
    if (kd::has_nan_or_posinf(s, C) || kd::has_nan_or_posinf(t, C)) {
      p.row_loss[i] = std::numeric_limits<float>::quiet_NaN();
      kd::fill_nan(gs, C);
      kd::fill_nan(gt, C);
      continue;
    }
    // 1.
    double ms = -INFINITY, mt = -INFINITY;
    for (int64_t j = 0; j < C; ++j) ms = s[j] > ms ? s[j] : ms, mt = t[j] > mt ? t[j] : mt;
    if (mt == -INFINITY) {
      p.row_loss[i] = 0.0f;
      for (int64_t j = 0; j < C; ++j) {
        if (gs) gs[j] = 0.0f;
        if (gt) gt[j] = 0.0f;
      }
      continue;
    }
    // 2-3.
    double zs = 0, zt = 0;
    for (int64_t j = 0; j < C; ++j) {
      lps[j] = (s[j] - ms) * invT;
      lpt[j] = (t[j] - mt) * invT;
      zs += fexp(lps[j]);
      zt += fexp(lpt[j]);
    }
    const double lzs = std::log(zs), lzt = std::log(zt);
    for (int64_t j = 0; j < C; ++j) {
      ps[j] = fexp(lps[j]) / zs;
      pt[j] = fexp(lpt[j]) / zt;
      lps[j] -= lzs;
      lpt[j] -= lzt;
    }
    // 4-5.
    if (p.divergence == kd::Divergence::ForwardKL) {
      double kl = 0;
      for (int64_t j = 0; j < C; ++j)
        if (pt[j] > 0) kl += pt[j] * (lpt[j] - lps[j]);
      p.row_loss[i] = static_cast<float>(T2 * kl);
      for (int64_t j = 0; j < C; ++j) {
        if (gs) gs[j] = static_cast<float>(p.student_grad_scale * T * (ps[j] - pt[j]));
        if (gt) gt[j] = pt[j] > 0 ? static_cast<float>(p.teacher_grad_scale * T * pt[j] * (lpt[j] - lps[j] - kl)) : 0.0f;
      }
    } else if (p.divergence == kd::Divergence::ReverseKL) {
      // A masked teacher class (t = -inf) under the student's (finite-logit) mass: KL = +inf.
      double kl = 0;
      bool inf = false;
      for (int64_t j = 0; j < C; ++j) {
        if (t[j] == -INFINITY && s[j] != -INFINITY) inf = true;
        if (ps[j] > 0) kl += ps[j] * (lps[j] - lpt[j]);
      }
      inf = inf || !std::isfinite(kl);
      p.row_loss[i] = inf ? std::numeric_limits<float>::infinity() : static_cast<float>(T2 * kl);
      for (int64_t j = 0; j < C; ++j) {
        if (gs) gs[j] = (inf || ps[j] <= 0) ? 0.0f : static_cast<float>(p.student_grad_scale * T * ps[j] * (lps[j] - lpt[j] - kl));
        if (gt) gt[j] = inf ? 0.0f : static_cast<float>(p.teacher_grad_scale * T * (pt[j] - ps[j]));
      }
    } else {
      // JSD: d/dp_s = (1 - beta) log(p_s / m), d/dp_t = beta log(p_t / m); through the softmax:
      // grad_s = T (1 - beta) p_s (log(p_s / m) - KL(p_s || m)), likewise for t.
      const bool use1 = beta != 0.0, use2 = beta != 1.0;
      double k1 = 0, k2 = 0;
      std::vector<double> lm(C);
      for (int64_t j = 0; j < C; ++j) {
        // m = p_s exactly at beta 0 and p_t exactly at beta 1 (loss and gradients exactly 0).
        lm[j] = beta == 0 ? lps[j] : beta == 1 ? lpt[j] : std::log(beta * pt[j] + (1 - beta) * ps[j]);
        if (use1 && pt[j] > 0) k1 += pt[j] * (lpt[j] - lm[j]);
        if (use2 && ps[j] > 0) k2 += ps[j] * (lps[j] - lm[j]);
      }
      p.row_loss[i] = static_cast<float>(T2 * ((use1 ? beta * k1 : 0.0) + (use2 ? (1 - beta) * k2 : 0.0)));
      for (int64_t j = 0; j < C; ++j) {
        if (gs) gs[j] = (use2 && ps[j] > 0) ? static_cast<float>(p.student_grad_scale * T * (1 - beta) * ps[j] * (lps[j] - lm[j] - k2)) : 0.0f;
        if (gt) gt[j] = (use1 && pt[j] > 0) ? static_cast<float>(p.teacher_grad_scale * T * beta * pt[j] * (lpt[j] - lm[j] - k1)) : 0.0f;
      }
    }
  }
}
