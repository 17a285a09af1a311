// The training-op kernels' tests (kernel_tests.h): an ISA variant against the scalar reference,
// compared in double precision over sizes that hit every vector tail (1 .. 2*16*2+1, 41, 1271) and
// GEMM / conv shapes that are not multiples of the block sizes; splits of a range (as the thread
// pool hands them out) must not change a bit.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernel_tests.h"

namespace {

int failures = 0;
std::mt19937 rng(12345);

std::vector<float> randv(size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

bool same_bits_or_nan(float a, float b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::memcmp(&a, &b, sizeof a) == 0 || (a == 0 && b == 0);
}

/** |got - want| <= atol + rtol * |want| (+ mag-scaled atol when mag is given); NaN/inf must match. */
bool close(double got, double want, double atol, double rtol) {
  if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got);
  if (std::isinf(want) || std::isinf(got)) return got == want;
  return std::fabs(got - want) <= atol + rtol * std::fabs(want);
}

void report(bool ok, const std::string& what) {
  if (!ok) {
    failures++;
    if (failures < 40) std::printf("FAIL %s\n", what.c_str());
  }
}

template <class T>
std::string fmt(const char* f, T a) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, a);
  return buf;
}

void compare(const std::string& what, const std::vector<float>& got, const std::vector<float>& want, double atol,
             double rtol, const std::vector<float>* mag = nullptr, double magTol = 0) {
  bool ok = got.size() == want.size();
  size_t bad = 0;
  for (size_t i = 0; ok && i < got.size(); i++) {
    const double a = atol + (mag ? magTol * (*mag)[i] : 0.0);
    if (!close(got[i], want[i], a, rtol)) {
      ok = false;
      bad = i;
    }
  }
  if (!ok && bad < got.size())
    std::printf("  %s: [%zu] got %.9g want %.9g\n", what.c_str(), bad, got[bad], want[bad]);
  report(ok, what);
}

void compare_exact(const std::string& what, const std::vector<float>& got, const std::vector<float>& want) {
  bool ok = got.size() == want.size();
  for (size_t i = 0; ok && i < got.size(); i++)
    if (!same_bits_or_nan(got[i], want[i])) {
      std::printf("  %s: [%zu] got %.9g want %.9g\n", what.c_str(), i, got[i], want[i]);
      ok = false;
    }
  report(ok, what);
}

std::vector<int64_t> tail_sizes() {
  std::vector<int64_t> s;
  for (int64_t i = 1; i <= 65; i++) s.push_back(i);
  s.push_back(41 * 3);
  s.push_back(1271);
  return s;
}

std::vector<float> absv(const std::vector<float>& v) {
  std::vector<float> r(v.size());
  for (size_t i = 0; i < v.size(); i++) r[i] = std::fabs(v[i]);
  return r;
}

// Inputs of the unary, affine and add-in-place tests: [-20, 20) with exp / log edge values.
std::vector<float> unary_input(int64_t n) {
  auto x = randv((size_t)n, -20.0f, 20.0f);
  const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-40f, -1e-40f, 88.7f, 89.5f, -87.5f,
                            -103.0f, -110.0f, 1.0f, 3.4e38f, 1.17549435e-38f};
  for (size_t i = 0; i < sizeof specials / sizeof specials[0] && i < (size_t)n; i++) x[(i * 7) % n] = specials[i];
  return x;
}

// Every (rows, cols) of the reduction / softmax / transpose tests.
template <class Fn>
void for_each_shape(Fn fn) {
  for (int64_t cols : tail_sizes())
    for (int64_t rows : {(int64_t)1, (int64_t)3, (int64_t)70}) fn(rows, cols);
}

// softmax / log-softmax inputs, with masked (-inf) logits in some rows.
std::vector<float> softmax_input(int64_t rows, int64_t cols) {
  auto xs = randv((size_t)(rows * cols), -8.0f, 8.0f);
  if (cols > 2) xs[1] = -INFINITY;
  if (rows > 2 && cols > 5) xs[(size_t)(2 * cols + 4)] = -INFINITY;
  return xs;
}

// Every max-pooling case: shapes with ties (0.25 every 5th input) and one NaN.
template <class Fn>
void for_each_pool(Fn fn) {
  const int64_t shapes[][5] = {{1, 1, 4, 4, 2}, {2, 3, 7, 9, 2}, {1, 2, 5, 5, 3}, {2, 1, 13, 11, 3}, {1, 3, 8, 8, 1}};
  for (auto& sh : shapes)
    for (int64_t stride : {(int64_t)1, (int64_t)2, sh[4]}) {
      kd::PoolShape s{sh[0], sh[1], sh[2], sh[3], sh[4], stride, (sh[2] - sh[4]) / stride + 1, (sh[3] - sh[4]) / stride + 1};
      const int64_t in = s.n * s.c * s.h * s.w, out = s.n * s.c * s.h_out * s.w_out;
      auto x = randv((size_t)in);
      for (int64_t i = 0; i < in; i += 5) x[(size_t)i] = 0.25f;  // ties
      x[(size_t)(in / 2)] = NAN;
      fn(s, x);
    }
}

