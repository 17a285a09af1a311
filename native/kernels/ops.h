// kd-kernels: the training-op kernels' contract (no N-API). One params struct per kernel (shared by
// a forward and its backward where they read the same shape), as the loss kernels in kernels.h.
//
// Variants, naming and ranges as for the losses (kernels.h): kd_<kernel>_scalar in kernels/scalar/,
// the SIMD variants from generic/{gemm,conv2d,elementwise,reduce,softmax,optim,maxpool,dropout,
// fake_quantize}_impl.h,
// all declared from kernels/kernel_list.h. A range kernel computes the part
// [begin, end) of its output named in its comment (rows, images, channels, planes or elements);
// native/dispatch/ops.cc splits the work over the thread pool so that every output element is
// computed by the same sequence of operations whatever the thread count.
// Arguments are already validated (native/binding/ops.cc). Kernels never allocate on the hot path:
// packing / im2col buffers come from kd::scratch (thread-local, reused; slots 0-3 are the ops').
#pragma once
#include <cstdint>

namespace kd {

// C[m, n] (=|+=) op(A) op(B), row-major C with row stride ldc.
// opA(i, p) = a[i * a_rs + p * a_cs]; opB(p, j) = b[p * b_rs + j * b_cs]
// (A [m, k]: a_rs = k, a_cs = 1; transposed A stored [k, m]: a_rs = 1, a_cs = m; likewise B).
// Whole kernel: the dispatcher splits m or n by building smaller GemmParams.
struct GemmParams {
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;
  int64_t a_rs = 0, a_cs = 0;
  const float* b = nullptr;
  int64_t b_rs = 0, b_cs = 0;
  float* c = nullptr;
  int64_t ldc = 0;
  bool accumulate = false;  // true: C += op(A) op(B); false: C = op(A) op(B)
};

// NCHW convolution shape (see ConvShape in src/backends/backend.ts).
struct ConvShape {
  int64_t n, c_in, h, w, c_out, kh, kw, stride, padding, groups, h_out, w_out;
};

// conv2d forward, range = images: y = conv(x, w) + bias (bias may be nullptr).
struct Conv2dParams {
  ConvShape s;
  const float* x;
  const float* w;
  const float* bias;
  float* y;
};

// conv2d gradients, one params struct for three kernels, each writing its own output:
// conv2d_backward_input (range = images) dx; conv2d_backward_weight (range = output channels) dw,
// summed over the whole batch in image order; conv2d_backward_bias (range = output channels) dbias.
struct Conv2dBackwardParams {
  ConvShape s;
  const float* g;
  const float* x;
  const float* w;
  float* dx;
  float* dw;
  float* dbias;
};

// Max pooling without padding (see PoolShape in src/backends/backend.ts), range = planes (n*c).
struct PoolShape {
  int64_t n, c, h, w, kernel, stride, h_out, w_out;
};
// Forward: y and the flat input argmax of each window.
struct MaxPool2dParams {
  PoolShape s;
  const float* x;
  float* y;
  int32_t* argmax;
};
// Backward: dx = 0, then dx[argmax[o]] += g[o] (every argmax lies in its own plane).
struct MaxPool2dBackwardParams {
  PoolShape s;
  const float* g;
  const int32_t* argmax;
  float* dx;
};

enum class BinaryOp : int32_t { Add = 0, Sub, Mul, Div, ReluGrad, Max, Min };
enum class UnaryOp : int32_t { Relu = 0, Exp, Log, Neg, Square, Sqrt, Abs };

// out[i*ldo + j] = a[i*a_rs + j*a_cs] op b[i*b_rs + j*b_cs], i < rows, j < cols. Whole kernel.
struct BinaryParams {
  BinaryOp op;
  const float* a;
  int64_t a_rs, a_cs;
  const float* b;
  int64_t b_rs, b_cs;
  float* out;
  int64_t ldo, rows, cols;
};

// out[i] = op(x[i]), range = elements.
struct UnaryParams {
  UnaryOp op;
  const float* x;
  float* out;
  int64_t size;
};

// out[i] = alpha * x[i] + beta, range = elements.
struct AffineParams {
  const float* x;
  float* out;
  int64_t size;
  float alpha, beta;
};

// dst[i] += src[i], range = elements.
struct AddInPlaceParams {
  float* dst;
  const float* src;
  int64_t size;
};

// Sums of x [rows, cols], scaled in double and rounded once:
//   sum_rows  (range = columns j)  out[j] = scale * sum_i x[i, j]
//   sum_cols  (range = rows i)     out[i] = scale * sum_j x[i, j]
//   sum_all   (range = elements)   returns the unscaled sum of x[begin, end); the dispatcher adds
//                                  blocks of kSumBlock elements in block order and writes out[0].
struct SumParams {
  const float* x;
  int64_t rows, cols;
  double scale;
  float* out;
};
constexpr int64_t kSumBlock = 1 << 16;

// Row softmax / log-softmax, range = rows.
struct SoftmaxParams {
  const float* x;
  float* y;
  int64_t rows, cols;
  bool log;
};
// softmax: dx = y (g - <g, y>); log-softmax: dx = g - exp(y) sum(g). Range = rows.
struct SoftmaxBackwardParams {
  const float* y;
  const float* g;
  float* dx;
  int64_t rows, cols;
  bool log;
};

// out [cols, rows] = x [rows, cols]^T, range = rows of x.
struct TransposeParams {
  const float* x;
  int64_t rows, cols;
  float* out;
};

// Range = elements: keep iff hashUniform(seed, i) >= p, via threshold = ceil(p * 2^24);
// mask = keep ? keep_scale : 0, y = x * mask.
struct DropoutParams {
  const float* x;
  float* y;
  float* mask;
  int64_t size;
  uint32_t seed, threshold;
  float keep_scale;
};

// torch.fake_quantize_per_tensor_affine, range = elements (src/backends/backend.ts FakeQuantizeParams):
//   q = nearbyint(x * inv_scale) + zero_point     (inv_scale = 1.0f / scale, round half to even)
//   y = (clamp(q, qmin, qmax) - zero_point) * scale,  mask = qmin <= q <= qmax ? 1 : 0
// NaN gives y NaN and mask 0; levels are integers with |q| <= 2^22 (exact in float, q +- 0.5 too).
struct FakeQuantizeParams {
  const float* x;
  float* y;
  float* mask;
  int64_t size;
  float scale, inv_scale, zero_point, qmin, qmax;
};

// torch.optim.SGD step, range = elements.
struct SgdParams {
  float* param;
  const float* grad;
  float* momentum_buf;  // nullptr without momentum
  int64_t size;
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool has_momentum_buffer;  // false on the first step: buf = g
};

// torch.optim.Adam / AdamW step, range = elements.
struct AdamParams {
  float* param;
  const float* grad;
  float* m;
  float* v;
  int64_t size;
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled;  // AdamW
  double step;     // 1-based
};

}  // namespace kd
