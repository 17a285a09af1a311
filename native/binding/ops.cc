// N-API entry points of the training-op kernels (native/kernels/ops.h). Each checks every argument
// (types, lengths against the shapes, finite scalars, outputs disjoint from inputs) and throws
// TypeError / RangeError, fills the kernel's params struct and calls native/dispatch/ops.h, which
// runs the active ISA's kernel over the thread pool. Outputs are caller-provided typed arrays,
// written in place.
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
//   fakeQuantize(x, size, scale, zeroPoint, qmin, qmax, y, mask)
//   conv2d(x, w, bias | null, y, n, cIn, h, w, cOut, kh, kw, stride, padding, groups, hOut, wOut)
//   conv2dBackward(g, x, w, dx | null, dw | null, dbias | null, n, cIn, h, w, cOut, kh, kw, stride,
//                  padding, groups, hOut, wOut)
//   maxPool2d(x, y, argmax /*Int32Array*/, n, c, h, w, kernel, stride, hOut, wOut)
//   maxPool2dBackward(g, argmax, dx, n, c, h, w, kernel, stride, hOut, wOut)
//   addInPlace(dst, src, size)
//   sgdStep(param, grad, momentumBuf | null, size, lr, momentum, dampening, nesterov, weightDecay,
//           hasMomentumBuffer)
//   adamStep(param, grad, m, v, size, lr, beta1, beta2, eps, weightDecay, decoupled, step)
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "../dispatch/ops.h"
#include "args.h"

using kd::binding::Args;

namespace {

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
    kd::gemm({m, n, k, A, ta ? 1 : k, ta ? m : 1, B, tb ? 1 : n, tb ? k : 1, C, n, false});
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
    kd::binary({static_cast<kd::BinaryOp>(op), A, ars, acs, B, brs, bcs, out, cols, rows, cols});
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
    kd::unary({static_cast<kd::UnaryOp>(op), x, out, size});
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
    kd::affine({x, out, size, alpha, beta});
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
    kd::add_inplace({dst, src, size});
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
    kd::sum({x, rows, cols, scale, out}, static_cast<int>(axis));
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
    kd::softmax({x, out, rows, cols, log});
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
    kd::softmax_backward({y, g, out, rows, cols, log});
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
    kd::transpose({x, rows, cols, out});
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
    kd::dropout({x, y, mask, size, seed, threshold, keep});
    return info.Env().Undefined();
  });
}

// ---- fake quantisation --------------------------------------------------------------------------

Napi::Value FakeQuantize(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "fakeQuantize", [&]() -> Napi::Value {
    Args a(info, "fakeQuantize");
    const int64_t size = a.integer(1, "size", 0, 4294967295LL);
    // A normal float32 scale whose float32 reciprocal is normal too (src/ops/quantize.ts).
    const double scale = a.in_range(2, "scale", 1.1754943508222875e-38, 8.507059173023462e37);
    const int64_t kLevel = 1 << 22;
    const int64_t qmin = a.integer(4, "qmin", -kLevel, kLevel);
    const int64_t qmax = a.integer(5, "qmax", qmin, kLevel);
    const int64_t zp = a.integer(3, "zeroPoint", qmin, qmax);
    const float* x = a.f32_in(0, "x", size, Args::shape1("size", size));
    float* y = a.f32_out(6, "y", size, Args::shape1("size", size));
    float* mask = a.f32_out(7, "mask", size, Args::shape1("size", size));
    a.check_no_alias();
    const float s = static_cast<float>(scale);
    kd::fake_quantize({x, y, mask, size, s, 1.0f / s, static_cast<float>(zp), static_cast<float>(qmin),
                       static_cast<float>(qmax)});
    return info.Env().Undefined();
  });
}

// ---- conv2d and max pooling ---------------------------------------------------------------------

kd::ConvShape conv_shape(Args& a, size_t i0) {
  kd::ConvShape s;
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
  // The kernels' per-thread scratch (one image's im2col columns, a group's zero-padded input planes,
  // the padded output gradient of the input gradient) is at most kMaxConvScratch floats. A shape past
  // it (say a huge padding with a huge stride: a small output of a vast padded plane) is refused here
  // rather than failing an allocation inside a kernel.
  constexpr double kMaxConvScratch = 268435456.0;  // 2^28 floats, 1 GiB
  const double cin_g = static_cast<double>(s.c_in / s.groups);
  const double need = std::max({cin_g * s.kh * s.kw * static_cast<double>(s.h_out) * s.w_out,
                                cin_g * (s.h + 2.0 * s.padding) * (s.w + 2.0 * s.padding),
                                (static_cast<double>(s.h_out) * s.stride + 2.0 * s.kh) *
                                    (static_cast<double>(s.w_out) * s.stride + 2.0 * s.kw)});
  if (need > kMaxConvScratch)
    a.range_error("padding", "with this input, kernel and stride the convolution needs " +
                                 std::to_string(static_cast<int64_t>(need)) +
                                 " floats of scratch per thread (im2col columns or zero-padded planes), more than 2^28: "
                                 "reduce the padding, the stride or the kernel");
  return s;
}

