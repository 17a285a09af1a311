// The avx2 variant of every kernel (-mavx2 -mfma): the generic kernels (generic/*_impl.h) on
// kd::simd::Avx2, defined for each line of kernel_list.h by generic/instantiate.h.
#include "vec_avx2.h"
#define KD_ISA avx2
#define KD_VEC kd::simd::Avx2
#include "../generic/instantiate.h"
