// A one-lane "vector" with the same interface as the ISA vector types (avx2/vec_avx2.h, ...):
// the generic kernels use it for the tail columns that do not fill a whole vector.
#pragma once
#include <cmath>

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

struct Lane1 {
  using R = float;
  static constexpr int N = 1;
  static R zero() { return 0.0f; }
  static R set1(float x) { return x; }
  static R load(const float* p) { return *p; }
  static void store(float* p, R v) { *p = v; }
  static R add(R a, R b) { return a + b; }
  static R sub(R a, R b) { return a - b; }
  static R mul(R a, R b) { return a * b; }
  static R fma(R a, R b, R c) { return std::fma(a, b, c); }  // a * b + c
  static R max(R a, R b) { return a > b ? a : b; }
  static R min(R a, R b) { return a < b ? a : b; }
  static R pos_or_zero(R p, R v) { return p > 0.0f ? v : 0.0f; }  // p > 0 ? v : 0
  static R is_neg_inf(R x) { return x == -__builtin_inff() ? 1.0f : 0.0f; }  // 1 where x = -inf, else 0
  static float hsum(R v) { return v; }
  static float hmax(R v) { return v; }
  static void prefetch(const void*) {}
};

}  // namespace
}  // namespace simd
}  // namespace kd