// One convolution case: shape, random x, w, bias, g, their absolute values (error scales), a name.
struct ConvCase {
  kd::ConvShape s;
  int64_t xin, wn, yn;
  std::vector<float> x, w, bias, g, ax, aw, ag, ab;
  std::string name;
};
template <class Fn>
void for_each_conv(const kd::KernelTable& T, Fn fn) {
  // n, cIn, h, w, cOut, kh, kw, stride, padding, groups
  const int64_t kConvShapes[][10] = {
      {2, 3, 9, 11, 5, 3, 3, 1, 1, 1},   {1, 4, 8, 8, 6, 3, 3, 2, 1, 2},   {2, 6, 7, 7, 6, 3, 3, 1, 1, 6},
      {3, 8, 10, 9, 8, 3, 3, 2, 1, 8},   {2, 5, 6, 7, 7, 1, 1, 1, 0, 1},   {1, 3, 12, 12, 4, 5, 5, 2, 2, 1},
      {2, 4, 5, 5, 8, 3, 3, 1, 0, 4},    {1, 16, 14, 14, 32, 3, 3, 1, 1, 1}, {2, 1, 28, 28, 6, 5, 5, 1, 2, 1},
      {1, 6, 9, 9, 12, 3, 3, 1, 1, 6},   {1, 2, 3, 3, 3, 3, 3, 1, 0, 1},   {2, 10, 6, 6, 20, 1, 1, 2, 0, 2},
      {1, 3, 33, 17, 7, 3, 2, 3, 1, 1},  {2, 4, 6, 11, 4, 2, 3, 1, 2, 4},   {1, 3, 20, 37, 3, 5, 5, 1, 0, 3},
      {2, 2, 9, 19, 6, 3, 3, 1, 1, 2},   {2, 1, 28, 28, 32, 3, 3, 1, 1, 1}, {2, 32, 14, 14, 64, 3, 3, 1, 1, 1},
  };

  for (auto& sh : kConvShapes) {
    ConvCase c;
    kd::ConvShape& s = c.s;
    s = {sh[0], sh[1], sh[2], sh[3], sh[4], sh[5], sh[6], sh[7], sh[8], sh[9], 0, 0};
    s.h_out = (s.h + 2 * s.padding - s.kh) / s.stride + 1;
    s.w_out = (s.w + 2 * s.padding - s.kw) / s.stride + 1;
    c.xin = s.n * s.c_in * s.h * s.w, c.wn = s.c_out * (s.c_in / s.groups) * s.kh * s.kw;
    c.yn = s.n * s.c_out * s.h_out * s.w_out;
    c.x = randv((size_t)c.xin), c.w = randv((size_t)c.wn), c.bias = randv((size_t)s.c_out), c.g = randv((size_t)c.yn);
    c.ax = absv(c.x), c.aw = absv(c.w), c.ag = absv(c.g), c.ab = absv(c.bias);
    char nm[200];
    std::snprintf(nm, sizeof nm, "%s conv n%lld c%lld h%lld w%lld o%lld k%lldx%lld s%lld p%lld g%lld", kd::isa_name(T.isa),
                  (long long)s.n, (long long)s.c_in, (long long)s.h, (long long)s.w, (long long)s.c_out,
                  (long long)s.kh, (long long)s.kw, (long long)s.stride, (long long)s.padding, (long long)s.groups);
    c.name = nm;
    fn(c);
  }
}

uint32_t pcg_ref(uint32_t x) {
  const uint32_t state = x * 747796405u + 2891336453u;
  const uint32_t word = ((state >> ((state >> 28) + 4u)) ^ state) * 277803737u;
  return (word >> 22) ^ word;
}

}  // namespace

// ---- GEMM ---------------------------------------------------------------------------------------

