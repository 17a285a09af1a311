// The SIMD math library: exp and log written once over the ISA vector type V (avx2/vec_avx2.h,
// avx512/vec_avx512.h, neon/vec_neon.h; each keeps only primitive operations), used by the loss
// kernels (generic/*_impl.h) and the training ops (ops_simd.h) alike.
//
//   exp_flush<V>(x)      exp, with every result below FLT_MIN (x < -87.33654) flushed to 0. The loss
//                        kernels' exp: a probability under 1e-38 counts as exactly 0 (the scalar
//                        references flush at the same point).
//   exp2_flush<V>(x)     2^x, flushed to 0 below x = -126.5 (-inf included; x in [-126.5, -126) gives
//                        the subnormal 2^x): exp_flush(y) ~ exp2_flush(y log2 e) for a caller that
//                        folds log2 e into its own scale (the loss kernels' row exps: 11 operations
//                        against exp_flush's 20). Needs x <= 127.
//   exp_subnormal<V>(x)  exp, with subnormal results kept down to x = -103.97 and +inf above 88.72:
//                        tensor.exp() and softmax, which must agree with Math.exp there.
//   vlog<V>(x)           log, subnormal inputs included; log(0) = -inf, log(x < 0) = NaN, log(inf) = inf.
//
// NaN in gives NaN out in all three. The clamps rely on one property of V::max / V::min: when an
// operand is NaN they return NaN or their second operand (x86 maxps/minps return the second, NEON
// fmax/fmin and Lane1 return NaN), so a clamp written max(bound, x) lets a NaN x through.
#pragma once

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

constexpr double kLog2e = 1.44269504088896341;  // log2(e): exp(x) = exp2(x kLog2e)
constexpr float kLn2 = 0.693147180559945309f;    // ln(2): a sum in log2 units times kLn2 is in natural units

// exp(x) = 2^n exp(r): n = round(x log2 e), r = x - n ln2 (ln2 in two parts, Cephes expf), exp(r)
// by a degree-6 polynomial (about 1 ulp). x must already be clamped to the range of the caller.
template <class V>
inline typename V::R exp_reduced(typename V::R x, typename V::R n) {
  using R = typename V::R;
  R r = V::fma(n, V::set1(-0.693359375f), x);
  r = V::fma(n, V::set1(2.12194440e-4f), r);
  R y = V::set1(1.9875691500e-4f);
  y = V::fma(y, r, V::set1(1.3981999507e-3f));
  y = V::fma(y, r, V::set1(8.3334519073e-3f));
  y = V::fma(y, r, V::set1(4.1665795894e-2f));
  y = V::fma(y, r, V::set1(1.6666665459e-1f));
  y = V::fma(y, r, V::set1(5.0000001201e-1f));
  return V::fma(y, V::mul(r, r), V::add(r, V::set1(1.0f)));
}

// 2^n for integer-valued n in [-126, 127], built in the exponent bits.
template <class V>
inline typename V::R pow2i(typename V::R n) {
  return V::from_bits(V::template isll<23>(V::iadd(V::cvt_round(n), V::iset1(127))));
}

template <class V>
inline typename V::R exp_flush(typename V::R x) {
  using R = typename V::R;
  const auto under = V::lt(x, V::set1(-87.33654f));  // -inf included; false for NaN
  const R xc = V::min(V::set1(88.3762626647949f), V::max(V::set1(-87.33654f), x));
  const R n = V::min(V::set1(127.0f), V::round(V::mul(xc, V::set1(1.44269504088896341f))));
  const R y = V::mul(exp_reduced<V>(xc, n), pow2i<V>(n));
  return V::select(under, V::zero(), y);
}

