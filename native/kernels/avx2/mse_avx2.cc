// MSE, avx2 variant: the generic kernel (generic/mse_impl.h) instantiated on simd::Avx2.
#include "../generic/mse_impl.h"
#include "vec_avx2.h"

double kd_mse_avx2(const kd::MseParams& p, int64_t i0, int64_t i1) {
  return kd::simd::mse_range<kd::simd::Avx2>(p, i0, i1);
}
