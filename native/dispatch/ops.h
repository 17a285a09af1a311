// The training-op kernels as the binding calls them: the active ISA's variant (kd::active_kernels),
// split over the thread pool in fixed chunks that depend only on the shapes and the pool size's
// grain, never on which thread runs which chunk, so that no output bit depends on KD_NUM_THREADS
// (GEMM's and every kernel's split-invariance is checked in native/tests).
#pragma once
#include "dispatch.h"

namespace kd {

void gemm(const GemmParams& p);
void conv2d(const Conv2dParams& p);
// dx, dw and dbias, each where non-null.
void conv2d_backward(const Conv2dBackwardParams& p);
void maxpool2d(const MaxPool2dParams& p);
void maxpool2d_backward(const MaxPool2dBackwardParams& p);
void binary(const BinaryParams& p);
void unary(const UnaryParams& p);
void affine(const AffineParams& p);
void add_inplace(const AddInPlaceParams& p);
// axis 0: out[cols] (sum over rows); 1: out[rows]; 2: out[0] (fixed kSumBlock blocks, added in order).
void sum(const SumParams& p, int axis);
void softmax(const SoftmaxParams& p);
void softmax_backward(const SoftmaxBackwardParams& p);
void transpose(const TransposeParams& p);
void dropout(const DropoutParams& p);
void fake_quantize(const FakeQuantizeParams& p);
void sgd(const SgdParams& p);
void adam(const AdamParams& p);

}  // namespace kd
