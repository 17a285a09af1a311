// 8-lane float32 vector for AVX2 + FMA: the one vector type of the avx2 kernels, both the loss
// kernels (generic/*_impl.h, which also need generic/lane1.h's interface: exp/log, pos_or_zero, ...)
// and the training ops (generic/*_impl.h too). Include only from -mavx2 -mfma files.
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
  // exp: 1. clamp to [-87.34, 88.38]; 2. n = round(x log2 e), r = x - n ln2 (two-part ln2);
  // 3. degree-6 polynomial (Cephes expf); 4. scale by 2^n built in the exponent bits (n <= 127);
  // 5. x < -87.34 (incl. -inf) gives 0.
  static R exp(R x) {
    const R under = _mm256_cmp_ps(x, set1(-87.33654f), _CMP_LT_OQ);
    x = min(max(x, set1(-87.33654f)), set1(88.3762626647949f));
    R n = round(mul(x, set1(1.44269504088896341f)));
    n = min(n, set1(127.0f));
    R r = _mm256_fnmadd_ps(n, set1(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, set1(-2.12194440e-4f), r);
    R y = set1(1.9875691500e-4f);
    y = fma(y, r, set1(1.3981999507e-3f));
    y = fma(y, r, set1(8.3334519073e-3f));
    y = fma(y, r, set1(4.1665795894e-2f));
    y = fma(y, r, set1(1.6666665459e-1f));
    y = fma(y, r, set1(5.0000001201e-1f));
    y = fma(y, mul(r, r), add(r, set1(1.0f)));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    y = mul(y, _mm256_castsi256_ps(e));
    return _mm256_andnot_ps(under, y);
  }
  // log (Cephes logf): x = m 2^e, m in [sqrt(1/2), sqrt(2)); polynomial in m - 1.
  // 0 -> -inf, x < 0 or NaN -> NaN, +inf -> +inf; denormals are treated as FLT_MIN.
  static R log(R x0) {
    R x = max(x0, _mm256_castsi256_ps(_mm256_set1_epi32(0x00800000)));
    __m256i xi = _mm256_castps_si256(x);
    R e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(xi, 23), _mm256_set1_epi32(126)));
    x = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(xi, _mm256_set1_epi32(0x007fffff)),
                                            _mm256_set1_epi32(0x3f000000)));  // m in [0.5, 1)
    const R small = _mm256_cmp_ps(x, set1(0.707106781186547524f), _CMP_LT_OQ);
    e = sub(e, _mm256_and_ps(small, set1(1.0f)));
    x = add(sub(x, set1(1.0f)), _mm256_and_ps(small, x));
    const R z = mul(x, x);
    R y = set1(7.0376836292e-2f);
    y = fma(y, x, set1(-1.1514610310e-1f));
    y = fma(y, x, set1(1.1676998740e-1f));
    y = fma(y, x, set1(-1.2420140846e-1f));
    y = fma(y, x, set1(1.4249322787e-1f));
    y = fma(y, x, set1(-1.6668057665e-1f));
    y = fma(y, x, set1(2.0000714765e-1f));
    y = fma(y, x, set1(-2.4999993993e-1f));
    y = fma(y, x, set1(3.3333331174e-1f));
    y = mul(mul(y, x), z);
    y = fma(e, set1(-2.12194440e-4f), y);
    y = fma(z, set1(-0.5f), y);
    x = add(x, y);
    x = fma(e, set1(0.693359375f), x);
    // Special values.
    x = _mm256_blendv_ps(x, set1(-__builtin_inff()), _mm256_cmp_ps(x0, zero(), _CMP_EQ_OQ));
    x = _mm256_blendv_ps(x, x0, _mm256_cmp_ps(x0, set1(__builtin_inff()), _CMP_EQ_OQ));
    x = _mm256_blendv_ps(x, set1(__builtin_nanf("")), _mm256_cmp_ps(x0, zero(), _CMP_NGE_UQ));
    return x;
  }
  static void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }
};

}  // namespace
}  // namespace simd
}  // namespace kd
