// N-API entry points of the training-op kernels (native/kernels/ops.h). Each checks every argument
// (types, lengths against the shapes, finite scalars, outputs disjoint from inputs) and throws
// TypeError / RangeError, then runs the active ISA's kernel split over the thread pool so that no
// output bit depends on the thread count. Outputs are caller-provided typed arrays, written in place.
//
//   matmul(a, b, m, k, n, transA, transB, out)
//   binary(op /*0 add 1 sub 2 mul 3 div 4 reluGrad 5 max 6 min*/, a, aRowStride, aColStride,
//          b, bRowStride, bColStride, rows, cols, out)
//   unary(op /*0 relu 1 exp 2 log 3 neg 4 square 5 sqrt 6 abs*/, x, size, out)
//   affine(x, size, alpha, beta, out)                       out = alpha * x + beta
//   sum(x, rows, cols, axis /*0 rows 1 cols 2 all*/, scale, out)
//   softmax(x, rows, cols, log, out)     softmaxBackward(y, g, rows, cols, log, out)
//   transpose(x, rows, cols, out)
//   dropout(x, size, p, seed, y, mask)
//   conv2d(x, w, bias | null, y, n, cIn, h, w, cOut, kh, kw, stride, padding, groups, hOut, wOut)
//   conv2dBackward(g, x, w, dx | null, dw | null, dbias | null, n, cIn, h, w, cOut, kh, kw, stride,
//                  padding, groups, hOut, wOut)
//   maxPool2d(x, y, argmax /*Int32Array*/, n, c, h, w, kernel, stride, hOut, wOut)
//   maxPool2dBackward(g, argmax, dx, n, c, h, w, kernel, stride, hOut, wOut)
//   addInPlace(dst, src, size)
//   sgdStep(param, grad, momentumBuf | null, size, lr, momentum, dampening, nesterov, weightDecay,
//           hasMomentumBuffer)
//   adamStep(param, grad, m, v, size, lr, beta1, beta2, eps, weightDecay, decoupled, step)
//   opsIsa() -> the ISA name the op kernels run on
#include <napi.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../dispatch/dispatch.h"
#include "../dispatch/thread_pool.h"
#include "../kernels/ops.h"
#include "args.h"

using kd::binding::Args;

