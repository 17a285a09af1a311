// SGD and Adam / AdamW steps, scalar reference: torch.optim semantics, double per element, param
// and state rounded to float32 once (as src/backends/cpu/optim.ts).
#include <cmath>

#include "../kernel_list.h"

void kd_sgd_scalar(const kd::SgdParams& p, int64_t i0, int64_t i1) {
  float* param = p.param;
  float* buf = p.momentum_buf;
  const float* grad = p.grad;
  for (int64_t i = i0; i < i1; i++) {
    double g = grad[i];
    if (p.weight_decay != 0) g += p.weight_decay * param[i];
    if (p.momentum != 0 && buf) {
      const double b = p.has_momentum_buffer ? p.momentum * buf[i] + (1 - p.dampening) * g : g;
      buf[i] = (float)b;
      g = p.nesterov ? g + p.momentum * b : b;
    }
    param[i] = (float)(param[i] - p.lr * g);
  }
}

void kd_adam_scalar(const kd::AdamParams& p, int64_t i0, int64_t i1) {
  float *param = p.param, *m = p.m, *v = p.v;
  const float* grad = p.grad;
  const double bc1 = 1 - std::pow(p.beta1, p.step), bc2s = std::sqrt(1 - std::pow(p.beta2, p.step));
  const double stepSize = p.lr / bc1, decay = 1 - p.lr * p.weight_decay;
  for (int64_t i = i0; i < i1; i++) {
    double g = grad[i], value = param[i];
    if (p.weight_decay != 0) {
      if (p.decoupled) value *= decay;
      else g += p.weight_decay * value;
    }
    const double mi = p.beta1 * m[i] + (1 - p.beta1) * g;
    const double vi = p.beta2 * v[i] + (1 - p.beta2) * g * g;
    m[i] = (float)mi;
    v[i] = (float)vi;
    param[i] = (float)(value - stepSize * mi / (std::sqrt(vi) / bc2s + p.eps));
  }
}
