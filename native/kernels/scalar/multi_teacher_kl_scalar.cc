// Fused multi-teacher KL, scalar variant: the C++ reference (double arithmetic).
// q = sum_k w_k softmax(t_k / T); loss = T^2 KL(q || p_s); grad_s = T (p_s - q);
// grad_t_k = T w_k p_k (g - <p_k, g>), g = log q - log p_s. Fully masked teacher rows contribute 0.
// A NaN or +inf logit (student or any teacher): row loss NaN, gradient rows NaN.
#include <cmath>
#include <limits>
#include <vector>

#include "../kernel_list.h"

namespace {
inline double fexp(double x) { return x < -87.33654 ? 0.0 : std::exp(x); }
}  // namespace

void kd_multi_teacher_kl_scalar(const kd::MultiTeacherParams& p, int64_t r0, int64_t r1) {
  const int64_t C = p.cols;
  const int K = p.k;
  const double T = p.temperature, invT = 1.0 / T;
  std::vector<double> q(C), lps(C), g(C), pk(static_cast<size_t>(K) * C);
  std::vector<char> live(K);
  for (int64_t i = r0; i < r1; ++i) {
    const float* s = p.student + i * C;
    bool bad = kd::has_nan_or_posinf(s, C);  // PyTorch's non-finite policy: a NaN row
    for (int k = 0; k < K; ++k) bad = bad || kd::has_nan_or_posinf(p.teachers[k] + i * C, C);
    if (bad) {
      p.row_loss[i] = std::numeric_limits<float>::quiet_NaN();
      kd::fill_nan(p.grad_student ? p.grad_student + i * C : nullptr, C);
      for (int k = 0; k < K && p.grad_teachers; ++k)
        kd::fill_nan(p.grad_teachers[k] ? p.grad_teachers[k] + i * C : nullptr, C);
      continue;
    }
    double ms = -INFINITY;
    for (int64_t j = 0; j < C; ++j) ms = s[j] > ms ? s[j] : ms;
    double zs = 0;
    for (int64_t j = 0; j < C; ++j) zs += fexp((s[j] - ms) * invT);
    for (int64_t j = 0; j < C; ++j) lps[j] = (s[j] - ms) * invT - std::log(zs), q[j] = 0;
    for (int k = 0; k < K; ++k) {
      const float* t = p.teachers[k] + i * C;
      double mt = -INFINITY;
      for (int64_t j = 0; j < C; ++j) mt = t[j] > mt ? t[j] : mt;
      live[k] = mt != -INFINITY;
      double zt = 0;
      for (int64_t j = 0; j < C; ++j) zt += live[k] ? fexp((t[j] - mt) * invT) : 0.0;
      for (int64_t j = 0; j < C; ++j) {
        pk[k * C + j] = live[k] ? fexp((t[j] - mt) * invT) / zt : 0.0;
        q[j] += p.weights[k] * pk[k * C + j];
      }
    }
    bool any = false;
    for (int k = 0; k < K; ++k) any |= live[k] && p.weights[k] > 0;
    if (!any) {  // q = 0 everywhere: loss 0, gradients 0
      p.row_loss[i] = 0.0f;
      for (int64_t j = 0; j < C; ++j)
        if (p.grad_student) p.grad_student[i * C + j] = 0.0f;
      for (int k = 0; k < K && p.grad_teachers; ++k)
        if (p.grad_teachers[k])
          for (int64_t j = 0; j < C; ++j) p.grad_teachers[k][i * C + j] = 0.0f;
      continue;
    }
    double kl = 0;
    for (int64_t j = 0; j < C; ++j) {
      g[j] = std::log(q[j]) - lps[j];
      if (q[j] > 0) kl += q[j] * g[j];
    }
    p.row_loss[i] = static_cast<float>(T * T * kl);
    if (p.grad_student)
      for (int64_t j = 0; j < C; ++j)
        p.grad_student[i * C + j] = static_cast<float>(p.student_grad_scale * T * (std::exp(lps[j]) - q[j]));
    for (int k = 0; k < K && p.grad_teachers; ++k) {
      float* gt = p.grad_teachers[k];
      if (!gt) continue;
      gt += i * C;
      if (!live[k] || p.weights[k] <= 0) {  // contributes nothing to q
        for (int64_t j = 0; j < C; ++j) gt[j] = 0.0f;
        continue;
      }
      double dot = 0;
      for (int64_t j = 0; j < C; ++j)
        if (pk[k * C + j] > 0) dot += pk[k * C + j] * g[j];
      for (int64_t j = 0; j < C; ++j)
        gt[j] = pk[k * C + j] > 0
            ? static_cast<float>(p.teacher_grad_scales[k] * T * p.weights[k] * pk[k * C + j] * (g[j] - dot))
            : 0.0f;
    }
  }
}