int test_gemm(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  const char* q = std::getenv("KD_TEST_QUICK");
  const bool quick = q && q[0] == '1';
  const int64_t dims[] = {1, 2, 5, 6, 7, 8, 9, 13, 16, 17, 31, 33, 47, 97, 130, 257, 300};
  int count = 0;
  for (int64_t m : dims)
    for (int64_t n : dims)
      for (int64_t k : dims) {
        // A subset of the cube, always including the big odd shapes.
        if (((m * 7 + n * 13 + k * 3) % 5) != 0 && !(m >= 257 || n >= 257 || k >= 257)) continue;
        if (m * n * k > 6000000) continue;
        // KD_TEST_QUICK=1 (the qemu run in .ci/arm.sh): a fifth of the shapes, still every edge kind.
        if (quick && (m * 3 + n * 5 + k) % 5 != 0) continue;
        for (int t = 0; t < 8; t++) {
          const bool ta = t & 1, tb = t & 2, acc = t & 4;
          auto A = randv((size_t)(m * k)), B = randv((size_t)(k * n)), C0 = randv((size_t)(m * n));
          auto absA = absv(A), absB = absv(B);
          std::vector<float> got = C0, want = C0, mag((size_t)(m * n), 0.0f);
          kd::GemmParams p{m, n, k, A.data(), ta ? 1 : k, ta ? m : 1, B.data(), tb ? 1 : n, tb ? k : 1,
                         got.data(), n, acc};
          T.gemm(p);
          kd::GemmParams q = p;
          q.c = want.data();
          S.gemm(q);
          kd::GemmParams r = p;
          r.a = absA.data();
          r.b = absB.data();
          r.c = mag.data();
          r.accumulate = false;
          S.gemm(r);
          if (acc)
            for (size_t i = 0; i < mag.size(); i++) mag[i] += std::fabs(C0[i]);
          char name[160];
          std::snprintf(name, sizeof name, "%s gemm m%lld n%lld k%lld ta%d tb%d acc%d", kd::isa_name(T.isa), (long long)m,
                        (long long)n, (long long)k, ta, tb, acc);
          compare(name, got, want, 1e-30, 0, &mag, 4e-6);
          // Splitting rows or columns (as the thread pool does) must not change a bit.
          if (m > 3 && n > 3) {
            std::vector<float> split = C0;
            const int64_t m1 = m / 3, m2 = (2 * m) / 3 + 1;
            const int64_t rows[4] = {0, m1, m2, m};
            for (int s = 0; s < 3; s++) {
              kd::GemmParams ps = p;
              ps.m = rows[s + 1] - rows[s];
              ps.a = A.data() + rows[s] * p.a_rs;
              ps.c = split.data() + rows[s] * n;
              T.gemm(ps);
            }
            compare_exact(std::string(name) + " row-split", split, got);
            split = C0;
            const int64_t n1 = n / 2 + 1;
            for (int s = 0; s < 2; s++) {
              kd::GemmParams ps = p;
              ps.n = s ? n - n1 : n1;
              ps.b = B.data() + (s ? n1 : 0) * p.b_cs;
              ps.c = split.data() + (s ? n1 : 0);
              T.gemm(ps);
            }
            compare_exact(std::string(name) + " col-split", split, got);
          }
          count++;
        }
      }
  std::printf("  %s gemm: %d shape/transpose cases\n", kd::isa_name(T.isa), count);
  return failures - before;
}

// ---- elementwise --------------------------------------------------------------------------------

int test_binary(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  const char* bnames[] = {"add", "sub", "mul", "div", "reluGrad", "max", "min"};
  for (int64_t cols : tail_sizes()) {
    const int64_t rows = cols > 100 ? 3 : 5;
    auto a = randv((size_t)(rows * cols)), b = randv((size_t)(rows * cols));
    if (cols > 3) {
      a[1] = NAN;
      b[2] = NAN;
      a[3] = 0.0f;
      b[3] = 0.0f;
    }
    // (a_rs, a_cs, b_rs, b_cs): contiguous, row vector, column vector, scalar, transposed gather.
    const int64_t pat[5][4] = {{cols, 1, cols, 1}, {cols, 1, 0, 1}, {0, 1, cols, 1}, {cols, 1, 0, 0}, {1, rows, 1, 0}};
    for (int op = 0; op < 7; op++)
      for (int pi = 0; pi < 5; pi++) {
        std::vector<float> got((size_t)(rows * cols)), want((size_t)(rows * cols));
        T.binary({(kd::BinaryOp)op, a.data(), pat[pi][0], pat[pi][1], b.data(), pat[pi][2], pat[pi][3], got.data(), cols, rows, cols});
        S.binary({(kd::BinaryOp)op, a.data(), pat[pi][0], pat[pi][1], b.data(), pat[pi][2], pat[pi][3], want.data(), cols, rows, cols});
        compare_exact(std::string(kd::isa_name(T.isa)) + " binary " + bnames[op] + fmt(" pattern %d", pi) + fmt(" cols %lld", (long long)cols),
                      got, want);
      }
  }
  return failures - before;
}