namespace {

// The op table of the ISA chosen once by native/dispatch (KD_ISA override included).
const KdOpsTable& ops() {
  static const KdOpsTable* table = [] {
    const KdOpsTable* t = kd_ops_table(kd::isa_name(kd::active_isa()));
    return t ? t : kd_ops_table("scalar");
  }();
  return *table;
}

bool boolean(const Args& a, size_t i, const char* name) {
  Napi::Value v = a.at(i);
  if (!v.IsBoolean()) a.type_error(name, "must be a boolean, got " + Args::describe(v));
  return v.As<Napi::Boolean>().Value();
}

// a * b for element counts, RangeError past 2^53 (never an int64 overflow).
int64_t mul(const Args& a, int64_t x, int64_t y, const char* what) {
  const double p = static_cast<double>(x) * static_cast<double>(y);
  if (p > 9007199254740992.0) a.range_error(what, "is too large");
  return x * y;
}

// A Float32Array whose length is at least `need` (strided views may be longer than they read).
const float* f32_view(Args& a, size_t i, const char* name, int64_t need) {
  Napi::Value v = a.at(i);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    a.type_error(name, "must be a Float32Array, got " + Args::describe(v));
  const int64_t len = static_cast<int64_t>(v.As<Napi::TypedArray>().ElementLength());
  if (len < need)
    a.range_error(name, "is too short for its view: needs at least " + std::to_string(need) + " elements, got " +
                            std::to_string(len));
  return a.typed_value<float>(v, name, len, "[" + std::to_string(len) + "]", napi_float32_array, "Float32Array", false,
                              false);
}

// Chunk size for an elementwise pass over n elements: at least 32 Ki, about 4 chunks per thread.
int64_t elem_grain(int64_t n) {
  const int64_t t = kd::num_threads();
  int64_t g = (n + 4 * t - 1) / (4 * t);
  if (g < 32768) g = 32768;
  return (g + 63) / 64 * 64;
}

// ---- matmul -------------------------------------------------------------------------------------

Napi::Value Matmul(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "matmul", [&]() -> Napi::Value {
    Args a(info, "matmul");
    const int64_t m = a.dim(2, "m"), k = a.dim(3, "k"), n = a.dim(4, "n");
    const bool ta = boolean(a, 5, "transA"), tb = boolean(a, 6, "transB");
    const float* A = a.f32_in(0, "a", mul(a, m, k, "a"), ta ? Args::shape2("k", k, "m", m) : Args::shape2("m", m, "k", k));
    const float* B = a.f32_in(1, "b", mul(a, k, n, "b"), tb ? Args::shape2("n", n, "k", k) : Args::shape2("k", k, "n", n));
    float* C = a.f32_out(7, "out", mul(a, m, n, "out"), Args::shape2("m", m, "n", n));
    a.check_no_alias();
    const KdGemmParams p{m, n, k, A, ta ? 1 : k, ta ? m : 1, B, tb ? 1 : n, tb ? k : 1, C, n, false};
    const KdOpsTable& T = ops();
    const double flops = 2.0 * m * n * k;
    const int64_t threads = kd::num_threads();
    if (flops < 4e6 || threads <= 1) {
      T.gemm(p);
    } else if (m >= 96 || m >= n) {
      // Row blocks (multiples of 24 = lcm of the micro-kernel heights): every C element is computed
      // by the same FMA chain whatever the split (checked bit-exact in native/tests/ops_test.cc).
      int64_t g = (m + 2 * threads - 1) / (2 * threads);
      g = g < 24 ? 24 : (g + 23) / 24 * 24;
      kd::parallel_for(m, g, [&](int64_t b, int64_t e) {
        KdGemmParams q = p;
        q.m = e - b;
        q.a = A + b * p.a_rs;
        q.c = C + b * n;
        T.gemm(q);
      });
    } else {
      int64_t g = (n + 2 * threads - 1) / (2 * threads);
      g = g < 64 ? 64 : (g + 63) / 64 * 64;
      kd::parallel_for(n, g, [&](int64_t b, int64_t e) {
        KdGemmParams q = p;
        q.n = e - b;
        q.b = B + b * p.b_cs;
        q.c = C + b;
        T.gemm(q);
      });
    }
    return info.Env().Undefined();
  });
}

// ---- elementwise --------------------------------------------------------------------------------

Napi::Value Binary(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "binary", [&]() -> Napi::Value {
    Args a(info, "binary");
    const int32_t op = static_cast<int32_t>(a.integer(0, "op", 0, 6));
    const int64_t ars = a.dim(2, "aRowStride"), acs = a.dim(3, "aColStride");
    const int64_t brs = a.dim(5, "bRowStride"), bcs = a.dim(6, "bColStride");
    const int64_t rows = a.dim(7, "rows"), cols = a.dim(8, "cols");
    const int64_t total = mul(a, rows, cols, "out");
    // The last element a view reads, + 1 (0 for an empty result).
    auto need = [&](int64_t rs, int64_t cs, const char* name) -> int64_t {
      if (total == 0) return 0;
      const double last = static_cast<double>(rows - 1) * rs + static_cast<double>(cols - 1) * cs;
      if (last > 9007199254740992.0) a.range_error(name, "view is too large");
      return (rows - 1) * rs + (cols - 1) * cs + 1;
    };
    const float* A = f32_view(a, 1, "a", need(ars, acs, "a"));
    const float* B = f32_view(a, 4, "b", need(brs, bcs, "b"));
    float* out = a.f32_out(9, "out", total, Args::shape2("rows", rows, "cols", cols));
    a.check_no_alias();
    if (total == 0) return info.Env().Undefined();
    const KdOpsTable& T = ops();
    // Dense-compatible operands (contiguous [rows, cols] or a scalar) run as one long row.
    auto flat = [&](int64_t rs, int64_t cs) { return (cs == 1 && rs == cols) || (cs == 0 && rs == 0); };
    if (flat(ars, acs) && flat(brs, bcs)) {
      kd::parallel_for(total, elem_grain(total), [&](int64_t b, int64_t e) {
        T.binary(op, A + (acs ? b : 0), 0, acs, B + (bcs ? b : 0), 0, bcs, out + b, 0, 1, e - b);
      });
    } else if (rows == 1 || rows < kd::num_threads()) {
      kd::parallel_for(cols, elem_grain(cols * rows), [&](int64_t b, int64_t e) {
        T.binary(op, A + b * acs, ars, acs, B + b * bcs, brs, bcs, out + b, cols, rows, e - b);
      });
    } else {
      int64_t g = elem_grain(total) / (cols > 0 ? cols : 1);
      if (g < 1) g = 1;
      kd::parallel_for(rows, g, [&](int64_t b, int64_t e) {
        T.binary(op, A + b * ars, ars, acs, B + b * brs, brs, bcs, out + b * cols, cols, e - b, cols);
      });
    }
    return info.Env().Undefined();
  });
}

