// Fused cross-entropy, scalar variant: the C++ reference (double arithmetic).
// row_loss = w_y (1 - eps)(-log p_y) + (eps / C) sum_c w_c (-log p_c)   (PyTorch CrossEntropyLoss)
// grad_c   = scale ((w_y (1 - eps) + eps W / C) p_c - (eps / C) w_c - [c = y] w_y (1 - eps))
#include <cmath>

#include "../kernel_list.h"

void kd_cross_entropy_scalar(const kd::CrossEntropyParams& p, int64_t r0, int64_t r1) {
  const int64_t C = p.cols;
  const double eps = p.label_smoothing;
  // (Weighted and unweighted loops kept apart: a conditional reduction trips an aarch64 GCC 12 ICE.)
  double W = static_cast<double>(C);
  if (p.weight) {
    W = 0;
    for (int64_t j = 0; j < C; ++j) W += p.weight[j];
  }
  for (int64_t i = r0; i < r1; ++i) {
    const float* x = p.logits + i * C;
    float* g = p.grad ? p.grad + i * C : nullptr;
    const int32_t y = p.labels[i];
    if (y == p.ignore_index) {
      p.row_loss[i] = 0.0f;
      if (g)
        for (int64_t j = 0; j < C; ++j) g[j] = 0.0f;
      continue;
    }
    // 1. log-sum-exp
    double m = -INFINITY;
    for (int64_t j = 0; j < C; ++j) m = x[j] > m ? x[j] : m;
    double z = 0;
    for (int64_t j = 0; j < C; ++j) z += std::exp(static_cast<double>(x[j]) - m);
    const double lz = std::log(z);  // log-sum-exp = m + lz, kept apart (m may be 3e38, lz small)
    // 2. loss
    const double wy = p.weight ? p.weight[y] : 1.0;
    double loss = wy * (1 - eps) * ((m - x[y]) + lz);
    if (eps != 0) {
      double smooth = 0;
      if (p.weight)
        for (int64_t j = 0; j < C; ++j) smooth += p.weight[j] * ((m - x[j]) + lz);
      else
        for (int64_t j = 0; j < C; ++j) smooth += (m - x[j]) + lz;
      loss += eps / C * smooth;
    }
    p.row_loss[i] = static_cast<float>(loss);
    // 3. gradient
    if (g) {
      const double coef = wy * (1 - eps) + eps * W / C;
      for (int64_t j = 0; j < C; ++j) {
        const double pj = std::exp((static_cast<double>(x[j]) - m) - lz);
        double gj = coef * pj - eps / C * (p.weight ? p.weight[j] : 1.0);
        if (j == y) gj -= wy * (1 - eps);
        g[j] = static_cast<float>(p.grad_scale * gj);
      }
    }
  }
}