int test_unary(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  const char* unames[] = {"relu", "exp", "log", "neg", "square", "sqrt", "abs"};
  for (int64_t n : tail_sizes()) {
    const auto x = unary_input(n);
    auto xp = absv(x);
    for (int op = 0; op < 7; op++) {
      const std::vector<float>& in = (op == (int)kd::UnaryOp::Log || op == (int)kd::UnaryOp::Sqrt) && n % 2 ? xp : x;
      std::vector<float> got((size_t)n), want((size_t)n);
      T.unary({(kd::UnaryOp)op, in.data(), got.data(), n}, 0, n);
      S.unary({(kd::UnaryOp)op, in.data(), want.data(), n}, 0, n);
      const std::string name = std::string(kd::isa_name(T.isa)) + " unary " + unames[op] + fmt(" n %lld", (long long)n);
      if (op == (int)kd::UnaryOp::Exp) compare(name, got, want, 1e-44, 4e-7);
      else if (op == (int)kd::UnaryOp::Log) compare(name, got, want, 2e-7, 4e-7);
      else compare_exact(name, got, want);
    }
  }
  return failures - before;
}

int test_affine(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for (int64_t n : tail_sizes()) {
    const auto x = unary_input(n);
    std::vector<float> got((size_t)n), want((size_t)n);
    T.affine({x.data(), got.data(), n, 1.7f, -0.3f}, 0, n);
    S.affine({x.data(), want.data(), n, 1.7f, -0.3f}, 0, n);
    compare(std::string(kd::isa_name(T.isa)) + " affine" + fmt(" n %lld", (long long)n), got, want, 1e-6, 2e-7);
  }
  return failures - before;
}

int test_add_inplace(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for (int64_t n : tail_sizes()) {
    const auto x = unary_input(n);
    const auto y = randv((size_t)n);
    std::vector<float> got = x, want = x;
    T.add_inplace({got.data(), y.data(), n}, 0, n);
    S.add_inplace({want.data(), y.data(), n}, 0, n);
    compare_exact(std::string(kd::isa_name(T.isa)) + " addInPlace" + fmt(" n %lld", (long long)n), got, want);
  }
  return failures - before;
}

// ---- reductions, softmax, transpose -------------------------------------------------------------

int test_sum_rows(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for_each_shape([&](int64_t rows, int64_t cols) {
    auto x = randv((size_t)(rows * cols), -3.0f, 3.0f);
    const double tol = 1e-6 * (double)(rows > cols ? rows : cols);
    std::vector<float> got((size_t)cols), want((size_t)cols);
    T.sum_rows({x.data(), rows, cols, 0.5, got.data()}, 0, cols);
    S.sum_rows({x.data(), rows, cols, 0.5, want.data()}, 0, cols);
    compare(std::string(kd::isa_name(T.isa)) + fmt(" sum rows cols %lld", (long long)cols) + fmt(" rows %lld", (long long)rows), got,
            want, tol, 1e-6);
  });
  return failures - before;
}

int test_sum_cols(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for_each_shape([&](int64_t rows, int64_t cols) {
    auto x = randv((size_t)(rows * cols), -3.0f, 3.0f);
    const double tol = 1e-6 * (double)(rows > cols ? rows : cols);
    std::vector<float> got((size_t)rows), want((size_t)rows);
    T.sum_cols({x.data(), rows, cols, 2.0, got.data()}, 0, rows);
    S.sum_cols({x.data(), rows, cols, 2.0, want.data()}, 0, rows);
    compare(std::string(kd::isa_name(T.isa)) + fmt(" sum cols cols %lld", (long long)cols) + fmt(" rows %lld", (long long)rows), got,
            want, 4 * tol, 1e-6);
  });
  return failures - before;
}

int test_sum_all(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for_each_shape([&](int64_t rows, int64_t cols) {
    auto x = randv((size_t)(rows * cols), -3.0f, 3.0f);
    const double sa = T.sum_all({x.data(), rows, cols, 1.0, nullptr}, 0, rows * cols), sb = S.sum_all({x.data(), rows, cols, 1.0, nullptr}, 0, rows * cols);
    report(close(sa, sb, 1e-5 * std::sqrt((double)(rows * cols)), 1e-6),
           std::string(kd::isa_name(T.isa)) + fmt(" sum all %lld", (long long)(rows * cols)));
  });
  return failures - before;
}

