// MSE, neon variant: the generic kernel (generic/mse_impl.h) instantiated on simd::Neon.
#include "../generic/mse_impl.h"
#include "vec_neon.h"

double kd_mse_neon(const kd::MseParams& p, int64_t i0, int64_t i1) {
  return kd::simd::mse_range<kd::simd::Neon>(p, i0, i1);
}
