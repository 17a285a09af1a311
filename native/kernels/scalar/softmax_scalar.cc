// Row softmax / log-softmax and their gradients, scalar reference (double, libm; as
// src/backends/cpu/softmax.ts).
#include <cmath>

#include "../kernel_list.h"

void kd_softmax_scalar(const kd::SoftmaxParams& p, int64_t r0, int64_t r1) {
  const int64_t cols = p.cols;
  const bool log = p.log;
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = p.x + r * cols;
    float* yr = p.y + r * cols;
    // 1. Row max (NaN-propagating, as Math.max).
    double mx = -INFINITY;
    for (int64_t j = 0; j < cols; j++) mx = std::isnan(xr[j]) || std::isnan(mx) ? NAN : (xr[j] > mx ? xr[j] : mx);
    // 2. Sum of shifted exponentials; 3. normalise.
    double s = 0;
    for (int64_t j = 0; j < cols; j++) s += std::exp(xr[j] - mx);
    if (log) {
      const double ls = std::log(s);
      for (int64_t j = 0; j < cols; j++) yr[j] = (float)(xr[j] - mx - ls);
    } else {
      for (int64_t j = 0; j < cols; j++) yr[j] = (float)(std::exp(xr[j] - mx) / s);
    }
  }
}

void kd_softmax_backward_scalar(const kd::SoftmaxBackwardParams& p, int64_t r0, int64_t r1) {
  const int64_t cols = p.cols;
  const bool log = p.log;
  for (int64_t r = r0; r < r1; r++) {
    const float* yr = p.y + r * cols;
    const float* gr = p.g + r * cols;
    float* dr = p.dx + r * cols;
    double s = 0;
    if (log) {
      for (int64_t j = 0; j < cols; j++) s += gr[j];
      for (int64_t j = 0; j < cols; j++) dr[j] = (float)(gr[j] - std::exp((double)yr[j]) * s);
    } else {
      for (int64_t j = 0; j < cols; j++) s += (double)gr[j] * yr[j];
      for (int64_t j = 0; j < cols; j++) dr[j] = (float)(yr[j] * (gr[j] - s));
    }
  }
}
