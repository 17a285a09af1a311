// Row softmax / log-softmax and their gradients, scalar reference (double, libm; as
// src/backends/cpu/softmax.ts).
#include <cmath>

#include "../ops.h"

void kd_softmax_scalar(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
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

void kd_softmax_backward_scalar(const float* y, const float* g, float* dx, int64_t rows, int64_t cols, bool log) {
  for (int64_t r = 0; r < rows; r++) {
    const float* yr = y + r * cols;
    const float* gr = g + r * cols;
    float* dr = dx + r * cols;
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
