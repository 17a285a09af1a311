// MSE pieces, scalar variant: the C++ reference. Returns sum (a - b)^2 over [i0, i1) in double;
// grad_a = 2 a_scale (a - b), grad_b = 2 b_scale (b - a).
#include "../kernel_list.h"

double kd_mse_scalar(const kd::MseParams& p, int64_t i0, int64_t i1) {
  double acc = 0;
  for (int64_t i = i0; i < i1; ++i) {
    const double d = static_cast<double>(p.a[i]) - p.b[i];
    acc += d * d;
    if (p.grad_a) p.grad_a[i] = static_cast<float>(2.0 * p.a_grad_scale * d);
    if (p.grad_b) p.grad_b[i] = static_cast<float>(-2.0 * p.b_grad_scale * d);
  }
  return acc;
}