Napi::Value Unary(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "unary", [&]() -> Napi::Value {
    Args a(info, "unary");
    const int32_t op = static_cast<int32_t>(a.integer(0, "op", 0, 6));
    const int64_t size = a.dim(2, "size");
    const float* x = a.f32_in(1, "x", size, Args::shape1("size", size));
    float* out = a.f32_out(3, "out", size, Args::shape1("size", size));
    a.check_no_alias();
    const KdOpsTable& T = ops();
    kd::parallel_for(size, elem_grain(size), [&](int64_t b, int64_t e) { T.unary(op, x + b, out + b, e - b); });
    return info.Env().Undefined();
  });
}

Napi::Value Affine(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "affine", [&]() -> Napi::Value {
    Args a(info, "affine");
    const int64_t size = a.dim(1, "size");
    const float* x = a.f32_in(0, "x", size, Args::shape1("size", size));
    const float alpha = static_cast<float>(a.number(2, "alpha")), beta = static_cast<float>(a.number(3, "beta"));
    float* out = a.f32_out(4, "out", size, Args::shape1("size", size));
    a.check_no_alias();
    const KdOpsTable& T = ops();
    kd::parallel_for(size, elem_grain(size), [&](int64_t b, int64_t e) { T.affine(x + b, out + b, e - b, alpha, beta); });
    return info.Env().Undefined();
  });
}

Napi::Value AddInPlace(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "addInPlace", [&]() -> Napi::Value {
    Args a(info, "addInPlace");
    const int64_t size = a.dim(2, "size");
    float* dst = a.f32_out(0, "dst", size, Args::shape1("size", size));
    const float* src = a.f32_in(1, "src", size, Args::shape1("size", size));
    a.check_no_alias();
    const KdOpsTable& T = ops();
    kd::parallel_for(size, elem_grain(size), [&](int64_t b, int64_t e) { T.add_inplace(dst + b, src + b, e - b); });
    return info.Env().Undefined();
  });
}

// ---- reductions, softmax, transpose -------------------------------------------------------------

