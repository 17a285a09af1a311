// Training-op kernels: plain C++ on float* (no N-API), one function per kernel per ISA.
//
// Every kernel exists as kd_<op>_scalar (always compiled; the reference), kd_<op>_avx2,
// kd_<op>_avx512 (x86-64) and kd_<op>_neon (aarch64). The ISA variants live in
// native/kernels/<isa>/<op>_<isa>.cc. KdOpsTable bundles one ISA's functions so the binding
// picks them once.
//
// Conventions:
// - Arguments are already validated (native/binding/ops.cc); kernels never allocate on the hot
//   path: packing / im2col buffers come from kd_ops_scratch (thread-local, reused).
// - Kernels are single-threaded over the range they are given; the binding splits work over the
//   thread pool so that every output element is computed by the same sequence of operations
//   whatever the thread count (results do not depend on it).
// - This header holds declarations and plain structs only (no inline functions): ISA translation
//   units include it, and an inline function compiled with -mavx512f could be the copy the linker
//   keeps for everyone.
#pragma once

#include <cstddef>
#include <cstdint>

// ---- parameter structs --------------------------------------------------------------------------

/**
 * C[m, n] (=|+=) op(A) op(B), row-major C with row stride ldc.
 * opA(i, p) = a[i * a_rs + p * a_cs]; opB(p, j) = b[p * b_rs + j * b_cs]
 * (A [m, k]: a_rs = k, a_cs = 1; transposed A stored [k, m]: a_rs = 1, a_cs = m; likewise B).
 */
struct KdGemmParams {
  int64_t m, n, k;
  const float* a;
  int64_t a_rs, a_cs;
  const float* b;
  int64_t b_rs, b_cs;
  float* c;
  int64_t ldc;
  bool accumulate;  // true: C += op(A) op(B); false: C = op(A) op(B)
};

/** NCHW convolution shape (see ConvShape in src/backends/backend.ts). */
struct KdConvShape {
  int64_t n, c_in, h, w, c_out, kh, kw, stride, padding, groups, h_out, w_out;
};

/** Max pooling shape without padding (see PoolShape in src/backends/backend.ts). */
struct KdPoolShape {
  int64_t n, c, h, w, kernel, stride, h_out, w_out;
};

enum KdBinaryOp : int32_t { KD_ADD = 0, KD_SUB, KD_MUL, KD_DIV, KD_RELU_GRAD, KD_MAX, KD_MIN };
enum KdUnaryOp : int32_t { KD_RELU = 0, KD_EXP, KD_LOG, KD_NEG, KD_SQUARE, KD_SQRT, KD_ABS };

struct KdSgdParams {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool has_momentum_buffer;  // false on the first step: buf = g
};

struct KdAdamParams {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled;  // AdamW
  double step;     // 1-based
};

// ---- the kernels, one set per ISA ---------------------------------------------------------------

#define KD_OPS_DECLARE(ISA)                                                                        \
  /* GEMM (cache-blocked, packed panels, SIMD micro-kernel). */                                    \
  void kd_gemm_##ISA(const KdGemmParams& p);                                                       \
  /* conv2d forward for images [n0, n1): y = conv(x, w) + bias (bias may be null). */               \
  void kd_conv2d_forward_##ISA(const KdConvShape& s, const float* x, const float* w,               \
                               const float* bias, float* y, int64_t n0, int64_t n1);               \
  /* dx for images [n0, n1). */                                                                    \
  void kd_conv2d_backward_input_##ISA(const KdConvShape& s, const float* g, const float* w,        \
                                      float* dx, int64_t n0, int64_t n1);                          \
  /* dw rows (output channels) [co0, co1), summed over the whole batch in image order. */          \
  void kd_conv2d_backward_weight_##ISA(const KdConvShape& s, const float* g, const float* x,       \
                                       float* dw, int64_t co0, int64_t co1);                       \
  /* dbias[co] for co in [co0, co1). */                                                            \
  void kd_conv2d_backward_bias_##ISA(const KdConvShape& s, const float* g, float* dbias,           \
                                     int64_t co0, int64_t co1);                                    \
  /* max pooling over planes (n*c) [p0, p1): y and flat input argmax. */                           \
  void kd_maxpool2d_forward_##ISA(const KdPoolShape& s, const float* x, float* y, int32_t* argmax, \
                                  int64_t p0, int64_t p1);                                         \
  void kd_maxpool2d_backward_##ISA(const KdPoolShape& s, const float* g, const int32_t* argmax,    \
                                   float* dx, int64_t p0, int64_t p1);                             \
  /* out[i*ldo + j] = a[i*a_rs + j*a_cs] op b[i*b_rs + j*b_cs], i < rows, j < cols. */              \
  void kd_binary_##ISA(int32_t op, const float* a, int64_t a_rs, int64_t a_cs, const float* b,     \
                       int64_t b_rs, int64_t b_cs, float* out, int64_t ldo, int64_t rows,          \
                       int64_t cols);                                                              \
  void kd_unary_##ISA(int32_t op, const float* x, float* out, int64_t size);                       \
  /* out = alpha * x + beta */                                                                     \
  void kd_affine_##ISA(const float* x, float* out, int64_t size, float alpha, float beta);         \
  /* dst += src */                                                                                 \
  void kd_add_inplace_##ISA(float* dst, const float* src, int64_t size);                           \
  /* out[j] = scale * sum_i x[i*ld + j], j < cols (x pre-offset to the first column). */            \
  void kd_sum_rows_##ISA(const float* x, int64_t ld, int64_t rows, int64_t cols, double scale,     \
                         float* out);                                                              \
  /* out[i] = scale * sum_j x[i*cols + j], i < rows. */                                            \
  void kd_sum_cols_##ISA(const float* x, int64_t rows, int64_t cols, double scale, float* out);    \
  /* sum of x[0, size) (unscaled, accumulated in double across blocks). */                         \
  double kd_sum_all_##ISA(const float* x, int64_t size);                                           \
  /* row softmax / log-softmax of rows rows. */                                                    \
  void kd_softmax_##ISA(const float* x, float* y, int64_t rows, int64_t cols, bool log);           \
  void kd_softmax_backward_##ISA(const float* y, const float* g, float* dx, int64_t rows,          \
                                 int64_t cols, bool log);                                          \
  /* out[j*ldo + i] = x[i*ldx + j], i < rows, j < cols (blocked). */                               \
  void kd_transpose_##ISA(const float* x, int64_t ldx, float* out, int64_t ldo, int64_t rows,      \
                          int64_t cols);                                                           \
  /* elements [i0, i0 + count): keep iff hashUniform(seed, i) >= p, via threshold = ceil(p*2^24). */ \
  void kd_dropout_##ISA(const float* x, float* y, float* mask, int64_t i0, int64_t count,          \
                        uint32_t seed, uint32_t threshold, float keep_scale);                      \
  void kd_sgd_##ISA(float* param, const float* grad, float* momentum_buf, int64_t size,            \
                    const KdSgdParams& p);                                                         \
  void kd_adam_##ISA(float* param, const float* grad, float* m, float* v, int64_t size,            \
                     const KdAdamParams& p);

