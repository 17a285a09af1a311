// The neon variant of every kernel (aarch64 Advanced SIMD): the generic kernels (generic/*_impl.h) on
// kd::simd::Neon, defined for each line of kernel_list.h by generic/instantiate.h.
#include "vec_neon.h"
#define KD_ISA neon
#define KD_VEC kd::simd::Neon
#include "../generic/instantiate.h"