Napi::Value Sum(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "sum", [&]() -> Napi::Value {
    Args a(info, "sum");
    const int64_t rows = a.dim(1, "rows"), cols = a.dim(2, "cols");
    const int64_t axis = a.integer(3, "axis", 0, 2);
    const double scale = a.number(4, "scale");
    const float* x = a.f32_in(0, "x", mul(a, rows, cols, "x"), Args::shape2("rows", rows, "cols", cols));
    const int64_t outLen = axis == 0 ? cols : axis == 1 ? rows : 1;
    float* out = a.f32_out(5, "out", outLen, Args::shape1(axis == 0 ? "cols" : axis == 1 ? "rows" : "1", outLen));
    a.check_no_alias();
    const KdOpsTable& T = ops();
    if (axis == 0) {
      int64_t g = elem_grain(rows * cols) / (rows > 0 ? rows : 1);
      g = g < 64 ? 64 : (g + 63) / 64 * 64;
      kd::parallel_for(cols, g, [&](int64_t b, int64_t e) { T.sum_rows(x + b, cols, rows, e - b, scale, out + b); });
    } else if (axis == 1) {
      kd::parallel_for(rows, kd::row_grain(cols * 4), [&](int64_t b, int64_t e) {
        T.sum_cols(x + b * cols, e - b, cols, scale, out + b);
      });
    } else {
      // Fixed blocks, partials added in block order: the same sum for any thread count.
      const int64_t size = rows * cols, blocks = (size + KD_SUM_BLOCK - 1) / KD_SUM_BLOCK;
      // Up to 256 blocks (16 Mi elements) without a heap allocation.
      double local[256];
      std::vector<double> heap;
      double* partial = local;
      if (blocks > 256) {
        heap.resize(static_cast<size_t>(blocks));
        partial = heap.data();
      }
      kd::parallel_for(blocks, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; i++) {
          const int64_t lo = i * KD_SUM_BLOCK, hi = lo + KD_SUM_BLOCK < size ? lo + KD_SUM_BLOCK : size;
          partial[i] = T.sum_all(x + lo, hi - lo);
        }
      });
      double total = 0;
      for (int64_t i = 0; i < blocks; i++) total += partial[i];
      out[0] = static_cast<float>(total * scale);
    }
    return info.Env().Undefined();
  });
}

Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "softmax", [&]() -> Napi::Value {
    Args a(info, "softmax");
    const int64_t rows = a.dim(1, "rows"), cols = a.dim(2, "cols");
    const bool log = boolean(a, 3, "log");
    const std::string sh = Args::shape2("rows", rows, "cols", cols);
    const float* x = a.f32_in(0, "x", mul(a, rows, cols, "x"), sh);
    float* out = a.f32_out(4, "out", rows * cols, sh);
    a.check_no_alias();
    const KdOpsTable& T = ops();
    kd::parallel_for(rows, kd::row_grain(cols * 8), [&](int64_t b, int64_t e) {
      T.softmax(x + b * cols, out + b * cols, e - b, cols, log);
    });
    return info.Env().Undefined();
  });
}

Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "softmaxBackward", [&]() -> Napi::Value {
    Args a(info, "softmaxBackward");
    const int64_t rows = a.dim(2, "rows"), cols = a.dim(3, "cols");
    const bool log = boolean(a, 4, "log");
    const std::string sh = Args::shape2("rows", rows, "cols", cols);
    const float* y = a.f32_in(0, "y", mul(a, rows, cols, "y"), sh);
    const float* g = a.f32_in(1, "g", rows * cols, sh);
    float* out = a.f32_out(5, "out", rows * cols, sh);
    a.check_no_alias();
    const KdOpsTable& T = ops();
    kd::parallel_for(rows, kd::row_grain(cols * 12), [&](int64_t b, int64_t e) {
      T.softmax_backward(y + b * cols, g + b * cols, out + b * cols, e - b, cols, log);
    });
    return info.Env().Undefined();
  });
}

Napi::Value Transpose(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "transpose", [&]() -> Napi::Value {
    Args a(info, "transpose");
    const int64_t rows = a.dim(1, "rows"), cols = a.dim(2, "cols");
    const float* x = a.f32_in(0, "x", mul(a, rows, cols, "x"), Args::shape2("rows", rows, "cols", cols));
    float* out = a.f32_out(3, "out", rows * cols, Args::shape2("cols", cols, "rows", rows));
    a.check_no_alias();
    const KdOpsTable& T = ops();
    int64_t g = elem_grain(rows * cols) / (cols > 0 ? cols : 1);
    g = g < 32 ? 32 : (g + 31) / 32 * 32;
    kd::parallel_for(rows, g, [&](int64_t b, int64_t e) { T.transpose(x + b * cols, cols, out + b, rows, e - b, cols); });
    return info.Env().Undefined();
  });
}

