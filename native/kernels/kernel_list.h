// The one list of the native kernels (losses and training ops), as an X-macro.
//
// KD_KERNEL_LIST(X, isa) expands X(isa, name, Params, Kind) once per kernel, in table order:
//   name    the kernel: kd_<name>_<isa> in kernels/<isa>/; the member of kd::KernelTable
//   Params  its params struct in namespace kd (kernels.h for the losses, ops.h for the ops)
//   Kind    its signature: Range    void  (const Params&, int64_t begin, int64_t end)
//                          Whole    void  (const Params&)
//                          RangeSum double(const Params&, int64_t begin, int64_t end)  (a partial sum)
// From it come the declarations below, the per-ISA tables (dispatch/kernel_table.cc), the SIMD
// variants' definitions (generic/instantiate.h) and the C++ test list (tests/kernel_tests.h).
// A new kernel is one line here (and its contract, kernels, dispatcher, binding and test: see
// native/README.md, "Adding a kernel").
#pragma once
#include <cstdint>

#include "kernels.h"
#include "ops.h"

namespace kd {
template <class P>
using RangeKernel = void(const P&, int64_t begin, int64_t end);
template <class P>
using WholeKernel = void(const P&);
template <class P>
using RangeSumKernel = double(const P&, int64_t begin, int64_t end);
}  // namespace kd

#define KD_KERNEL_LIST(X, isa)                                          \
  /* losses (kernels.h) */                                              \
  X(isa, softmax_kl, SoftmaxKLParams, Range)                            \
  X(isa, cross_entropy, CrossEntropyParams, Range)                      \
  X(isa, hinton, HintonParams, Range)                                   \
  X(isa, multi_teacher_kl, MultiTeacherParams, Range)                   \
  X(isa, gram_similarity, GramParams, Whole)                            \
  X(isa, mse, MseParams, RangeSum)                                      \
  /* training ops (ops.h) */                                            \
  X(isa, gemm, GemmParams, Whole)                                       \
  X(isa, conv2d_forward, Conv2dParams, Range)                           \
  X(isa, conv2d_backward_input, Conv2dBackwardParams, Range)            \
  X(isa, conv2d_backward_weight, Conv2dBackwardParams, Range)           \
  X(isa, conv2d_backward_bias, Conv2dBackwardParams, Range)             \
  X(isa, maxpool2d_forward, MaxPool2dParams, Range)                     \
  X(isa, maxpool2d_backward, MaxPool2dBackwardParams, Range)            \
  X(isa, binary, BinaryParams, Whole)                                   \
  X(isa, unary, UnaryParams, Range)                                     \
  X(isa, affine, AffineParams, Range)                                   \
  X(isa, add_inplace, AddInPlaceParams, Range)                          \
  X(isa, sum_rows, SumParams, Range)                                    \
  X(isa, sum_cols, SumParams, Range)                                    \
  X(isa, sum_all, SumParams, RangeSum)                                  \
  X(isa, softmax, SoftmaxParams, Range)                                 \
  X(isa, softmax_backward, SoftmaxBackwardParams, Range)                \
  X(isa, transpose, TransposeParams, Range)                             \
  X(isa, dropout, DropoutParams, Range)                                 \
  X(isa, fake_quantize, FakeQuantizeParams, Range)                      \
  X(isa, sgd, SgdParams, Range)                                         \
  X(isa, adam, AdamParams, Range)

// kd_<name>_<isa> for every kernel of the ISAs this build compiles.
#define KD_DECLARE_KERNEL(isa, name, P, Kind) kd::Kind##Kernel<kd::P> kd_##name##_##isa;
KD_KERNEL_LIST(KD_DECLARE_KERNEL, scalar)
#if defined(KD_HAVE_AVX2)
KD_KERNEL_LIST(KD_DECLARE_KERNEL, avx2)
#endif
#if defined(KD_HAVE_AVX512)
KD_KERNEL_LIST(KD_DECLARE_KERNEL, avx512)
#endif
#if defined(KD_HAVE_NEON)
KD_KERNEL_LIST(KD_DECLARE_KERNEL, neon)
#endif
#undef KD_DECLARE_KERNEL
