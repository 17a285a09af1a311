// NEON (AArch64 Advanced SIMD) vector traits for the generic op kernels
// (native/kernels/ops_simd.h): 4 floats. Internal linkage only (anonymous namespace).
#pragma once
#include <arm_neon.h>
#include <cstdint>

namespace {

struct VecNeon {
  static constexpr int N = 4;
  using F = float32x4_t;
  using I = int32x4_t;
  using M = uint32x4_t;

  static inline F load(const float* p) { return vld1q_f32(p); }
  static inline void store(float* p, F v) { vst1q_f32(p, v); }
  static inline F set1(float x) { return vdupq_n_f32(x); }
  // The first n (0 < n < 4) lanes; the others read as 0 / are not written.
  static inline F load_part(const float* p, int64_t n) {
    F v = vdupq_n_f32(0.0f);
    v = vsetq_lane_f32(p[0], v, 0);
    if (n > 1) v = vsetq_lane_f32(p[1], v, 1);
    if (n > 2) v = vsetq_lane_f32(p[2], v, 2);
    return v;
  }
  static inline void store_part(float* p, F v, int64_t n) {
    p[0] = vgetq_lane_f32(v, 0);
    if (n > 1) p[1] = vgetq_lane_f32(v, 1);
    if (n > 2) p[2] = vgetq_lane_f32(v, 2);
  }
  static inline F zero() { return vdupq_n_f32(0.0f); }
  static inline F add(F a, F b) { return vaddq_f32(a, b); }
  static inline F sub(F a, F b) { return vsubq_f32(a, b); }
  static inline F mul(F a, F b) { return vmulq_f32(a, b); }
  static inline F div(F a, F b) { return vdivq_f32(a, b); }
  static inline F fma(F a, F b, F c) { return vfmaq_f32(c, a, b); }
  static inline F sqrt(F a) { return vsqrtq_f32(a); }
  static inline F abs(F a) { return vabsq_f32(a); }
  static inline F neg(F a) { return vnegq_f32(a); }
  // NEON fmax/fmin propagate NaN from either operand.
  static inline F max(F a, F b) { return vmaxq_f32(a, b); }
  static inline F min(F a, F b) { return vminq_f32(a, b); }
  static inline M gt(F a, F b) { return vcgtq_f32(a, b); }
  static inline M lt(F a, F b) { return vcltq_f32(a, b); }
  static inline M isnan(F a) { return vmvnq_u32(vceqq_f32(a, a)); }
  static inline F select(M m, F t, F f) { return vbslq_f32(m, t, f); }
  static inline F mask_and(M m, F a) { return vreinterpretq_f32_u32(vandq_u32(m, vreinterpretq_u32_f32(a))); }
  static inline float hsum(F a) { return vaddvq_f32(a); }
  static inline float hmax(F a) { return vmaxvq_f32(a); }
  static inline I iset1(int32_t x) { return vdupq_n_s32(x); }
  static inline I iramp() { const int32_t r[4] = {0, 1, 2, 3}; return vld1q_s32(r); }
  static inline I iadd(I a, I b) { return vaddq_s32(a, b); }
  static inline I isub(I a, I b) { return vsubq_s32(a, b); }
  static inline I imul(I a, I b) { return vmulq_s32(a, b); }
  static inline I ixor(I a, I b) { return veorq_s32(a, b); }
  static inline I iand(I a, I b) { return vandq_s32(a, b); }
  static inline I ior(I a, I b) { return vorrq_s32(a, b); }
  template <int S> static inline I isrl(I a) { return vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_s32(a), S)); }
  template <int S> static inline I isra(I a) { return vshrq_n_s32(a, S); }
  template <int S> static inline I isll(I a) { return vshlq_n_s32(a, S); }
  static inline I isrlv(I a, I s) { return vreinterpretq_s32_u32(vshlq_u32(vreinterpretq_u32_s32(a), vnegq_s32(s))); }
  static inline M igt(I a, I b) { return vcgtq_s32(a, b); }
  static inline I cvt_round(F a) { return vcvtnq_s32_f32(a); }
  static inline F cvt_f(I a) { return vcvtq_f32_s32(a); }
  static inline I bits(F a) { return vreinterpretq_s32_f32(a); }
  static inline F from_bits(I a) { return vreinterpretq_f32_s32(a); }
  static inline F round(F a) { return vrndnq_f32(a); }
};

using V = VecNeon;
constexpr int kGemmMR = 8;   // 8 x 8 micro-kernel: 16 accumulators of 32 registers
constexpr int kGemmNV = 2;

}  // namespace