// ---- dropout ------------------------------------------------------------------------------------

Napi::Value Dropout(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "dropout", [&]() -> Napi::Value {
    Args a(info, "dropout");
    const int64_t size = a.integer(1, "size", 0, 4294967295LL);
    const double p = a.in_range(2, "p", 0.0, 1.0);
    // The seed as JavaScript's ToUint32 (seed >>> 0), as src/kernels/rng.ts reads it.
    double sd = std::trunc(a.number(3, "seed"));
    sd = std::fmod(sd, 4294967296.0);
    if (sd < 0) sd += 4294967296.0;
    const uint32_t seed = static_cast<uint32_t>(sd);
    const float* x = a.f32_in(0, "x", size, Args::shape1("size", size));
    float* y = a.f32_out(4, "y", size, Args::shape1("size", size));
    float* mask = a.f32_out(5, "mask", size, Args::shape1("size", size));
    a.check_no_alias();
    // keep iff k * 2^-24 >= p with k an integer  <=>  k >= ceil(p * 2^24) (exact: a power-of-two scale).
    const uint32_t threshold = static_cast<uint32_t>(std::ceil(p * 16777216.0));
    const float keep = p < 1 ? static_cast<float>(1.0 / (1.0 - p)) : 0.0f;
    const KdOpsTable& T = ops();
    kd::parallel_for(size, elem_grain(size), [&](int64_t b, int64_t e) {
      T.dropout(x + b, y + b, mask + b, b, e - b, seed, threshold, keep);
    });
    return info.Env().Undefined();
  });
}

// ---- conv2d and max pooling ---------------------------------------------------------------------

KdConvShape conv_shape(Args& a, size_t i0) {
  KdConvShape s;
  s.n = a.dim(i0, "n");
  s.c_in = a.dim(i0 + 1, "cIn", 1);
  s.h = a.dim(i0 + 2, "h", 1);
  s.w = a.dim(i0 + 3, "w", 1);
  s.c_out = a.dim(i0 + 4, "cOut", 1);
  s.kh = a.dim(i0 + 5, "kh", 1);
  s.kw = a.dim(i0 + 6, "kw", 1);
  s.stride = a.dim(i0 + 7, "stride", 1);
  s.padding = a.dim(i0 + 8, "padding");
  s.groups = a.dim(i0 + 9, "groups", 1);
  s.h_out = a.dim(i0 + 10, "hOut", 1);
  s.w_out = a.dim(i0 + 11, "wOut", 1);
  if (s.c_in % s.groups || s.c_out % s.groups)
    a.range_error("groups", "must divide cIn (" + std::to_string(s.c_in) + ") and cOut (" + std::to_string(s.c_out) +
                                "), got " + std::to_string(s.groups));
  if (s.h + 2 * s.padding < s.kh || s.w + 2 * s.padding < s.kw)
    a.range_error("kh", "the kernel is larger than the padded input");
  if (s.h_out != (s.h + 2 * s.padding - s.kh) / s.stride + 1)
    a.range_error("hOut", "must be floor((h + 2*padding - kh) / stride) + 1 = " +
                              std::to_string((s.h + 2 * s.padding - s.kh) / s.stride + 1) + ", got " + std::to_string(s.h_out));
  if (s.w_out != (s.w + 2 * s.padding - s.kw) / s.stride + 1)
    a.range_error("wOut", "must be floor((w + 2*padding - kw) / stride) + 1 = " +
                              std::to_string((s.w + 2 * s.padding - s.kw) / s.stride + 1) + ", got " + std::to_string(s.w_out));
  // Scratch of one image's im2col columns must be addressable.
  mul(a, mul(a, s.c_in / s.groups * s.kh, s.kw, "kernel"), mul(a, s.h_out, s.w_out, "output plane"), "im2col");
  return s;
}