int test_softmax(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for_each_shape([&](int64_t rows, int64_t cols) {
    const auto xs = softmax_input(rows, cols);
    for (int log = 0; log < 2; log++) {
      std::vector<float> y1((size_t)(rows * cols)), y0((size_t)(rows * cols));
      T.softmax({xs.data(), y1.data(), rows, cols, log == 1}, 0, rows);
      S.softmax({xs.data(), y0.data(), rows, cols, log == 1}, 0, rows);
      compare(std::string(kd::isa_name(T.isa)) + (log ? " logSoftmax" : " softmax") + fmt(" cols %lld", (long long)cols) +
                  fmt(" rows %lld", (long long)rows),
              y1, y0, 2e-7, 2e-6);
    }
  });
  // All -inf row: NaN, as in PyTorch.
  std::vector<float> x(5, -INFINITY), y(5);
  T.softmax({x.data(), y.data(), 1, 5, false}, 0, 1);
  report(std::isnan(y[0]) && std::isnan(y[4]), std::string(kd::isa_name(T.isa)) + " softmax all -inf row is NaN");
  return failures - before;
}

int test_softmax_backward(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for_each_shape([&](int64_t rows, int64_t cols) {
    const auto xs = softmax_input(rows, cols);
    for (int log = 0; log < 2; log++) {
      std::vector<float> y0((size_t)(rows * cols));
      S.softmax({xs.data(), y0.data(), rows, cols, log == 1}, 0, rows);
      auto g = randv((size_t)(rows * cols));
      std::vector<float> d1((size_t)(rows * cols)), d0((size_t)(rows * cols));
      // Backward from the reference forward, so both read the same y.
      std::vector<float> yFinite = y0;
      if (log)
        for (auto& v : yFinite) v = std::isinf(v) ? -50.0f : v;
      T.softmax_backward({yFinite.data(), g.data(), d1.data(), rows, cols, log == 1}, 0, rows);
      S.softmax_backward({yFinite.data(), g.data(), d0.data(), rows, cols, log == 1}, 0, rows);
      compare(std::string(kd::isa_name(T.isa)) + (log ? " logSoftmax bwd" : " softmax bwd") + fmt(" cols %lld", (long long)cols) +
                  fmt(" rows %lld", (long long)rows),
              d1, d0, 1e-6 * std::sqrt((double)cols), 2e-6);
    }
  });
  return failures - before;
}

int test_transpose(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for_each_shape([&](int64_t rows, int64_t cols) {
    auto x = randv((size_t)(rows * cols), -3.0f, 3.0f);
    std::vector<float> t1((size_t)(rows * cols)), t0((size_t)(rows * cols));
    T.transpose({x.data(), rows, cols, t1.data()}, 0, rows);
    S.transpose({x.data(), rows, cols, t0.data()}, 0, rows);
    compare_exact(std::string(kd::isa_name(T.isa)) + fmt(" transpose cols %lld", (long long)cols) + fmt(" rows %lld", (long long)rows),
                  t1, t0);
  });
  return failures - before;
}

// ---- dropout ------------------------------------------------------------------------------------

int test_dropout(const kd::KernelTable& T, const kd::KernelTable&) {
  const int before = failures;
  const double ps[] = {0.0, 1e-9, 0.1, 1.0 / 3.0, 0.5, 0.9, 0.99999999, 1.0};
  const uint32_t seeds[] = {0u, 1u, 42u, 0xffffffffu, 123456789u};
  for (int64_t n : tail_sizes())
    for (double p : ps)
      for (uint32_t seed : seeds) {
        auto x = randv((size_t)n);
        const uint32_t threshold = (uint32_t)std::ceil(p * 16777216.0);
        const float keep = p < 1 ? (float)(1.0 / (1.0 - p)) : 0.0f;
        const int64_t i0 = seed == 42u ? 100003 : 0;  // an offset chunk, as the thread pool hands out
        std::vector<float> xa((size_t)(i0 + n)), ya((size_t)(i0 + n)), ma((size_t)(i0 + n));
        std::copy(x.begin(), x.end(), xa.begin() + i0);
        T.dropout({xa.data(), ya.data(), ma.data(), i0 + n, seed, threshold, keep}, i0, i0 + n);
        const std::vector<float> y(ya.begin() + i0, ya.end()), mask(ma.begin() + i0, ma.end());
        std::vector<float> yw((size_t)n), mw((size_t)n);
        // Independent reference: hashUniform(seed, i) >= p in double, exactly as src/kernels/rng.ts.
        for (int64_t i = 0; i < n; i++) {
          const double u = (double)(pcg_ref(pcg_ref(seed) + (uint32_t)(i0 + i)) >> 8) * 5.9604644775390625e-8;
          mw[(size_t)i] = u >= p ? keep : 0.0f;
          yw[(size_t)i] = x[(size_t)i] * mw[(size_t)i];
        }
        compare_exact(std::string(kd::isa_name(T.isa)) + " dropout mask" + fmt(" n %lld", (long long)n) + fmt(" p %g", p), mask, mw);
        compare_exact(std::string(kd::isa_name(T.isa)) + " dropout y" + fmt(" n %lld", (long long)n) + fmt(" p %g", p), y, yw);
      }
  return failures - before;
}