// 2^x = 2^n 2^r: n = round(x), r = x - n in [-1/2, 1/2] (exact), 2^r by a degree-5 polynomial
// (near-minimax, relative error 1.6e-7, about 1.3 ulp). x, clamped to >= -127, plus 1.5 2^23 + 127
// rounds x to an integer and leaves n + 127 in the low mantissa bits, which shifted into the
// exponent field make 2^n for n in [-126, 127] and exactly 0 for n = -127 (the flush: no compare,
// no select). The multiply by 2^n keeps NaN a NaN whatever its payload.
template <class V>
inline typename V::R exp2_flush(typename V::R x) {
  using R = typename V::R;
  const R magic = V::set1(12583039.0f);  // 1.5 * 2^23 + 127
  const R xc = V::max(V::set1(-127.0f), x);  // NaN stays NaN (see the top); -inf -> -127 -> 0
  const R t = V::add(xc, magic);
  const R r = V::sub(xc, V::sub(t, magic));
  R y = V::set1(1.32647273e-3f);
  y = V::fma(y, r, V::set1(9.67151299e-3f));
  y = V::fma(y, r, V::set1(5.55073358e-2f));
  y = V::fma(y, r, V::set1(2.40222424e-1f));
  y = V::fma(y, r, V::set1(6.93147004e-1f));
  y = V::fma(y, r, V::set1(1.0f));
  const R s = V::from_bits(V::template isll<23>(V::bits(t)));
  return V::mul(y, s);
}

template <class V>
inline typename V::R exp_subnormal(typename V::R x) {
  using R = typename V::R;
  const R xc = V::min(V::set1(89.0f), V::max(V::set1(-104.0f), x));
  const R n = V::round(V::mul(xc, V::set1(1.44269504088896341f)));
  // 2^n as 2^(n/2) 2^(n - n/2), so that subnormal and overflowing results come out right.
  const auto ni = V::cvt_round(n);
  const auto n1 = V::template isra<1>(ni);
  const R s1 = V::from_bits(V::template isll<23>(V::iadd(n1, V::iset1(127))));
  const R s2 = V::from_bits(V::template isll<23>(V::iadd(V::isub(ni, n1), V::iset1(127))));
  return V::mul(V::mul(exp_reduced<V>(xc, n), s1), s2);
}

// log(x), Cephes logf (about 1 ulp): 1. x = 2^e m, m in [sqrt(1/2), sqrt(2)) (subnormals scaled by
// 2^23 first); 2. log(m) by a degree-9 polynomial in m - 1; 3. + e ln2 (ln2 in two parts).
template <class V>
inline typename V::R vlog(typename V::R x) {
  using R = typename V::R;
  const auto sub = V::lt(x, V::set1(1.17549435e-38f));
  const R xs = V::select(sub, V::mul(x, V::set1(8388608.0f)), x);
  const auto b = V::bits(xs);
  R e = V::cvt_f(V::isub(V::template isrl<23>(b), V::iset1(126)));
  e = V::sub(e, V::mask_and(sub, V::set1(23.0f)));
  R m = V::from_bits(V::ior(V::iand(b, V::iset1(0x007fffff)), V::iset1(0x3f000000)));
  const auto small = V::lt(m, V::set1(0.707106781186547524f));
  e = V::sub(e, V::mask_and(small, V::set1(1.0f)));
  m = V::add(V::sub(m, V::set1(1.0f)), V::mask_and(small, m));
  const R z = V::mul(m, m);
  R p = V::set1(7.0376836292e-2f);
  p = V::fma(p, m, V::set1(-1.1514610310e-1f));
  p = V::fma(p, m, V::set1(1.1676998740e-1f));
  p = V::fma(p, m, V::set1(-1.2420140846e-1f));
  p = V::fma(p, m, V::set1(1.4249322787e-1f));
  p = V::fma(p, m, V::set1(-1.6668057665e-1f));
  p = V::fma(p, m, V::set1(2.0000714765e-1f));
  p = V::fma(p, m, V::set1(-2.4999993993e-1f));
  p = V::fma(p, m, V::set1(3.3333331174e-1f));
  R y = V::mul(V::mul(p, m), z);
  y = V::fma(e, V::set1(-2.12194440e-4f), y);
  y = V::fma(z, V::set1(-0.5f), y);
  R res = V::fma(e, V::set1(0.693359375f), V::add(m, y));
  // Special values: +inf, then x <= 0 or NaN, then +-0.
  res = V::select(V::gt(x, V::set1(3.40282347e38f)), x, res);
  res = V::select(V::gt(x, V::zero()), res, V::set1(__builtin_nanf("")));
  return V::select(V::lt(V::abs(x), V::set1(1.401298464e-45f)), V::set1(-__builtin_inff()), res);
}

}  // namespace
}  // namespace simd
}  // namespace kd
