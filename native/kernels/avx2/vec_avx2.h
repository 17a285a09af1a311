// 8-lane float32 vector for AVX2 + FMA: the one vector type of the avx2 kernels, both the loss
// kernels (generic/*_impl.h, which also need generic/lane1.h's interface: pos_or_zero, ...) and the
// training ops (generic/*_impl.h too). Primitive operations only: exp and log are written once over
// every vector type in generic/vmath.h. Include only from -mavx2 -mfma files.
#pragma once
#include <immintrin.h>
#include <cstdint>

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

struct Avx2 {
  using R = __m256;
  using I = __m256i;
  using M = __m256;  // comparison result: all-ones lanes
  static constexpr int N = 8;
  static constexpr int kGemmMR = 6;  // GEMM micro-kernel 6 x 16: 12 accumulators
  static constexpr int kGemmNV = 2;
  static R zero() { return _mm256_setzero_ps(); }
  static R set1(float x) { return _mm256_set1_ps(x); }
  static R load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, R v) { _mm256_storeu_ps(p, v); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R max(R a, R b) { return _mm256_max_ps(a, b); }
  static R min(R a, R b) { return _mm256_min_ps(a, b); }
  static R div(R a, R b) { return _mm256_div_ps(a, b); }
  static R sqrt(R a) { return _mm256_sqrt_ps(a); }
  static R abs(R a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static R neg(R a) { return _mm256_xor_ps(_mm256_set1_ps(-0.0f), a); }
  static R round(R a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // The first n (0 < n < 8) lanes; the others read as 0 / are not written (no access past p + n).
  static I tail_mask(int64_t n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), iramp()); }
  static R load_part(const float* p, int64_t n) { return _mm256_maskload_ps(p, tail_mask(n)); }
  static void store_part(float* p, R v, int64_t n) { _mm256_maskstore_ps(p, tail_mask(n), v); }
  // Comparisons and masks.
  static M gt(R a, R b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static M lt(R a, R b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M isnan(R a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
  static R select(M m, R t, R f) { return _mm256_blendv_ps(f, t, m); }
  static R mask_and(M m, R a) { return _mm256_and_ps(m, a); }
  static R pos_or_zero(R p, R v) { return mask_and(gt(p, zero()), v); }
  static R is_neg_inf(R x) { return _mm256_and_ps(_mm256_cmp_ps(x, set1(-__builtin_inff()), _CMP_EQ_OQ), set1(1.0f)); }
  // Horizontal reductions, fixed order (deterministic): halves added / maxed pairwise down to one lane.
  // reduce_add / reduce_max (the op kernels' reductions) are the same on AVX2.
  static float hsum(R v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    __m128 s = _mm_add_ps(lo, hi);
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
  static float hmax(R v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    __m128 s = _mm_max_ps(lo, hi);
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
  static float reduce_add(R v) { return hsum(v); }
  static float reduce_max(R v) { return hmax(v); }
  // int32 lanes.
  static I iset1(int32_t x) { return _mm256_set1_epi32(x); }
  static I iramp() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
  static I iadd(I a, I b) { return _mm256_add_epi32(a, b); }
  static I isub(I a, I b) { return _mm256_sub_epi32(a, b); }
  static I imul(I a, I b) { return _mm256_mullo_epi32(a, b); }
  static I ixor(I a, I b) { return _mm256_xor_si256(a, b); }
  static I iand(I a, I b) { return _mm256_and_si256(a, b); }
  static I ior(I a, I b) { return _mm256_or_si256(a, b); }
  template <int S> static I isrl(I a) { return _mm256_srli_epi32(a, S); }
  template <int S> static I isra(I a) { return _mm256_srai_epi32(a, S); }
  template <int S> static I isll(I a) { return _mm256_slli_epi32(a, S); }
  static I isrlv(I a, I s) { return _mm256_srlv_epi32(a, s); }
  static M igt(I a, I b) { return _mm256_castsi256_ps(_mm256_cmpgt_epi32(a, b)); }
  static I cvt_round(R a) { return _mm256_cvtps_epi32(a); }  // nearest-even
  static R cvt_f(I a) { return _mm256_cvtepi32_ps(a); }
  static I bits(R a) { return _mm256_castps_si256(a); }
  static R from_bits(I a) { return _mm256_castsi256_ps(a); }
  static void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }
};

}  // namespace
}  // namespace simd
}  // namespace kd
