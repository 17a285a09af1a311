// MSE, avx512 variant: the generic kernel (generic/mse_impl.h) instantiated on simd::Avx512.
#include "../generic/mse_impl.h"
#include "vec_avx512.h"

double kd_mse_avx512(const kd::MseParams& p, int64_t i0, int64_t i1) {
  return kd::simd::mse_range<kd::simd::Avx512>(p, i0, i1);
}
