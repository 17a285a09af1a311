// Defines kd_<name>_<KD_ISA> for every kernel of kernel_list.h as the generic kernel
// kd::simd::<name><KD_VEC>. Included once by each ISA's kernels_<isa>.cc, after its vec_<isa>.h and
// with KD_ISA (the suffix) and KD_VEC (the vector type) defined: the whole ISA variant is that file.
#pragma once
#include "../kernel_list.h"
// The generic kernels, one header per kernel family.
#include "conv2d_impl.h"
#include "cross_entropy_impl.h"
#include "dropout_impl.h"
#include "elementwise_impl.h"
#include "fake_quantize_impl.h"
#include "gemm_impl.h"
#include "gram_impl.h"
#include "hinton_impl.h"
#include "maxpool_impl.h"
#include "mse_impl.h"
#include "multi_teacher_impl.h"
#include "optim_impl.h"
#include "reduce_impl.h"
#include "softmax_impl.h"
#include "softmax_kl_impl.h"

#define KD_DEFINE_Range(isa, name, P) \
  void kd_##name##_##isa(const kd::P& p, int64_t b, int64_t e) { kd::simd::name<KD_VEC>(p, b, e); }
#define KD_DEFINE_Whole(isa, name, P) \
  void kd_##name##_##isa(const kd::P& p) { kd::simd::name<KD_VEC>(p); }
#define KD_DEFINE_RangeSum(isa, name, P) \
  double kd_##name##_##isa(const kd::P& p, int64_t b, int64_t e) { return kd::simd::name<KD_VEC>(p, b, e); }
#define KD_DEFINE_KERNEL(isa, name, P, Kind) KD_DEFINE_##Kind(isa, name, P)

KD_KERNEL_LIST(KD_DEFINE_KERNEL, KD_ISA)