// ---- fake quantisation --------------------------------------------------------------------------

// Variant against scalar, bit for bit: random values over the clamp range and beyond, exact ties
// (k + 0.5) * scale, NaN and +-inf, at every tail size and an offset chunk; int8, uint8 with a zero
// point and a narrow range.
int test_fake_quantize(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  struct Q { float scale, zp, qmin, qmax; };
  const Q qs[] = {{0.05f, 0, -128, 127}, {0.1f, 3, 0, 255}, {1.0f, 0, -127, 127}, {0.013f, -2, -4, 3}};
  for (int64_t n : tail_sizes())
    for (const Q& q : qs) {
      auto x = randv((size_t)n, -10.0f, 10.0f);
      for (int64_t i = 0; i < n; i += 3) x[(size_t)i] = (std::floor(x[(size_t)i] / q.scale) + 0.5f) * q.scale;
      if (n > 5) {
        x[1] = NAN;
        x[2] = INFINITY;
        x[4] = -INFINITY;
      }
      const int64_t i0 = q.zp == 3 ? 100003 : 0;  // an offset chunk, as the thread pool hands out
      std::vector<float> xa((size_t)(i0 + n)), y1((size_t)(i0 + n)), m1((size_t)(i0 + n)), y0(y1), m0(m1);
      std::copy(x.begin(), x.end(), xa.begin() + i0);
      const kd::FakeQuantizeParams p1{xa.data(), y1.data(), m1.data(), i0 + n, q.scale, 1.0f / q.scale, q.zp, q.qmin, q.qmax};
      kd::FakeQuantizeParams p0 = p1;
      p0.y = y0.data();
      p0.mask = m0.data();
      T.fake_quantize(p1, i0, i0 + n);
      S.fake_quantize(p0, i0, i0 + n);
      const std::string what = std::string(kd::isa_name(T.isa)) + " fake_quantize" + fmt(" n %lld", (long long)n) + fmt(" scale %g", q.scale);
      compare_exact(what + " y", y1, y0);
      compare_exact(what + " mask", m1, m0);
    }
  return failures - before;
}

// ---- optimisers ---------------------------------------------------------------------------------

int test_sgd(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for (int64_t n : tail_sizes()) {
    for (int variant = 0; variant < 6; variant++) {
      kd::SgdParams sp{nullptr, nullptr, nullptr, n, 0.05, variant % 3 == 0 ? 0.0 : 0.9, variant == 2 ? 0.1 : 0.0, variant >= 3 ? 1e-2 : 0.0,
                     variant == 4, variant != 5};
      auto p1 = randv((size_t)n), g = randv((size_t)n), b1 = randv((size_t)n);
      auto p0 = p1, b0 = b1;
      auto run = [&](const kd::KernelTable& K, std::vector<float>& param, std::vector<float>& buf) {
        kd::SgdParams q = sp;
        q.param = param.data();
        q.grad = g.data();
        q.momentum_buf = buf.data();
        K.sgd(q, 0, n);
      };
      run(T, p1, b1);
      run(S, p0, b0);
      compare(std::string(kd::isa_name(T.isa)) + fmt(" sgd variant %d", variant) + fmt(" n %lld", (long long)n), p1, p0, 2e-7, 1e-6);
      compare(std::string(kd::isa_name(T.isa)) + fmt(" sgd buf variant %d", variant) + fmt(" n %lld", (long long)n), b1, b0, 2e-7,
              1e-6);
    }
  }
  return failures - before;
}

int test_adam(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for (int64_t n : tail_sizes()) {
    for (int variant = 0; variant < 4; variant++) {
      kd::AdamParams ap{nullptr, nullptr, nullptr, nullptr, n, 1e-3, 0.9, 0.999, 1e-8, variant >= 2 ? 1e-2 : 0.0, variant == 3, (double)(1 + variant * 7)};
      auto p1 = randv((size_t)n), g = randv((size_t)n), m1 = randv((size_t)n, -0.1f, 0.1f),
           v1 = randv((size_t)n, 0.0f, 0.01f);
      auto p0 = p1, m0 = m1, v0 = v1;
      auto run = [&](const kd::KernelTable& K, std::vector<float>& param, std::vector<float>& m, std::vector<float>& v) {
        kd::AdamParams q = ap;
        q.param = param.data();
        q.grad = g.data();
        q.m = m.data();
        q.v = v.data();
        K.adam(q, 0, n);
      };
      run(T, p1, m1, v1);
      run(S, p0, m0, v0);
      const std::string suffix = fmt(" variant %d", variant) + fmt(" n %lld", (long long)n);
      compare(std::string(kd::isa_name(T.isa)) + " adam p" + suffix, p1, p0, 1e-7, 1e-6);
      compare(std::string(kd::isa_name(T.isa)) + " adam m" + suffix, m1, m0, 3e-8, 1e-6);  // beta1 m + (1 - beta1) g may cancel
      compare(std::string(kd::isa_name(T.isa)) + " adam v" + suffix, v1, v0, 1e-12, 1e-6);
    }
  }
  return failures - before;
}

