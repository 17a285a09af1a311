// GEMM, neon: cache-blocked, packed A/B panels, neon micro-kernel (see ops_simd.h gemm_impl).
#include "vec_neon.h"
#include "../ops_simd.h"

void kd_gemm_neon(const kd::GemmParams& p) { gemm_impl(p); }