std::string nchw(int64_t n, int64_t c, int64_t h, int64_t w) {
  return "[" + std::to_string(n) + ", " + std::to_string(c) + ", " + std::to_string(h) + ", " + std::to_string(w) + "]";
}

Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "conv2d", [&]() -> Napi::Value {
    Args a(info, "conv2d");
    const KdConvShape s = conv_shape(a, 4);
    const int64_t cInG = s.c_in / s.groups;
    const float* x = a.f32_in(0, "x", mul(a, mul(a, s.n, s.c_in, "x"), mul(a, s.h, s.w, "x"), "x"), nchw(s.n, s.c_in, s.h, s.w));
    const float* w = a.f32_in(1, "w", mul(a, s.c_out * cInG, s.kh * s.kw, "w"), nchw(s.c_out, cInG, s.kh, s.kw));
    const float* bias = a.f32_in_opt(2, "bias", s.c_out, Args::shape1("cOut", s.c_out));
    float* y = a.f32_out(3, "y", mul(a, mul(a, s.n, s.c_out, "y"), s.h_out * s.w_out, "y"), nchw(s.n, s.c_out, s.h_out, s.w_out));
    a.check_no_alias();
    const KdOpsTable& T = ops();
    kd::parallel_for(s.n, 1, [&](int64_t b, int64_t e) { T.conv2d_forward(s, x, w, bias, y, b, e); });
    return info.Env().Undefined();
  });
}

Napi::Value Conv2dBackward(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "conv2dBackward", [&]() -> Napi::Value {
    Args a(info, "conv2dBackward");
    const KdConvShape s = conv_shape(a, 6);
    const int64_t cInG = s.c_in / s.groups;
    const int64_t xLen = mul(a, mul(a, s.n, s.c_in, "x"), mul(a, s.h, s.w, "x"), "x");
    const int64_t wLen = mul(a, s.c_out * cInG, s.kh * s.kw, "w");
    const float* g = a.f32_in(0, "g", mul(a, mul(a, s.n, s.c_out, "g"), s.h_out * s.w_out, "g"), nchw(s.n, s.c_out, s.h_out, s.w_out));
    const float* x = a.f32_in(1, "x", xLen, nchw(s.n, s.c_in, s.h, s.w));
    const float* w = a.f32_in(2, "w", wLen, nchw(s.c_out, cInG, s.kh, s.kw));
    float* dx = a.f32_out_opt(3, "dx", xLen, nchw(s.n, s.c_in, s.h, s.w));
    float* dw = a.f32_out_opt(4, "dw", wLen, nchw(s.c_out, cInG, s.kh, s.kw));
    float* db = a.f32_out_opt(5, "dbias", s.c_out, Args::shape1("cOut", s.c_out));
    a.check_no_alias();
    const KdOpsTable& T = ops();
    if (dx) kd::parallel_for(s.n, 1, [&](int64_t b, int64_t e) { T.conv2d_backward_input(s, g, w, dx, b, e); });
    if (dw) {
      if (s.n == 0) std::memset(dw, 0, sizeof(float) * static_cast<size_t>(wLen));
      else {
        // One chunk of output channels per thread: every chunk re-reads (im2col) the whole batch.
        const int64_t t = kd::num_threads();
        int64_t grain = (s.c_out + t - 1) / t;
        if (grain < 1) grain = 1;
        kd::parallel_for(s.c_out, grain, [&](int64_t b, int64_t e) { T.conv2d_backward_weight(s, g, x, dw, b, e); });
      }
    }
    if (db) kd::parallel_for(s.c_out, 16, [&](int64_t b, int64_t e) { T.conv2d_backward_bias(s, g, db, b, e); });
    return info.Env().Undefined();
  });
}

