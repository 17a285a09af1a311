// GEMM, neon: cache-blocked, packed A/B panels, 8 x 8 NEON micro-kernel (see ops_simd.h gemm_impl).
#include "vec_neon.h"
#include "../ops_simd.h"

void kd_gemm_neon(const KdGemmParams& p) { gemm_impl(p); }