// ---- pooling and convolution --------------------------------------------------------------------

int test_maxpool2d_forward(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for_each_pool([&](const kd::PoolShape& s, const std::vector<float>& x) {
      const int64_t in = s.n * s.c * s.h * s.w, out = s.n * s.c * s.h_out * s.w_out;
      std::vector<float> y1((size_t)out), y0((size_t)out);
      std::vector<int32_t> a1((size_t)out), a0((size_t)out);
      T.maxpool2d_forward({s, x.data(), y1.data(), a1.data()}, 0, s.n * s.c);
      S.maxpool2d_forward({s, x.data(), y0.data(), a0.data()}, 0, s.n * s.c);
      const std::string name = std::string(kd::isa_name(T.isa)) + fmt(" maxpool h %lld", (long long)s.h) + fmt(" k %lld", (long long)s.kernel) +
                               fmt(" stride %lld", (long long)s.stride);
      compare_exact(name + " y", y1, y0);
      report(a1 == a0, name + " argmax");
  });
  return failures - before;
}

int test_maxpool2d_backward(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for_each_pool([&](const kd::PoolShape& s, const std::vector<float>& x) {
      const int64_t in = s.n * s.c * s.h * s.w, out = s.n * s.c * s.h_out * s.w_out;
      std::vector<float> y0((size_t)out);
      std::vector<int32_t> a0((size_t)out);
      S.maxpool2d_forward({s, x.data(), y0.data(), a0.data()}, 0, s.n * s.c);
      const std::string name = std::string(kd::isa_name(T.isa)) + fmt(" maxpool h %lld", (long long)s.h) + fmt(" k %lld", (long long)s.kernel) +
                               fmt(" stride %lld", (long long)s.stride);
      auto g = randv((size_t)out);
      std::vector<float> d1((size_t)in), d0((size_t)in);
      T.maxpool2d_backward({s, g.data(), a0.data(), d1.data()}, 0, s.n * s.c);
      S.maxpool2d_backward({s, g.data(), a0.data(), d0.data()}, 0, s.n * s.c);
      compare(name + " dx", d1, d0, 1e-6, 1e-6);
  });
  return failures - before;
}

int test_conv2d_forward(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for_each_conv(T, [&](const ConvCase& c) {
    const kd::ConvShape& s = c.s;
    for (int withBias = 0; withBias < 2; withBias++) {
      std::vector<float> y1((size_t)c.yn), y0((size_t)c.yn), mag((size_t)c.yn);
      T.conv2d_forward({s, c.x.data(), c.w.data(), withBias ? c.bias.data() : nullptr, y1.data()}, 0, s.n);
      S.conv2d_forward({s, c.x.data(), c.w.data(), withBias ? c.bias.data() : nullptr, y0.data()}, 0, s.n);
      S.conv2d_forward({s, c.ax.data(), c.aw.data(), withBias ? c.ab.data() : nullptr, mag.data()}, 0, s.n);
      compare(c.name + (withBias ? " fwd+bias" : " fwd"), y1, y0, 1e-30, 0, &mag, 4e-6);
      // Split over images as the thread pool does: bit-identical.
      std::vector<float> y2((size_t)c.yn);
      for (int64_t n = 0; n < s.n; n++)
        T.conv2d_forward({s, c.x.data(), c.w.data(), withBias ? c.bias.data() : nullptr, y2.data()}, n, n + 1);
      compare_exact(c.name + " fwd image-split", y2, y1);
    }
  });
  return failures - before;
}

int test_conv2d_backward_input(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for_each_conv(T, [&](const ConvCase& c) {
    const kd::ConvShape& s = c.s;
    std::vector<float> dx1((size_t)c.xin), dx0((size_t)c.xin), mx((size_t)c.xin);
    T.conv2d_backward_input({s, c.g.data(), nullptr, c.w.data(), dx1.data(), nullptr, nullptr}, 0, s.n);
    S.conv2d_backward_input({s, c.g.data(), nullptr, c.w.data(), dx0.data(), nullptr, nullptr}, 0, s.n);
    S.conv2d_backward_input({s, c.ag.data(), nullptr, c.aw.data(), mx.data(), nullptr, nullptr}, 0, s.n);
    compare(c.name + " dx", dx1, dx0, 1e-30, 0, &mx, 4e-6);
  });
  return failures - before;
}

