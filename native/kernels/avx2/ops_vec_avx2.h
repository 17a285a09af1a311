// AVX2+FMA vector traits for the generic op kernels (native/kernels/ops_simd.h): 8 floats.
// Internal linkage only (anonymous namespace), so nothing here can be merged with another ISA's copy.
#pragma once
#include <immintrin.h>
#include <cstdint>

namespace {

struct VecAvx2 {
  static constexpr int N = 8;
  using F = __m256;
  using I = __m256i;
  using M = __m256;  // all-ones lanes

  static inline F load(const float* p) { return _mm256_loadu_ps(p); }
  static inline void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static inline F set1(float x) { return _mm256_set1_ps(x); }
  // The first n (0 < n < 8) lanes; the others read as 0 / are not written (no access past p + n).
  static inline __m256i tail_mask(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static inline F load_part(const float* p, int64_t n) { return _mm256_maskload_ps(p, tail_mask(n)); }
  static inline void store_part(float* p, F v, int64_t n) { _mm256_maskstore_ps(p, tail_mask(n), v); }
  static inline F zero() { return _mm256_setzero_ps(); }
  static inline F add(F a, F b) { return _mm256_add_ps(a, b); }
  static inline F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static inline F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static inline F div(F a, F b) { return _mm256_div_ps(a, b); }
  static inline F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static inline F sqrt(F a) { return _mm256_sqrt_ps(a); }
  static inline F abs(F a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static inline F neg(F a) { return _mm256_xor_ps(_mm256_set1_ps(-0.0f), a); }
  // Plain max/min (x86: the second operand when either is NaN).
  static inline F max(F a, F b) { return _mm256_max_ps(a, b); }
  static inline F min(F a, F b) { return _mm256_min_ps(a, b); }
  static inline M gt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static inline M lt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static inline M isnan(F a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
  static inline F select(M m, F t, F f) { return _mm256_blendv_ps(f, t, m); }
  static inline F mask_and(M m, F a) { return _mm256_and_ps(m, a); }
  static inline float hsum(F a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static inline float hmax(F a) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  // int32 lanes
  static inline I iset1(int32_t x) { return _mm256_set1_epi32(x); }
  static inline I iramp() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
  static inline I iadd(I a, I b) { return _mm256_add_epi32(a, b); }
  static inline I isub(I a, I b) { return _mm256_sub_epi32(a, b); }
  static inline I imul(I a, I b) { return _mm256_mullo_epi32(a, b); }
  static inline I ixor(I a, I b) { return _mm256_xor_si256(a, b); }
  static inline I iand(I a, I b) { return _mm256_and_si256(a, b); }
  static inline I ior(I a, I b) { return _mm256_or_si256(a, b); }
  template <int S> static inline I isrl(I a) { return _mm256_srli_epi32(a, S); }
  template <int S> static inline I isra(I a) { return _mm256_srai_epi32(a, S); }
  template <int S> static inline I isll(I a) { return _mm256_slli_epi32(a, S); }
  static inline I isrlv(I a, I s) { return _mm256_srlv_epi32(a, s); }
  static inline M igt(I a, I b) { return _mm256_castsi256_ps(_mm256_cmpgt_epi32(a, b)); }
  static inline I cvt_round(F a) { return _mm256_cvtps_epi32(a); }  // nearest-even
  static inline F cvt_f(I a) { return _mm256_cvtepi32_ps(a); }
  static inline I bits(F a) { return _mm256_castps_si256(a); }
  static inline F from_bits(I a) { return _mm256_castsi256_ps(a); }
  static inline F round(F a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
};

using V = VecAvx2;
constexpr int kGemmMR = 6;   // 6 x 16 micro-kernel: 12 accumulators
constexpr int kGemmNV = 2;

}  // namespace