KD_OPS_DECLARE(scalar)
KD_OPS_DECLARE(avx2)
KD_OPS_DECLARE(avx512)
KD_OPS_DECLARE(neon)

// ---- one ISA's functions ------------------------------------------------------------------------

struct KdOpsTable {
  const char* isa;
  void (*gemm)(const KdGemmParams&);
  void (*conv2d_forward)(const KdConvShape&, const float*, const float*, const float*, float*,
                         int64_t, int64_t);
  void (*conv2d_backward_input)(const KdConvShape&, const float*, const float*, float*, int64_t,
                                int64_t);
  void (*conv2d_backward_weight)(const KdConvShape&, const float*, const float*, float*, int64_t,
                                 int64_t);
  void (*conv2d_backward_bias)(const KdConvShape&, const float*, float*, int64_t, int64_t);
  void (*maxpool2d_forward)(const KdPoolShape&, const float*, float*, int32_t*, int64_t, int64_t);
  void (*maxpool2d_backward)(const KdPoolShape&, const float*, const int32_t*, float*, int64_t,
                             int64_t);
  void (*binary)(int32_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t, float*,
                 int64_t, int64_t, int64_t);
  void (*unary)(int32_t, const float*, float*, int64_t);
  void (*affine)(const float*, float*, int64_t, float, float);
  void (*add_inplace)(float*, const float*, int64_t);
  void (*sum_rows)(const float*, int64_t, int64_t, int64_t, double, float*);
  void (*sum_cols)(const float*, int64_t, int64_t, double, float*);
  double (*sum_all)(const float*, int64_t);
  void (*softmax)(const float*, float*, int64_t, int64_t, bool);
  void (*softmax_backward)(const float*, const float*, float*, int64_t, int64_t, bool);
  void (*transpose)(const float*, int64_t, float*, int64_t, int64_t, int64_t);
  void (*dropout)(const float*, float*, float*, int64_t, int64_t, uint32_t, uint32_t, float);
  void (*sgd)(float*, const float*, float*, int64_t, const KdSgdParams&);
  void (*adam)(float*, const float*, float*, float*, int64_t, const KdAdamParams&);
};

/**
 * The table of one ISA by name ("scalar", "avx2", "avx512", "neon"), or nullptr when that ISA is
 * not compiled into this build or not supported by this CPU.
 */
const KdOpsTable* kd_ops_table(const char* isa);

/** Names of the ISAs kd_ops_table accepts on this machine, best last, nullptr-terminated. */
const char* const* kd_ops_isas();

/**
 * Thread-local scratch of at least n floats for slot (0..3), reused across calls (grows, never
 * shrinks). Slots: 0 GEMM B panel, 1 GEMM A block, 2 im2col columns, 3 conv misc.
 */
float* kd_ops_scratch(int slot, size_t n);

/** Rows/cols to copy per dropout call etc. are not limited; the block of the sum_all partials: */
constexpr int64_t KD_SUM_BLOCK = 1 << 16;