int test_conv2d_backward_weight(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for_each_conv(T, [&](const ConvCase& c) {
    const kd::ConvShape& s = c.s;
    std::vector<float> dw1((size_t)c.wn), dw0((size_t)c.wn), mw((size_t)c.wn), dw2((size_t)c.wn);
    T.conv2d_backward_weight({s, c.g.data(), c.x.data(), nullptr, nullptr, dw1.data(), nullptr}, 0, s.c_out);
    S.conv2d_backward_weight({s, c.g.data(), c.x.data(), nullptr, nullptr, dw0.data(), nullptr}, 0, s.c_out);
    S.conv2d_backward_weight({s, c.ag.data(), c.ax.data(), nullptr, nullptr, mw.data(), nullptr}, 0, s.c_out);
    compare(c.name + " dw", dw1, dw0, 1e-30, 0, &mw, 4e-6);
    const int64_t cut = s.c_out / 3 + 1;
    T.conv2d_backward_weight({s, c.g.data(), c.x.data(), nullptr, nullptr, dw2.data(), nullptr}, 0, cut);
    T.conv2d_backward_weight({s, c.g.data(), c.x.data(), nullptr, nullptr, dw2.data(), nullptr}, cut, s.c_out);
    compare_exact(c.name + " dw channel-split", dw2, dw1);
    // A +inf input at the end of a row: dw is inf / NaN exactly where the reference's is (no padding
    // or dropped output column may multiply it).
    std::vector<float> xi = c.x;
    xi[(size_t)(s.w - 1)] = INFINITY;
    T.conv2d_backward_weight({s, c.g.data(), xi.data(), nullptr, nullptr, dw1.data(), nullptr}, 0, s.c_out);
    S.conv2d_backward_weight({s, c.g.data(), xi.data(), nullptr, nullptr, dw0.data(), nullptr}, 0, s.c_out);
    compare(c.name + " dw inf input", dw1, dw0, 1e-30, 0, &mw, 4e-6);
  });
  return failures - before;
}

int test_conv2d_backward_bias(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = failures;
  for_each_conv(T, [&](const ConvCase& c) {
    const kd::ConvShape& s = c.s;
    std::vector<float> db1((size_t)s.c_out), db0((size_t)s.c_out);
    T.conv2d_backward_bias({s, c.g.data(), nullptr, nullptr, nullptr, nullptr, db1.data()}, 0, s.c_out);
    S.conv2d_backward_bias({s, c.g.data(), nullptr, nullptr, nullptr, nullptr, db0.data()}, 0, s.c_out);
    compare(c.name + " dbias", db1, db0, 1e-5, 1e-6);
  });
  return failures - before;
}

// The scalar references themselves: the dropout mask against its double-precision definition, the
// GEMM against a double triple loop.
int test_scalar_ops(const kd::KernelTable& S) {
  const int before = failures;
  test_dropout(S, S);
  {
    // The scalar fake quantisation: ties to even, clamping, the mask, NaN.
    const float x[] = {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 130.0f, -129.0f, NAN};
    const float yw[] = {0.0f, 2.0f, 2.0f, 0.0f, -2.0f, 127.0f, -128.0f, NAN};
    const float mw[] = {1, 1, 1, 1, 1, 0, 0, 0};
    float y[8], m[8];
    S.fake_quantize({x, y, m, 8, 1.0f, 1.0f, 0.0f, -128.0f, 127.0f}, 0, 8);
    compare_exact("scalar fake_quantize y", std::vector<float>(y, y + 8), std::vector<float>(yw, yw + 8));
    compare_exact("scalar fake_quantize mask", std::vector<float>(m, m + 8), std::vector<float>(mw, mw + 8));
  }
  {
    // The scalar GEMM must agree with the scalar conv's direct loops through the im2col path of a
    // SIMD table; here check it against a double triple loop.
    const int64_t m = 7, n = 9, k = 11;
    auto A = randv(m * k), B = randv(k * n);
    std::vector<float> C(m * n);
    kd::GemmParams p{m, n, k, A.data(), k, 1, B.data(), n, 1, C.data(), n, false};
    S.gemm(p);
    bool ok = true;
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) {
        double acc = 0;
        for (int64_t q = 0; q < k; q++) acc += (double)A[i * k + q] * B[q * n + j];
        ok = ok && std::fabs(acc - C[i * n + j]) < 1e-6;
      }
    report(ok, "scalar gemm vs triple loop");
  }
  return failures - before;
}