KdPoolShape pool_shape(Args& a, size_t i0) {
  KdPoolShape s;
  s.n = a.dim(i0, "n");
  s.c = a.dim(i0 + 1, "c", 1);
  s.h = a.dim(i0 + 2, "h", 1);
  s.w = a.dim(i0 + 3, "w", 1);
  s.kernel = a.dim(i0 + 4, "kernel", 1);
  s.stride = a.dim(i0 + 5, "stride", 1);
  s.h_out = a.dim(i0 + 6, "hOut", 1);
  s.w_out = a.dim(i0 + 7, "wOut", 1);
  if (s.kernel > s.h || s.kernel > s.w) a.range_error("kernel", "must be <= h and <= w");
  if (s.h_out != (s.h - s.kernel) / s.stride + 1 || s.w_out != (s.w - s.kernel) / s.stride + 1)
    a.range_error("hOut", "hOut / wOut must be floor((h - kernel) / stride) + 1 = " +
                              std::to_string((s.h - s.kernel) / s.stride + 1) + " / " +
                              std::to_string((s.w - s.kernel) / s.stride + 1));
  // argmax holds flat input indices as int32.
  if (static_cast<double>(s.n) * s.c * s.h * s.w > 2147483647.0) a.range_error("x", "has more than 2^31 - 1 elements");
  return s;
}

Napi::Value MaxPool2d(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "maxPool2d", [&]() -> Napi::Value {
    Args a(info, "maxPool2d");
    const KdPoolShape s = pool_shape(a, 3);
    const int64_t outLen = s.n * s.c * s.h_out * s.w_out;
    const float* x = a.f32_in(0, "x", s.n * s.c * s.h * s.w, nchw(s.n, s.c, s.h, s.w));
    float* y = a.f32_out(1, "y", outLen, nchw(s.n, s.c, s.h_out, s.w_out));
    int32_t* am = const_cast<int32_t*>(a.typed_value<int32_t>(a.at(2), "argmax", outLen, nchw(s.n, s.c, s.h_out, s.w_out),
                                                              napi_int32_array, "Int32Array", false, true));
    a.check_no_alias();
    const KdOpsTable& T = ops();
    kd::parallel_for(s.n * s.c, kd::row_grain(s.h * s.w * 4), [&](int64_t b, int64_t e) {
      T.maxpool2d_forward(s, x, y, am, b, e);
    });
    return info.Env().Undefined();
  });
}

Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "maxPool2dBackward", [&]() -> Napi::Value {
    Args a(info, "maxPool2dBackward");
    const KdPoolShape s = pool_shape(a, 3);
    const int64_t outLen = s.n * s.c * s.h_out * s.w_out, plane = s.h * s.w, planeOut = s.h_out * s.w_out;
    const float* g = a.f32_in(0, "g", outLen, nchw(s.n, s.c, s.h_out, s.w_out));
    const int32_t* argmax = a.i32_in(1, "argmax", outLen, nchw(s.n, s.c, s.h_out, s.w_out));
    float* dx = a.f32_out(2, "dx", s.n * s.c * plane, nchw(s.n, s.c, s.h, s.w));
    a.check_no_alias();
    // Every index must lie in its own (n, c) plane: no write outside dx, no two threads on one plane.
    // Checked and used from one snapshot (args.h: the caller's array may be shared with a writer).
    const std::vector<int32_t> snapshot = Args::copy_in(argmax, outLen);
    const int32_t* am = snapshot.data();
    for (int64_t o = 0; o < outLen; o++) {
      const int64_t p = o / planeOut, v = am[o];
      if (v < p * plane || v >= (p + 1) * plane)
        a.range_error("argmax", "[" + std::to_string(o) + "] = " + std::to_string(v) + " is outside its input plane [" +
                                    std::to_string(p * plane) + ", " + std::to_string((p + 1) * plane) + ")");
    }
    const KdOpsTable& T = ops();
    kd::parallel_for(s.n * s.c, kd::row_grain(plane * 4), [&](int64_t b, int64_t e) {
      T.maxpool2d_backward(s, g, am, dx, b, e);
    });
    return info.Env().Undefined();
  });
}

