// exp and log over the ISA vector type V (the training ops' unary exp / log and softmax):
// Cephes polynomials, about 1 ulp, subnormal results kept (the loss kernels' V::exp flushes below
// -87.3 instead). The one place to change the op kernels' exp / log.
#pragma once
#include <cmath>
#include <cstdint>

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

/**
 * exp(x), Cephes expf polynomial (about 1 ulp): 1. x = n ln2 + r, |r| <= ln2/2 (ln2 split in two);
 * 2. exp(r) by a degree-6 polynomial; 3. times 2^n applied as 2^(n/2) 2^(n - n/2), so results
 * that are subnormal or overflow come out right. exp(-inf) = 0, exp(inf) = inf, NaN stays NaN.
 */
template <class V>
inline typename V::R vexp(typename V::R x) {
  using F = typename V::R;
  using I = typename V::I;
  F xc = V::min(V::max(x, V::set1(-104.0f)), V::set1(89.0f));
  F n = V::round(V::mul(xc, V::set1(1.44269504088896341f)));
  F r = V::fma(n, V::set1(-0.693359375f), xc);
  r = V::fma(n, V::set1(2.12194440e-4f), r);
  F p = V::set1(1.9875691500e-4f);
  p = V::fma(p, r, V::set1(1.3981999507e-3f));
  p = V::fma(p, r, V::set1(8.3334519073e-3f));
  p = V::fma(p, r, V::set1(4.1665795894e-2f));
  p = V::fma(p, r, V::set1(1.6666665459e-1f));
  p = V::fma(p, r, V::set1(5.0000001201e-1f));
  F y = V::fma(V::mul(p, r), r, V::add(r, V::set1(1.0f)));
  I ni = V::cvt_round(n);
  I n1 = V::template isra<1>(ni);
  I n2 = V::isub(ni, n1);
  F s1 = V::from_bits(V::template isll<23>(V::iadd(n1, V::iset1(127))));
  F s2 = V::from_bits(V::template isll<23>(V::iadd(n2, V::iset1(127))));
  y = V::mul(V::mul(y, s1), s2);
  return V::select(V::isnan(x), x, y);
}

/**
 * log(x), Cephes logf (about 1 ulp): 1. x = 2^e m, m in [sqrt(1/2), sqrt(2)) (subnormals scaled by
 * 2^23 first); 2. log(m) by a degree-9 polynomial in m - 1; 3. + e ln2 (split in two).
 * log(0) = -inf, log(x < 0) = NaN, log(inf) = inf, NaN stays NaN.
 */
template <class V>
inline typename V::R vlog(typename V::R x) {
  using F = typename V::R;
  using I = typename V::I;
  using M = typename V::M;
  M sub = V::lt(x, V::set1(1.17549435e-38f));
  F xs = V::select(sub, V::mul(x, V::set1(8388608.0f)), x);
  I b = V::bits(xs);
  F ef = V::cvt_f(V::isub(V::template isrl<23>(b), V::iset1(126)));
  ef = V::sub(ef, V::mask_and(sub, V::set1(23.0f)));
  F m = V::from_bits(V::ior(V::iand(b, V::iset1(0x007fffff)), V::iset1(0x3f000000)));
  M small = V::lt(m, V::set1(0.707106781186547524f));
  ef = V::sub(ef, V::mask_and(small, V::set1(1.0f)));
  F t = V::mask_and(small, m);
  m = V::add(V::sub(m, V::set1(1.0f)), t);
  F z = V::mul(m, m);
  F p = V::set1(7.0376836292e-2f);
  p = V::fma(p, m, V::set1(-1.1514610310e-1f));
  p = V::fma(p, m, V::set1(1.1676998740e-1f));
  p = V::fma(p, m, V::set1(-1.2420140846e-1f));
  p = V::fma(p, m, V::set1(1.4249322787e-1f));
  p = V::fma(p, m, V::set1(-1.6668057665e-1f));
  p = V::fma(p, m, V::set1(2.0000714765e-1f));
  p = V::fma(p, m, V::set1(-2.4999993993e-1f));
  p = V::fma(p, m, V::set1(3.3333331174e-1f));
  F y = V::mul(V::mul(p, m), z);
  y = V::fma(ef, V::set1(-2.12194440e-4f), y);
  y = V::fma(z, V::set1(-0.5f), y);
  F res = V::add(m, y);
  res = V::fma(ef, V::set1(0.693359375f), res);
  // Special values.
  const float inf = INFINITY;
  res = V::select(V::gt(x, V::set1(3.40282347e38f)), x, res);                        // +inf
  res = V::select(V::gt(x, V::zero()), res, V::set1(NAN));                           // x <= 0, NaN
  res = V::select(V::lt(V::abs(x), V::set1(1.401298464e-45f)), V::set1(-inf), res);  // +-0
  return res;
}

}  // namespace
}  // namespace simd
}  // namespace kd
