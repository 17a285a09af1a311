// GEMM, avx2: cache-blocked, packed A/B panels, avx2 micro-kernel (see ops_simd.h gemm_impl).
#include "vec_avx2.h"
#include "../ops_simd.h"

void kd_gemm_avx2(const kd::GemmParams& p) { gemm_impl(p); }
