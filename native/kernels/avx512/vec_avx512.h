// 16-lane float32 vector for AVX-512 (F/BW/DQ/VL): the one vector type of the avx512 kernels, both
// the loss kernels (generic/*_impl.h; generic/lane1.h's interface) and the training ops
// (generic/*_impl.h too). Include only from files compiled with the AVX-512 flags.
#pragma once
// GCC 12 reports its own _mm512_undefined_* placeholders as maybe-uninitialized (a known false
// positive in avx512fintrin.h).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include <cstdint>

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

struct Avx512 {
  using R = __m512;
  using I = __m512i;
  using M = __mmask16;
  static constexpr int N = 16;
  static constexpr int kGemmMR = 8;  // GEMM micro-kernel 8 x 32: 16 accumulators of 32 registers
  static constexpr int kGemmNV = 2;
  static R zero() { return _mm512_setzero_ps(); }
  static R set1(float x) { return _mm512_set1_ps(x); }
  static R load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, R v) { _mm512_storeu_ps(p, v); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R max(R a, R b) { return _mm512_max_ps(a, b); }
  static R min(R a, R b) { return _mm512_min_ps(a, b); }
  static R div(R a, R b) { return _mm512_div_ps(a, b); }
  static R sqrt(R a) { return _mm512_sqrt_ps(a); }
  static R abs(R a) { return _mm512_abs_ps(a); }
  static R neg(R a) { return from_bits(_mm512_xor_si512(bits(a), _mm512_set1_epi32(INT32_MIN))); }
  static R round(R a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // The first n (0 < n < 16) lanes; the others read as 0 / are not written (masked, no fault).
  static R load_part(const float* p, int64_t n) { return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p); }
  static void store_part(float* p, R v, int64_t n) { _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), v); }
  // Comparisons and masks.
  static M gt(R a, R b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static M lt(R a, R b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M isnan(R a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
  static R select(M m, R t, R f) { return _mm512_mask_blend_ps(m, f, t); }
  static R mask_and(M m, R a) { return _mm512_maskz_mov_ps(m, a); }
  static R pos_or_zero(R p, R v) { return mask_and(gt(p, zero()), v); }
  static R is_neg_inf(R x) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, set1(-__builtin_inff()), _CMP_EQ_OQ), set1(1.0f));
  }
  // Horizontal reductions, fixed order (deterministic): halves added / maxed pairwise down to one lane.
  // The op kernels use reduce_add (= hsum) and reduce_max (_mm512_reduce_max_ps: the same pairs,
  // but the high half as the first operand, which can differ for +-0 and NaN).
  static float hsum(R v) {
    __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
  static float hmax(R v) {
    __m256 s8 = _mm256_max_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
  static float reduce_add(R v) { return hsum(v); }
  static float reduce_max(R v) { return _mm512_reduce_max_ps(v); }
  // int32 lanes.
  static I iset1(int32_t x) { return _mm512_set1_epi32(x); }
  static I iramp() { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
  static I iadd(I a, I b) { return _mm512_add_epi32(a, b); }
  static I isub(I a, I b) { return _mm512_sub_epi32(a, b); }
  static I imul(I a, I b) { return _mm512_mullo_epi32(a, b); }
  static I ixor(I a, I b) { return _mm512_xor_si512(a, b); }
  static I iand(I a, I b) { return _mm512_and_si512(a, b); }
  static I ior(I a, I b) { return _mm512_or_si512(a, b); }
  template <int S> static I isrl(I a) { return _mm512_srli_epi32(a, S); }
  template <int S> static I isra(I a) { return _mm512_srai_epi32(a, S); }
  template <int S> static I isll(I a) { return _mm512_slli_epi32(a, S); }
  static I isrlv(I a, I s) { return _mm512_srlv_epi32(a, s); }
  static M igt(I a, I b) { return _mm512_cmpgt_epi32_mask(a, b); }
  static I cvt_round(R a) { return _mm512_cvtps_epi32(a); }  // nearest-even
  static R cvt_f(I a) { return _mm512_cvtepi32_ps(a); }
  static I bits(R a) { return _mm512_castps_si512(a); }
  static R from_bits(I a) { return _mm512_castsi512_ps(a); }
  static void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }
};

}  // namespace
}  // namespace simd
}  // namespace kd
