// JS <-> C++ boundary helpers: typed-array spans and argument checks that throw
// Napi::TypeError (wrong type, missing argument) or Napi::RangeError (wrong length, value out of
// range, aliasing) with a message naming the function, the argument and the expected shape.
// Never crash: every value read from JS goes through here first.
//
// Built with NAPI_CPP_EXCEPTIONS (see CMakeLists.txt): a thrown Napi::Error becomes a JS exception.
//
//   kd::binding::Args a(info, "softmaxKL");
//   const int64_t rows = a.dim(2, "rows"), cols = a.dim(3, "cols", 1);
//   const float* s = a.f32_in(0, "student", rows * cols, a.shape2("rows", rows, "cols", cols));
//   float* loss = a.f32_out(7, "rowLoss", rows, a.shape1("rows", rows));
//   float* g = a.f32_out_opt(8, "gradStudent", rows * cols, ...);   // null/undefined -> nullptr
//   a.check_no_alias();   // every output disjoint from every input and from the other outputs
//
// Memory a caller can change during the call is never dereferenced twice:
//   1. Array elements may be getters that run JS (which can detach or shrink a buffer): read them
//      all with elements() before the first typed-array pointer is taken (enforced: an elements()
//      call after a pointer throws instead of reading).
//   2. Arrays whose values steer memory accesses (labels, argmax indices) or are checked once and
//      then used (weights) may live in a SharedArrayBuffer that another thread writes: copy them into
//      addon-owned memory with copy_in() and check and use the copy only.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace kd {
namespace binding {

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn) : info_(info), env_(info.Env()), fn_(fn) {}

  Napi::Env env() const { return env_; }
  Napi::Value at(size_t i) const { return i < info_.Length() ? info_[i] : env_.Undefined(); }
  bool absent(size_t i) const {
    Napi::Value v = at(i);
    return v.IsUndefined() || v.IsNull();
  }

  [[noreturn]] void type_error(const std::string& name, const std::string& what) const {
    throw Napi::TypeError::New(env_, std::string(fn_) + ": argument '" + name + "' " + what);
  }
  [[noreturn]] void range_error(const std::string& name, const std::string& what) const {
    throw Napi::RangeError::New(env_, std::string(fn_) + ": argument '" + name + "' " + what);
  }

  // A number (not NaN, not +-Infinity).
  double number(size_t i, const std::string& name) const {
    Napi::Value v = at(i);
    if (!v.IsNumber()) type_error(name, "must be a finite number, got " + describe(v));
    const double x = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(x)) range_error(name, "must be a finite number, got " + num(x));
    return x;
  }
  double in_range(size_t i, const std::string& name, double lo, double hi) const {
    const double x = number(i, name);
    if (x < lo || x > hi) range_error(name, "must be in [" + num(lo) + ", " + num(hi) + "], got " + num(x));
    return x;
  }
  // An integer in [lo, hi].
  int64_t integer(size_t i, const std::string& name, int64_t lo, int64_t hi) const {
    const double x = number(i, name);
    if (x != std::floor(x)) range_error(name, "must be an integer, got " + num(x));
    if (x < static_cast<double>(lo) || x > static_cast<double>(hi))
      range_error(name, "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + num(x));
    return static_cast<int64_t>(x);
  }
  // A temperature: > 0 and a normal float32 (the kernels use 1/T in float32: it must neither round
  // to 0 nor overflow).
  double temperature(size_t i, const std::string& name) const {
    const double x = number(i, name);
    const float f = static_cast<float>(x);
    if (!(x > 0) || !(f >= 1.17549435e-38f) || !std::isfinite(f))
      range_error(name, "must be > 0 and a normal float32 (in [1.1754944e-38, 3.4028235e38]), got " + num(x));
    return x;
  }
  // A dimension: integer in [min, 2^31 - 1].
  int64_t dim(size_t i, const std::string& name, int64_t min = 0) const {
    return integer(i, name, min, 2147483647);
  }

  static std::string shape1(const char* n, int64_t v) {
    return "[" + std::string(n) + "] = [" + std::to_string(v) + "]";
  }
  static std::string shape2(const char* n1, int64_t v1, const char* n2, int64_t v2) {
    return "[" + std::string(n1) + ", " + n2 + "] = [" + std::to_string(v1) + ", " + std::to_string(v2) + "]";
  }

  const float* f32_in(size_t i, const std::string& name, int64_t len, const std::string& shape) {
    return typed<float>(i, name, len, shape, napi_float32_array, "Float32Array", false, false);
  }
  const float* f32_in_opt(size_t i, const std::string& name, int64_t len, const std::string& shape) {
    return typed<float>(i, name, len, shape, napi_float32_array, "Float32Array", true, false);
  }
  const int32_t* i32_in(size_t i, const std::string& name, int64_t len, const std::string& shape) {
    return typed<int32_t>(i, name, len, shape, napi_int32_array, "Int32Array", false, false);
  }
  const int32_t* i32_in_opt(size_t i, const std::string& name, int64_t len, const std::string& shape) {
    return typed<int32_t>(i, name, len, shape, napi_int32_array, "Int32Array", true, false);
  }
  const double* f64_in(size_t i, const std::string& name, int64_t len, const std::string& shape) {
    return typed<double>(i, name, len, shape, napi_float64_array, "Float64Array", false, false);
  }
  float* f32_out(size_t i, const std::string& name, int64_t len, const std::string& shape) {
    return typed<float>(i, name, len, shape, napi_float32_array, "Float32Array", false, true);
  }
  float* f32_out_opt(size_t i, const std::string& name, int64_t len, const std::string& shape) {
    return typed<float>(i, name, len, shape, napi_float32_array, "Float32Array", true, true);
  }

  // Every element of the Array argument i (TypeError unless it is an Array of min..max elements),
  // read now: a getter among them runs before any pointer exists (see the header comment).
  std::vector<Napi::Value> elements(size_t i, const std::string& name, const std::string& what, uint32_t min,
                                    uint32_t max) {
    if (pointers_taken_) throw std::logic_error(std::string(fn_) + ": internal error: '" + name + "' read after a pointer");
    Napi::Value v = at(i);
    if (!v.IsArray()) type_error(name, "must be an Array of " + what + ", got " + describe(v));
    Napi::Array arr = v.As<Napi::Array>();
    const uint32_t n = arr.Length();
    if (n < min || n > max)
      range_error(name, "must hold " + std::to_string(min) + " to " + std::to_string(max) + " entries, got " + std::to_string(n));
    std::vector<Napi::Value> out(n);
    for (uint32_t k = 0; k < n; ++k) out[k] = arr.Get(k);
    return out;
  }

  // A snapshot of a checked input typed array (see the header comment): its values at one instant,
  // in memory no other thread can reach. The source range still takes part in check_no_alias.
  template <class T>
  static std::vector<T> copy_in(const T* src, int64_t len) {
    std::vector<T> out(static_cast<size_t>(len));
    if (len > 0) std::memcpy(out.data(), src, static_cast<size_t>(len) * sizeof(T));
    return out;
  }

  // Typed-array checks on a value that is not a direct argument (an element of an array argument).
  template <class T>
  T* typed_value(Napi::Value v, const std::string& name, int64_t len, const std::string& shape,
                 napi_typedarray_type type, const char* tname, bool optional, bool output) {
    if (optional && (v.IsUndefined() || v.IsNull())) return nullptr;
    napi_typedarray_type t = napi_int8_array;
    size_t n = 0;
    void* data = nullptr;
    napi_value buffer = nullptr;
    if (!v.IsTypedArray() ||
        napi_get_typedarray_info(env_, v, &t, &n, &data, &buffer, nullptr) != napi_ok || t != type)
      type_error(name, std::string("must be a ") + tname + (optional ? " or null" : "") + " of shape " + shape +
                           ", got " + describe(v));
    bool detached = false;
    if (static_cast<int64_t>(n) != len && napi_is_detached_arraybuffer(env_, buffer, &detached) == napi_ok && detached)
      range_error(name, "is backed by a detached ArrayBuffer (expected length " + std::to_string(len) + ")");
    if (static_cast<int64_t>(n) != len)
      range_error(name, std::string("must have length ") + std::to_string(len) + " (shape " + shape +
                            "), got length " + std::to_string(n));
    uint8_t* base = static_cast<uint8_t*>(data);
    if (len > 0 && base == nullptr) range_error(name, "is backed by a detached ArrayBuffer");
    pointers_taken_ = true;
    const size_t bytes = n * sizeof(T);
    Range r{base, base + bytes, name};
    (output ? outputs_ : inputs_).push_back(r);
    return reinterpret_cast<T*>(base);
  }

  // Every output range is disjoint from every input and from every other output.
  void check_no_alias() const {
    for (size_t o = 0; o < outputs_.size(); ++o) {
      const Range& a = outputs_[o];
      if (a.begin == a.end) continue;
      for (const Range& b : inputs_)
        if (overlap(a, b))
          range_error(a.name, "(an output) must not share memory with the input '" + b.name + "'");
      for (size_t p = o + 1; p < outputs_.size(); ++p)
        if (overlap(a, outputs_[p]))
          range_error(a.name, "(an output) must not share memory with the output '" + outputs_[p].name + "'");
    }
  }

  static std::string describe(const Napi::Value& v) {
    switch (v.Type()) {
      case napi_undefined: return "undefined (missing?)";
      case napi_null: return "null";
      case napi_boolean: return "a boolean";
      case napi_number: return "the number " + num(v.As<Napi::Number>().DoubleValue());
      case napi_string: return "a string";
      case napi_symbol: return "a symbol";
      case napi_function: return "a function";
      case napi_bigint: return "a bigint";
      default: break;
    }
    if (v.IsTypedArray()) {
      static const char* names[] = {"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
                                    "Int32Array", "Uint32Array", "Float32Array", "Float64Array",
                                    "BigInt64Array", "BigUint64Array"};
      const auto t = v.As<Napi::TypedArray>().TypedArrayType();
      const std::string tn = (t >= 0 && t <= napi_biguint64_array) ? names[t] : "typed array";
      return "a " + tn + " of length " + std::to_string(v.As<Napi::TypedArray>().ElementLength());
    }
    if (v.IsArray()) return "an Array";
    if (v.IsArrayBuffer()) return "an ArrayBuffer";
    return "an object";
  }
  static std::string num(double x) {
    if (std::isnan(x)) return "NaN";
    if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", x);
    return buf;
  }

 private:
  struct Range {
    const uint8_t* begin;
    const uint8_t* end;
    std::string name;
  };
  static bool overlap(const Range& a, const Range& b) {
    return a.begin < b.end && b.begin < a.end && a.begin != a.end && b.begin != b.end;
  }
  template <class T>
  T* typed(size_t i, const std::string& name, int64_t len, const std::string& shape, napi_typedarray_type type,
           const char* tname, bool optional, bool output) {
    return typed_value<T>(at(i), name, len, shape, type, tname, optional, output);
  }

  const Napi::CallbackInfo& info_;
  Napi::Env env_;
  const char* fn_;
  std::vector<Range> inputs_, outputs_;
  bool pointers_taken_ = false;
};

// Runs body; a C++ exception other than Napi::Error (bad_alloc, a bad KD_ISA) becomes a JS Error.
template <class F>
Napi::Value guarded(const Napi::CallbackInfo& info, const char* fn, F&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string(fn) + ": " + e.what());
  }
}

}  // namespace binding
}  // namespace kd