std::string nchw(int64_t n, int64_t c, int64_t h, int64_t w) {
  return "[" + std::to_string(n) + ", " + std::to_string(c) + ", " + std::to_string(h) + ", " + std::to_string(w) + "]";
}

Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "conv2d", [&]() -> Napi::Value {
    Args a(info, "conv2d");
    const kd::ConvShape s = conv_shape(a, 4);
    const int64_t cInG = s.c_in / s.groups;
    const float* x = a.f32_in(0, "x", mul(a, mul(a, s.n, s.c_in, "x"), mul(a, s.h, s.w, "x"), "x"), nchw(s.n, s.c_in, s.h, s.w));
    const float* w = a.f32_in(1, "w", mul(a, s.c_out * cInG, s.kh * s.kw, "w"), nchw(s.c_out, cInG, s.kh, s.kw));
    const float* bias = a.f32_in_opt(2, "bias", s.c_out, Args::shape1("cOut", s.c_out));
    float* y = a.f32_out(3, "y", mul(a, mul(a, s.n, s.c_out, "y"), s.h_out * s.w_out, "y"), nchw(s.n, s.c_out, s.h_out, s.w_out));
    a.check_no_alias();
    kd::conv2d({s, x, w, bias, y});
    return info.Env().Undefined();
  });
}

Napi::Value Conv2dBackward(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "conv2dBackward", [&]() -> Napi::Value {
    Args a(info, "conv2dBackward");
    const kd::ConvShape s = conv_shape(a, 6);
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
    kd::conv2d_backward({s, g, x, w, dx, dw, db});
    return info.Env().Undefined();
  });
}

kd::PoolShape pool_shape(Args& a, size_t i0) {
  kd::PoolShape s;
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
    const kd::PoolShape s = pool_shape(a, 3);
    const int64_t outLen = s.n * s.c * s.h_out * s.w_out;
    const float* x = a.f32_in(0, "x", s.n * s.c * s.h * s.w, nchw(s.n, s.c, s.h, s.w));
    float* y = a.f32_out(1, "y", outLen, nchw(s.n, s.c, s.h_out, s.w_out));
    int32_t* am = const_cast<int32_t*>(a.typed_value<int32_t>(a.at(2), "argmax", outLen, nchw(s.n, s.c, s.h_out, s.w_out),
                                                              napi_int32_array, "Int32Array", false, true));
    a.check_no_alias();
    kd::maxpool2d({s, x, y, am});
    return info.Env().Undefined();
  });
}

Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "maxPool2dBackward", [&]() -> Napi::Value {
    Args a(info, "maxPool2dBackward");
    const kd::PoolShape s = pool_shape(a, 3);
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
    kd::maxpool2d_backward({s, g, am, dx});
    return info.Env().Undefined();
  });
}

// ---- optimisers ---------------------------------------------------------------------------------

Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "sgdStep", [&]() -> Napi::Value {
    Args a(info, "sgdStep");
    const int64_t size = a.dim(3, "size");
    const std::string sh = Args::shape1("size", size);
    kd::SgdParams p;
    p.size = size;
    p.lr = a.number(4, "lr");
    p.momentum = a.number(5, "momentum");
    p.dampening = a.number(6, "dampening");
    p.nesterov = boolean(a, 7, "nesterov");
    p.weight_decay = a.number(8, "weightDecay");
    p.has_momentum_buffer = boolean(a, 9, "hasMomentumBuffer");
    p.param = a.f32_out(0, "param", size, sh);
    p.grad = a.f32_in(1, "grad", size, sh);
    p.momentum_buf = a.f32_out_opt(2, "momentumBuf", size, sh);
    // (an empty array gives a null pointer too: test presence, not the pointer)
    if (p.momentum != 0 && a.absent(2)) a.type_error("momentumBuf", "must be a Float32Array when momentum != 0");
    a.check_no_alias();
    kd::sgd(p);
    return info.Env().Undefined();
  });
}

Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "adamStep", [&]() -> Napi::Value {
    Args a(info, "adamStep");
    const int64_t size = a.dim(4, "size");
    const std::string sh = Args::shape1("size", size);
    kd::AdamParams p;
    p.size = size;
    p.lr = a.number(5, "lr");
    p.beta1 = a.in_range(6, "beta1", 0.0, 1.0);
    p.beta2 = a.in_range(7, "beta2", 0.0, 1.0);
    p.eps = a.number(8, "eps");
    p.weight_decay = a.number(9, "weightDecay");
    p.decoupled = boolean(a, 10, "decoupled");
    p.step = static_cast<double>(a.integer(11, "step", 1, 9007199254740991LL));
    p.param = a.f32_out(0, "param", size, sh);
    p.grad = a.f32_in(1, "grad", size, sh);
    p.m = a.f32_out(2, "m", size, sh);
    p.v = a.f32_out(3, "v", size, sh);
    a.check_no_alias();
    kd::adam(p);
    return info.Env().Undefined();
  });
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
  exports.Set("fakeQuantize", Napi::Function::New(env, FakeQuantize, "fakeQuantize"));
  exports.Set("conv2d", Napi::Function::New(env, Conv2d, "conv2d"));
  exports.Set("conv2dBackward", Napi::Function::New(env, Conv2dBackward, "conv2dBackward"));
  exports.Set("maxPool2d", Napi::Function::New(env, MaxPool2d, "maxPool2d"));
  exports.Set("maxPool2dBackward", Napi::Function::New(env, MaxPool2dBackward, "maxPool2dBackward"));
  exports.Set("sgdStep", Napi::Function::New(env, SgdStep, "sgdStep"));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep, "adamStep"));
}
