// 4-lane float32 vector for AArch64 Advanced SIMD (NEON): the one vector type of the neon kernels,
// both the loss kernels (generic/*_impl.h; generic/lane1.h's interface) and the training ops
// (generic/*_impl.h too).
#pragma once
#include <arm_neon.h>
#include <cstdint>

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

struct Neon {
  using R = float32x4_t;
  using I = int32x4_t;
  using M = uint32x4_t;  // comparison result: all-ones lanes
  static constexpr int N = 4;
  static constexpr int kGemmMR = 8;  // GEMM micro-kernel 8 x 8: 16 accumulators of 32 registers
  static constexpr int kGemmNV = 2;
  static R zero() { return vdupq_n_f32(0.0f); }
  static R set1(float x) { return vdupq_n_f32(x); }
  static R load(const float* p) { return vld1q_f32(p); }
  static void store(float* p, R v) { vst1q_f32(p, v); }
  static R add(R a, R b) { return vaddq_f32(a, b); }
  static R sub(R a, R b) { return vsubq_f32(a, b); }
  static R mul(R a, R b) { return vmulq_f32(a, b); }
  static R fma(R a, R b, R c) { return vfmaq_f32(c, a, b); }
  static R max(R a, R b) { return vmaxq_f32(a, b); }  // NEON fmax/fmin propagate NaN from either operand
  static R min(R a, R b) { return vminq_f32(a, b); }
  static R div(R a, R b) { return vdivq_f32(a, b); }
  static R sqrt(R a) { return vsqrtq_f32(a); }
  static R abs(R a) { return vabsq_f32(a); }
  static R neg(R a) { return vnegq_f32(a); }
  static R round(R a) { return vrndnq_f32(a); }
  // The first n (0 < n < 4) lanes; the others read as 0 / are not written.
  static R load_part(const float* p, int64_t n) {
    R v = vdupq_n_f32(0.0f);
    v = vsetq_lane_f32(p[0], v, 0);
    if (n > 1) v = vsetq_lane_f32(p[1], v, 1);
    if (n > 2) v = vsetq_lane_f32(p[2], v, 2);
    return v;
  }
  static void store_part(float* p, R v, int64_t n) {
    p[0] = vgetq_lane_f32(v, 0);
    if (n > 1) p[1] = vgetq_lane_f32(v, 1);
    if (n > 2) p[2] = vgetq_lane_f32(v, 2);
  }
  // Comparisons and masks.
  static M gt(R a, R b) { return vcgtq_f32(a, b); }
  static M lt(R a, R b) { return vcltq_f32(a, b); }
  static M isnan(R a) { return vmvnq_u32(vceqq_f32(a, a)); }
  static R select(M m, R t, R f) { return vbslq_f32(m, t, f); }
  static R mask_and(M m, R a) { return vreinterpretq_f32_u32(vandq_u32(m, vreinterpretq_u32_f32(a))); }
  static R pos_or_zero(R p, R v) { return mask_and(gt(p, zero()), v); }
  static R is_neg_inf(R x) {
    return vreinterpretq_f32_u32(vandq_u32(vceqq_f32(x, set1(-__builtin_inff())), vreinterpretq_u32_f32(set1(1.0f))));
  }
  // Horizontal reductions, fixed order (deterministic): hsum = (l0 + l2) + (l1 + l3) and hmax alike,
  // the order of the x86 types (the loss kernels). The op kernels use reduce_add / reduce_max,
  // the across-vector instructions: faddp order (l0 + l1) + (l2 + l3), fmaxv.
  static float hsum(R v) {
    float32x2_t s = vadd_f32(vget_low_f32(v), vget_high_f32(v));
    return vget_lane_f32(s, 0) + vget_lane_f32(s, 1);
  }
  static float hmax(R v) {
    float32x2_t s = vmax_f32(vget_low_f32(v), vget_high_f32(v));
    float a = vget_lane_f32(s, 0), b = vget_lane_f32(s, 1);
    return a > b ? a : b;
  }
  static float reduce_add(R v) { return vaddvq_f32(v); }
  static float reduce_max(R v) { return vmaxvq_f32(v); }
  // int32 lanes.
  static I iset1(int32_t x) { return vdupq_n_s32(x); }
  static I iramp() { const int32_t r[4] = {0, 1, 2, 3}; return vld1q_s32(r); }
  static I iadd(I a, I b) { return vaddq_s32(a, b); }
  static I isub(I a, I b) { return vsubq_s32(a, b); }
  static I imul(I a, I b) { return vmulq_s32(a, b); }
  static I ixor(I a, I b) { return veorq_s32(a, b); }
  static I iand(I a, I b) { return vandq_s32(a, b); }
  static I ior(I a, I b) { return vorrq_s32(a, b); }
  template <int S> static I isrl(I a) { return vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_s32(a), S)); }
  template <int S> static I isra(I a) { return vshrq_n_s32(a, S); }
  template <int S> static I isll(I a) { return vshlq_n_s32(a, S); }
  static I isrlv(I a, I s) { return vreinterpretq_s32_u32(vshlq_u32(vreinterpretq_u32_s32(a), vnegq_s32(s))); }
  static M igt(I a, I b) { return vcgtq_s32(a, b); }
  static I cvt_round(R a) { return vcvtnq_s32_f32(a); }  // nearest-even
  static R cvt_f(I a) { return vcvtq_f32_s32(a); }
  static I bits(R a) { return vreinterpretq_s32_f32(a); }
  static R from_bits(I a) { return vreinterpretq_f32_s32(a); }
  static void prefetch(const void* p) { __builtin_prefetch(p, 0, 3); }
};

}  // namespace
}  // namespace simd
}  // namespace kd