// ---- optimisers ---------------------------------------------------------------------------------

Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "sgdStep", [&]() -> Napi::Value {
    Args a(info, "sgdStep");
    const int64_t size = a.dim(3, "size");
    const std::string sh = Args::shape1("size", size);
    KdSgdParams p;
    p.lr = a.number(4, "lr");
    p.momentum = a.number(5, "momentum");
    p.dampening = a.number(6, "dampening");
    p.nesterov = boolean(a, 7, "nesterov");
    p.weight_decay = a.number(8, "weightDecay");
    p.has_momentum_buffer = boolean(a, 9, "hasMomentumBuffer");
    float* param = a.f32_out(0, "param", size, sh);
    const float* grad = a.f32_in(1, "grad", size, sh);
    float* buf = a.f32_out_opt(2, "momentumBuf", size, sh);
    if (p.momentum != 0 && !buf) a.type_error("momentumBuf", "must be a Float32Array when momentum != 0");
    a.check_no_alias();
    const KdOpsTable& T = ops();
    kd::parallel_for(size, elem_grain(size), [&](int64_t b, int64_t e) {
      T.sgd(param + b, grad + b, buf ? buf + b : nullptr, e - b, p);
    });
    return info.Env().Undefined();
  });
}

Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "adamStep", [&]() -> Napi::Value {
    Args a(info, "adamStep");
    const int64_t size = a.dim(4, "size");
    const std::string sh = Args::shape1("size", size);
    KdAdamParams p;
    p.lr = a.number(5, "lr");
    p.beta1 = a.in_range(6, "beta1", 0.0, 1.0);
    p.beta2 = a.in_range(7, "beta2", 0.0, 1.0);
    p.eps = a.number(8, "eps");
    p.weight_decay = a.number(9, "weightDecay");
    p.decoupled = boolean(a, 10, "decoupled");
    p.step = static_cast<double>(a.integer(11, "step", 1, 9007199254740991LL));
    float* param = a.f32_out(0, "param", size, sh);
    const float* grad = a.f32_in(1, "grad", size, sh);
    float* m = a.f32_out(2, "m", size, sh);
    float* v = a.f32_out(3, "v", size, sh);
    a.check_no_alias();
    const KdOpsTable& T = ops();
    kd::parallel_for(size, elem_grain(size), [&](int64_t b, int64_t e) {
      T.adam(param + b, grad + b, m + b, v + b, e - b, p);
    });
    return info.Env().Undefined();
  });
}

Napi::Value OpsIsa(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "opsIsa", [&]() -> Napi::Value { return Napi::String::New(info.Env(), ops().isa); });
}

}  // namespace

void RegisterOps(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, Matmul, "matmul"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("affine", Napi::Function::New(env, Affine, "affine"));
  exports.Set("addInPlace", Napi::Function::New(env, AddInPlace, "addInPlace"));
  exports.Set("sum", Napi::Function::New(env, Sum, "sum"));
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("softmaxBackward", Napi::Function::New(env, SoftmaxBackward, "softmaxBackward"));
  exports.Set("transpose", Napi::Function::New(env, Transpose, "transpose"));
  exports.Set("dropout", Napi::Function::New(env, Dropout, "dropout"));
  exports.Set("conv2d", Napi::Function::New(env, Conv2d, "conv2d"));
  exports.Set("conv2dBackward", Napi::Function::New(env, Conv2dBackward, "conv2dBackward"));
  exports.Set("maxPool2d", Napi::Function::New(env, MaxPool2d, "maxPool2d"));
  exports.Set("maxPool2dBackward", Napi::Function::New(env, MaxPool2dBackward, "maxPool2dBackward"));
  exports.Set("sgdStep", Napi::Function::New(env, SgdStep, "sgdStep"));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep, "adamStep"));
  exports.Set("opsIsa", Napi::Function::New(env, OpsIsa, "opsIsa"));
}
