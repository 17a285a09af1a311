// The avx512 variant of every kernel (AVX-512 F/BW/DQ/VL + FMA): the generic kernels (generic/*_impl.h) on
// kd::simd::Avx512, defined for each line of kernel_list.h by generic/instantiate.h.
#include "vec_avx512.h"
#define KD_ISA avx512
#define KD_VEC kd::simd::Avx512
#include "../generic/instantiate.h"
