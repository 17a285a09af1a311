// GEMM, scalar reference: one row of C at a time, op(A)(i, p) * op(B)(p, :) accumulated in double.
#include "../../dispatch/thread_pool.h"
#include "../kernel_list.h"

void kd_gemm_scalar(const kd::GemmParams& P) {
  if (P.m <= 0 || P.n <= 0) return;
  double* acc = kd::scratch_of<double>(3, (size_t)P.n);
  for (int64_t i = 0; i < P.m; i++) {
    // 1. acc = sum_p opA(i, p) * opB(p, :), in double.
    for (int64_t j = 0; j < P.n; j++) acc[j] = 0.0;
    for (int64_t p = 0; p < P.k; p++) {
      const double a = P.a[i * P.a_rs + p * P.a_cs];
      const float* b = P.b + p * P.b_rs;
      for (int64_t j = 0; j < P.n; j++) acc[j] += a * (double)b[j * P.b_cs];
    }
    // 2. Store or accumulate into C, rounding once.
    float* c = P.c + i * P.ldc;
    for (int64_t j = 0; j < P.n; j++) c[j] = P.accumulate ? (float)((double)c[j] + acc[j]) : (float)acc[j];
  }
}
