// AVX-512 (F/BW/DQ/VL) vector traits for the generic op kernels (native/kernels/ops_simd.h): 16 floats.
// Internal linkage only (anonymous namespace), so nothing here can be merged with another ISA's copy.
#pragma once
// GCC 12 reports its own _mm512_undefined_* placeholders as maybe-uninitialized (a known false
// positive in avx512fintrin.h).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include <cstdint>

namespace {

struct VecAvx512 {
  static constexpr int N = 16;
  using F = __m512;
  using I = __m512i;
  using M = __mmask16;

  static inline F load(const float* p) { return _mm512_loadu_ps(p); }
  static inline void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static inline F set1(float x) { return _mm512_set1_ps(x); }
  // The first n (0 < n < 16) lanes; the others read as 0 / are not written (masked, no fault).
  static inline F load_part(const float* p, int64_t n) { return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p); }
  static inline void store_part(float* p, F v, int64_t n) { _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), v); }
  static inline F zero() { return _mm512_setzero_ps(); }
  static inline F add(F a, F b) { return _mm512_add_ps(a, b); }
  static inline F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static inline F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static inline F div(F a, F b) { return _mm512_div_ps(a, b); }
  static inline F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static inline F sqrt(F a) { return _mm512_sqrt_ps(a); }
  static inline F abs(F a) { return _mm512_abs_ps(a); }
  static inline F neg(F a) { return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32(INT32_MIN))); }
  static inline F max(F a, F b) { return _mm512_max_ps(a, b); }
  static inline F min(F a, F b) { return _mm512_min_ps(a, b); }
  static inline M gt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static inline M lt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static inline M isnan(F a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
  static inline F select(M m, F t, F f) { return _mm512_mask_blend_ps(m, f, t); }
  static inline F mask_and(M m, F a) { return _mm512_maskz_mov_ps(m, a); }
  static inline float hsum(F a) {
    __m256 s8 = _mm256_add_ps(_mm512_extractf32x8_ps(a, 0), _mm512_extractf32x8_ps(a, 1));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static inline float hmax(F a) { return _mm512_reduce_max_ps(a); }
  static inline I iset1(int32_t x) { return _mm512_set1_epi32(x); }
  static inline I iramp() { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
  static inline I iadd(I a, I b) { return _mm512_add_epi32(a, b); }
  static inline I isub(I a, I b) { return _mm512_sub_epi32(a, b); }
  static inline I imul(I a, I b) { return _mm512_mullo_epi32(a, b); }
  static inline I ixor(I a, I b) { return _mm512_xor_si512(a, b); }
  static inline I iand(I a, I b) { return _mm512_and_si512(a, b); }
  static inline I ior(I a, I b) { return _mm512_or_si512(a, b); }
  template <int S> static inline I isrl(I a) { return _mm512_srli_epi32(a, S); }
  template <int S> static inline I isra(I a) { return _mm512_srai_epi32(a, S); }
  template <int S> static inline I isll(I a) { return _mm512_slli_epi32(a, S); }
  static inline I isrlv(I a, I s) { return _mm512_srlv_epi32(a, s); }
  static inline M igt(I a, I b) { return _mm512_cmpgt_epi32_mask(a, b); }
  static inline I cvt_round(F a) { return _mm512_cvtps_epi32(a); }
  static inline F cvt_f(I a) { return _mm512_cvtepi32_ps(a); }
  static inline I bits(F a) { return _mm512_castps_si512(a); }
  static inline F from_bits(I a) { return _mm512_castsi512_ps(a); }
  static inline F round(F a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
};

using V = VecAvx512;
constexpr int kGemmMR = 8;   // 8 x 32 micro-kernel: 16 accumulators of 32 registers
constexpr int kGemmNV = 2;

}  // namespace
