// GEMM, avx512: cache-blocked, packed A/B panels, avx512 micro-kernel (see ops_simd.h gemm_impl).
#include "vec_avx512.h"
#include "../ops_simd.h"

void kd_gemm_avx512(const kd::GemmParams& p) { gemm_impl(p); }
