// 16-lane float32 vector for AVX-512 (F/BW/DQ/VL), with Cephes-style exp/log. Same interface as
// generic/lane1.h. Include only from files compiled with the AVX-512 flags.
#pragma once
#include <immintrin.h>

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

struct Avx512 {
  using R = __m512;
  static constexpr int N = 16;
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
  static R pos_or_zero(R p, R v) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(p, zero(), _CMP_GT_OQ), v);
  }
  static R is_neg_inf(R x) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, set1(-__builtin_inff()), _CMP_EQ_OQ), set1(1.0f));
  }
  // Fixed-order horizontal reductions (deterministic).
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
  // exp: same steps as Avx2::exp.
  static R exp(R x) {
    const __mmask16 under = _mm512_cmp_ps_mask(x, set1(-87.33654f), _CMP_LT_OQ);
    x = min(max(x, set1(-87.33654f)), set1(88.3762626647949f));
    R n = _mm512_roundscale_ps(mul(x, set1(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    n = min(n, set1(127.0f));
    R r = _mm512_fnmadd_ps(n, set1(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, set1(-2.12194440e-4f), r);
    R y = set1(1.9875691500e-4f);
    y = fma(y, r, set1(1.3981999507e-3f));
    y = fma(y, r, set1(8.3334519073e-3f));
    y = fma(y, r, set1(4.1665795894e-2f));
    y = fma(y, r, set1(1.6666665459e-1f));
    y = fma(y, r, set1(5.0000001201e-1f));
    y = fma(y, mul(r, r), add(r, set1(1.0f)));
    y = _mm512_scalef_ps(y, n);  // y * 2^n
    return _mm512_mask_mov_ps(y, under, zero());
  }
  // log: same steps as Avx2::log.
  static R log(R x0) {
    R x = max(x0, _mm512_castsi512_ps(_mm512_set1_epi32(0x00800000)));
    __m512i xi = _mm512_castps_si512(x);
    R e = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_srli_epi32(xi, 23), _mm512_set1_epi32(126)));
    x = _mm512_castsi512_ps(_mm512_or_si512(_mm512_and_si512(xi, _mm512_set1_epi32(0x007fffff)),
                                            _mm512_set1_epi32(0x3f000000)));
    const __mmask16 small = _mm512_cmp_ps_mask(x, set1(0.707106781186547524f), _CMP_LT_OQ);
    e = _mm512_mask_sub_ps(e, small, e, set1(1.0f));
    x = _mm512_mask_add_ps(sub(x, set1(1.0f)), small, sub(x, set1(1.0f)), x);
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
    x = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x0, zero(), _CMP_EQ_OQ), set1(-__builtin_inff()));
    x = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x0, set1(__builtin_inff()), _CMP_EQ_OQ), x0);
    x = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x0, zero(), _CMP_NGE_UQ), set1(__builtin_nanf("")));
    return x;
  }
  static void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }
};

}  // namespace
}  // namespace simd
}  // namespace kd
