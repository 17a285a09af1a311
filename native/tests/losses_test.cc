// The loss kernels' tests (kernel_tests.h): an ISA variant against the scalar reference, compared in
// double. Columns 1 .. 4N+1 (two unrolled vectors, twice, plus a tail, for the ISA's vector width N),
// 41, 1271, 32000; inputs of scale 1, 80 and 1e4 (exp overflows without max-subtraction); masked
// (-inf) teacher entries and a fully masked row, with the student -inf at the same classes in one
// row (0 log 0 = 0); a NaN student logit in row 0 and a +inf teacher logit in row 2 (PyTorch's
// policy: those rows NaN, loss and gradient); temperatures 0.5, 1, 2.5, 4.
// KD_TEST_QUICK=1 drops 32000 columns (for qemu).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "dispatch/losses.h"
#include "kernel_tests.h"

namespace {

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  double uniform() {  // [0, 1)
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    return (s >> 11) * (1.0 / 9007199254740992.0);
  }
  float sym(double scale) { return static_cast<float>((2 * uniform() - 1) * scale); }
};

const float kNegInf = -std::numeric_limits<float>::infinity();

int g_failed = 0;

// Compares got (ISA) to ref (scalar): |got - ref| <= atol + rtol |ref|, infinities must match.
bool close(const char* what, const std::string& ctx, const float* got, const float* ref, size_t n,
           double atol, double rtol) {
  for (size_t i = 0; i < n; ++i) {
    const double g = got[i], r = ref[i];
    bool ok;
    if (std::isnan(g) || std::isnan(r)) ok = std::isnan(g) && std::isnan(r);
    else if (std::isinf(r) || std::isinf(g)) ok = g == r;
    else ok = std::fabs(g - r) <= atol + rtol * std::fabs(r);
    if (!ok) {
      std::printf("  FAIL %s %s[%zu]: got %.9g, scalar %.9g (atol %.3g, rtol %.3g)\n", ctx.c_str(), what, i,
                  g, r, atol, rtol);
      return false;
    }
  }
  return true;
}

void record(bool ok) {
  if (!ok) ++g_failed;
}

void fill(std::vector<float>& v, Rng& rng, double scale) {
  for (auto& x : v) x = rng.sym(scale);
}

void mask(std::vector<float>& t, int64_t rows, int64_t cols, Rng& rng, bool on) {
  if (!on) return;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      if (i == rows - 1 || rng.uniform() < 0.2) t[i * cols + j] = kNegInf;  // last row fully masked
  // keep one unmasked entry in the other rows
  for (int64_t i = 0; i + 1 < rows; ++i) t[i * cols + (i % cols)] = rng.sym(1.0);
}

// Row 1 of s masked where t is (both -inf: masked vocabulary padding on both sides).
void mask_both(std::vector<float>& s, const std::vector<float>& t, int64_t cols) {
  for (int64_t j = 0; j < cols; ++j)
    if (t[cols + j] == kNegInf) s[cols + j] = kNegInf;
}

// A NaN student logit in row 0, a +inf logit in row 2 of each teacher.
void poison(std::vector<float>& s, std::vector<std::vector<float>*> teachers, int64_t cols) {
  s[cols / 2] = std::numeric_limits<float>::quiet_NaN();
  for (auto* t : teachers) (*t)[2 * cols + cols - 1] = std::numeric_limits<float>::infinity();
}

// One input case of the loss tests: R rows of C columns at an input scale and temperature, with
// masked teacher entries in every other case, labels (one ignored row) and class weights.
struct LossCase {
  int64_t R = 4, C = 0;
  double scale = 1, temp = 1, mag = 1;
  std::string ctx;
  std::vector<float> s, t, t2, t3, w;
  std::vector<int32_t> labels;
  Rng rng{0};
};

int lane_count(kd::Isa isa) {
  switch (isa) {
    case kd::Isa::Avx2: return 8;
    case kd::Isa::Avx512: return 16;
    case kd::Isa::Neon: return 4;
    default: return 1;
  }
}

// Columns 1 .. 4N+1 (N = the ISA's lanes), 41, 1271 and 32000 (not under KD_TEST_QUICK=1), each at
// the input scales 1, 80 and 1e4, the temperatures cycling through 0.5, 1, 2.5, 4.
template <class Fn>
void for_each_case(kd::Isa isa, Fn fn) {
  const bool quick = std::getenv("KD_TEST_QUICK") && std::strcmp(std::getenv("KD_TEST_QUICK"), "0") != 0;
  std::vector<int64_t> sizes;
  for (int64_t c = 1; c <= 4 * lane_count(isa) + 1; ++c) sizes.push_back(c);
  sizes.push_back(41);
  sizes.push_back(1271);
  if (!quick) sizes.push_back(32000);
  const double scales[] = {1.0, 80.0, 1e4};
  const double temps[] = {0.5, 1.0, 2.5, 4.0};
  int variant = 0;
  for (int64_t C : sizes) {
    for (double scale : scales) {
      ++variant;
      LossCase lc;
      const int64_t R = lc.R;
      lc.C = C, lc.scale = scale;
      lc.rng = Rng(static_cast<uint64_t>(C * 131 + scale));
      const double temp = lc.temp = temps[variant % 4];
      const bool masked = variant % 2 == 0, poisoned = variant % 3 == 0;
      lc.mag = std::fmax(1.0, scale / temp);
      char buf[160];
      std::snprintf(buf, sizeof buf, "[%s cols=%lld scale=%g T=%g%s%s]", kd::isa_name(isa),
                    static_cast<long long>(C), scale, temp, masked ? " masked" : "", poisoned ? " nan/inf" : "");
      lc.ctx = buf;
      Rng& rng = lc.rng;
      lc.s.resize(R * C), lc.t.resize(R * C), lc.t2.resize(R * C), lc.t3.resize(R * C);
      fill(lc.s, rng, scale), fill(lc.t, rng, scale), fill(lc.t2, rng, scale), fill(lc.t3, rng, scale);
      mask(lc.t, R, C, rng, masked);
      if (masked) mask_both(lc.s, lc.t, C);
      if (poisoned) poison(lc.s, {&lc.t, &lc.t2, &lc.t3}, C);
      lc.labels.resize(R);
      for (int64_t i = 0; i < R; ++i) lc.labels[i] = static_cast<int32_t>(rng.uniform() * C);
      lc.labels[1] = -100;  // ignored row
      lc.w.resize(C);
      for (auto& x : lc.w) x = static_cast<float>(0.25 + rng.uniform());
      fn(lc);
    }
  }
}

}  // namespace

int test_softmax_kl(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = g_failed;
  for_each_case(T.isa, [&](LossCase& lc) {
    // softmax-KL: every divergence, JSD at beta 0, 0.3, 1; both gradients.
    struct Cfg { kd::Divergence d; double beta; const char* name; };
    const Cfg cfgs[] = {{kd::Divergence::ForwardKL, 0.5, "fkl"}, {kd::Divergence::ReverseKL, 0.5, "rkl"},
                        {kd::Divergence::JSD, 0.3, "jsd0.3"}, {kd::Divergence::JSD, 0.0, "jsd0"},
                        {kd::Divergence::JSD, 1.0, "jsd1"}};
    for (const Cfg& cfg : cfgs) {
      std::vector<float> l[2] = {std::vector<float>(lc.R), std::vector<float>(lc.R)};
      std::vector<float> gs[2] = {std::vector<float>(lc.R * lc.C), std::vector<float>(lc.R * lc.C)};
      std::vector<float> gt[2] = {std::vector<float>(lc.R * lc.C), std::vector<float>(lc.R * lc.C)};
      for (int v = 0; v < 2; ++v) {
        kd::SoftmaxKLParams p;
        p.student = lc.s.data(), p.teacher = lc.t.data(), p.rows = lc.R, p.cols = lc.C;
        p.temperature = lc.temp, p.divergence = cfg.d, p.beta = cfg.beta;
        p.row_loss = l[v].data(), p.grad_student = gs[v].data(), p.grad_teacher = gt[v].data();
        p.student_grad_scale = 0.25, p.teacher_grad_scale = -0.5;
        (v == 0 ? T : S).softmax_kl(p, 0, lc.R);
      }
      const std::string c = lc.ctx + " softmax_kl " + cfg.name;
      bool ok = close("loss", c, l[0].data(), l[1].data(), lc.R, 2e-5 * lc.temp * lc.temp * lc.mag, 2e-5);
      ok = ok && close("grad_student", c, gs[0].data(), gs[1].data(), lc.R * lc.C, 2e-5 * lc.temp * lc.mag, 1e-4);
      ok = ok && close("grad_teacher", c, gt[0].data(), gt[1].data(), lc.R * lc.C, 2e-5 * lc.temp * lc.mag, 1e-4);
      record(ok);
    }
  });
  return g_failed - before;
}

int test_cross_entropy(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = g_failed;
  for_each_case(T.isa, [&](LossCase& lc) {
    // cross-entropy: smoothing 0 / 0.1, weights off / on.
    for (int k = 0; k < 4; ++k) {
      std::vector<float> l[2] = {std::vector<float>(lc.R), std::vector<float>(lc.R)};
      std::vector<float> g[2] = {std::vector<float>(lc.R * lc.C), std::vector<float>(lc.R * lc.C)};
      for (int v = 0; v < 2; ++v) {
        kd::CrossEntropyParams p;
        p.logits = lc.s.data(), p.labels = lc.labels.data(), p.rows = lc.R, p.cols = lc.C;
        p.label_smoothing = (k & 1) ? 0.1 : 0.0, p.ignore_index = -100;
        p.weight = (k & 2) ? lc.w.data() : nullptr;
        p.row_loss = l[v].data(), p.grad = g[v].data(), p.grad_scale = 0.3;
        (v == 0 ? T : S).cross_entropy(p, 0, lc.R);
      }
      const std::string c = lc.ctx + " cross_entropy k=" + std::to_string(k);
      bool ok = close("loss", c, l[0].data(), l[1].data(), lc.R, 2e-5 * lc.scale, 2e-5);
      ok = ok && close("grad", c, g[0].data(), g[1].data(), lc.R * lc.C, 2e-5 * lc.mag, 1e-4);
      record(ok);
    }
  });
  return g_failed - before;
}

int test_hinton(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = g_failed;
  for_each_case(T.isa, [&](LossCase& lc) {
    // Hinton.
    for (int k = 0; k < 2; ++k) {
      std::vector<float> so[2] = {std::vector<float>(lc.R), std::vector<float>(lc.R)};
      std::vector<float> ha[2] = {std::vector<float>(lc.R), std::vector<float>(lc.R)};
      std::vector<float> g[2] = {std::vector<float>(lc.R * lc.C), std::vector<float>(lc.R * lc.C)};
      for (int v = 0; v < 2; ++v) {
        kd::HintonParams p;
        p.student = lc.s.data(), p.teacher = lc.t.data(), p.labels = lc.labels.data(), p.rows = lc.R, p.cols = lc.C;
        p.temperature = lc.temp, p.label_smoothing = k ? 0.1 : 0.0, p.ignore_index = -100;
        p.weight = k ? lc.w.data() : nullptr;
        p.soft_row = so[v].data(), p.hard_row = ha[v].data(), p.grad = g[v].data();
        p.soft_grad_scale = 0.9 / lc.R, p.hard_grad_scale = 0.1 / lc.R;
        (v == 0 ? T : S).hinton(p, 0, lc.R);
      }
      const std::string c = lc.ctx + " hinton k=" + std::to_string(k);
      bool ok = close("soft", c, so[0].data(), so[1].data(), lc.R, 2e-5 * lc.temp * lc.temp * lc.mag, 2e-5);
      ok = ok && close("hard", c, ha[0].data(), ha[1].data(), lc.R, 2e-5 * lc.scale, 2e-5);
      ok = ok && close("grad", c, g[0].data(), g[1].data(), lc.R * lc.C, 2e-5 * lc.temp * lc.mag, 1e-4);
      record(ok);
    }
  });
  return g_failed - before;
}

int test_multi_teacher_kl(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = g_failed;
  for_each_case(T.isa, [&](LossCase& lc) {
    // Multi-teacher, K = 3, teacher gradients for teachers 0 and 2.
    {
      const float* teachers[3] = {lc.t.data(), lc.t2.data(), lc.t3.data()};
      const double weights[3] = {0.5, 0.3, 0.2};
      const double tscales[3] = {0.5, 0.0, -1.0};
      std::vector<float> l[2] = {std::vector<float>(lc.R), std::vector<float>(lc.R)};
      std::vector<float> gs[2] = {std::vector<float>(lc.R * lc.C), std::vector<float>(lc.R * lc.C)};
      std::vector<float> g0[2] = {std::vector<float>(lc.R * lc.C), std::vector<float>(lc.R * lc.C)};
      std::vector<float> g2[2] = {std::vector<float>(lc.R * lc.C), std::vector<float>(lc.R * lc.C)};
      for (int v = 0; v < 2; ++v) {
        float* gts[3] = {g0[v].data(), nullptr, g2[v].data()};
        kd::MultiTeacherParams p;
        p.student = lc.s.data(), p.teachers = teachers, p.weights = weights, p.k = 3, p.rows = lc.R, p.cols = lc.C;
        p.temperature = lc.temp, p.row_loss = l[v].data(), p.grad_student = gs[v].data();
        p.grad_teachers = gts, p.student_grad_scale = 0.25, p.teacher_grad_scales = tscales;
        (v == 0 ? T : S).multi_teacher_kl(p, 0, lc.R);
      }
      const std::string c = lc.ctx + " multi_teacher";
      bool ok = close("loss", c, l[0].data(), l[1].data(), lc.R, 2e-5 * lc.temp * lc.temp * lc.mag, 2e-5);
      ok = ok && close("grad_student", c, gs[0].data(), gs[1].data(), lc.R * lc.C, 2e-5 * lc.temp * lc.mag, 1e-4);
      ok = ok && close("grad_t0", c, g0[0].data(), g0[1].data(), lc.R * lc.C, 2e-5 * lc.temp * lc.mag, 1e-4);
      ok = ok && close("grad_t2", c, g2[0].data(), g2[1].data(), lc.R * lc.C, 2e-5 * lc.temp * lc.mag, 1e-4);
      record(ok);
    }
  });
  return g_failed - before;
}

int test_mse(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = g_failed;
  for_each_case(T.isa, [&](LossCase& lc) {
    // MSE over all lc.R * lc.C elements (through the block dispatcher).
    {
      std::vector<float> ga[2] = {std::vector<float>(lc.R * lc.C), std::vector<float>(lc.R * lc.C)};
      std::vector<float> gb[2] = {std::vector<float>(lc.R * lc.C), std::vector<float>(lc.R * lc.C)};
      float sum[2];
      for (int v = 0; v < 2; ++v) {
        kd::MseParams p;
        p.a = lc.s.data(), p.b = lc.t2.data(), p.size = lc.R * lc.C, p.grad_a = ga[v].data(), p.grad_b = gb[v].data();
        p.a_grad_scale = 0.5, p.b_grad_scale = 2.0;
        sum[v] = static_cast<float>(kd::mse(p, v == 0 ? &T : &S));
      }
      const std::string c = lc.ctx + " mse";
      bool ok = close("sum", c, &sum[0], &sum[1], 1, 0, 1e-5);
      ok = ok && close("grad_a", c, ga[0].data(), ga[1].data(), lc.R * lc.C, 1e-6 * lc.scale, 1e-6);
      ok = ok && close("grad_b", c, gb[0].data(), gb[1].data(), lc.R * lc.C, 1e-6 * lc.scale, 1e-6);
      record(ok);
    }
  });
  return g_failed - before;
}

int test_gram_similarity(const kd::KernelTable& T, const kd::KernelTable& S) {
  const int before = g_failed;
  for_each_case(T.isa, [&](LossCase& lc) {
    // Gram similarity: b in {1, 3, 17, 130} (two GEMM row blocks), ds = cols, dt = cols / 2 + 3 (only up to 1271 columns).
    if (lc.C <= 1271 && lc.scale != 1e4) {
      for (int64_t b : {int64_t(1), int64_t(3), int64_t(17), int64_t(130)}) {
        const int64_t ds = lc.C, dt = lc.C / 2 + 3;
        std::vector<float> fs(b * ds), ft(b * dt);
        fill(fs, lc.rng, lc.scale), fill(ft, lc.rng, lc.scale);
        float loss[2];
        std::vector<float> gs[2] = {std::vector<float>(b * ds), std::vector<float>(b * ds)};
        std::vector<float> gt[2] = {std::vector<float>(b * dt), std::vector<float>(b * dt)};
        for (int v = 0; v < 2; ++v) {
          kd::GramParams p;
          p.student = fs.data(), p.teacher = ft.data(), p.b = b, p.ds = ds, p.dt = dt;
          p.loss = &loss[v], p.grad_student = gs[v].data(), p.grad_teacher = gt[v].data();
          p.student_grad_scale = 1.0, p.teacher_grad_scale = 0.5;
          (v == 0 ? T : S).gram_similarity(p);
        }
        const std::string c = lc.ctx + " gram b=" + std::to_string(b);
        // Gradients lc.scale like 1 / (b^2 |F|): compare against the row's largest reference value.
        double gmax_s = 0, gmax_t = 0;
        for (float x : gs[1]) gmax_s = std::fabs(x) > gmax_s ? std::fabs(x) : gmax_s;  // (no fmax: aarch64 GCC 12 ICE)
        for (float x : gt[1]) gmax_t = std::fabs(x) > gmax_t ? std::fabs(x) : gmax_t;
        bool ok = close("loss", c, &loss[0], &loss[1], 1, 1e-6, 1e-4);
        ok = ok && close("grad_student", c, gs[0].data(), gs[1].data(), b * ds, 1e-4 * gmax_s + 1e-30, 1e-3);
        ok = ok && close("grad_teacher", c, gt[0].data(), gt[1].data(), b * dt, 1e-4 * gmax_t + 1e-30, 1e-3);
        record(ok);
      }
    }
  });
  return g_failed - before;
}

// The threaded dispatch (row chunks over the pool) against one direct single-range call.
int test_threaded_losses() {
  const int before = g_failed;
  {
    const int64_t R = 300, C = 257;
    Rng rng(7);
    std::vector<float> s(R * C), t(R * C), l1(R), l2(R), g1(R * C), g2(R * C);
    fill(s, rng, 5), fill(t, rng, 5);
    kd::SoftmaxKLParams p;
    p.student = s.data(), p.teacher = t.data(), p.rows = R, p.cols = C, p.temperature = 2;
    p.row_loss = l1.data(), p.grad_student = g1.data();
    kd::softmax_kl(p);
    p.row_loss = l2.data(), p.grad_student = g2.data();
    kd::kernel_table(kd::active_isa())->softmax_kl(p, 0, R);
    const bool same = std::memcmp(l1.data(), l2.data(), R * 4) == 0 && std::memcmp(g1.data(), g2.data(), R * C * 4) == 0;
    record(same);
    std::printf("threaded dispatch (%s) bit-identical to one range: %s\n", kd::isa_name(kd::active_isa()),
                same ? "PASS" : "FAIL");
  }
  // Token mask in the dispatcher: masked rows (label == ignore) get loss 0 and zero gradient rows
  // over stale output values; the other rows are bit-identical to the unmasked call.
  {
    const int64_t R = 97, C = 131;
    Rng rng(9);
    std::vector<float> s(R * C), t(R * C), l1(R), l2(R, 7.f), g1(R * C), g2(R * C, 7.f);
    std::vector<int32_t> y(R);
    fill(s, rng, 5), fill(t, rng, 5);
    for (int64_t i = 0; i < R; ++i) y[i] = (i % 5 == 1 || (i >= 40 && i < 60)) ? -100 : static_cast<int32_t>(i % C);
    kd::SoftmaxKLParams p;
    p.student = s.data(), p.teacher = t.data(), p.rows = R, p.cols = C, p.temperature = 2;
    p.divergence = kd::Divergence::JSD, p.beta = 0.3;
    p.row_loss = l1.data(), p.grad_student = g1.data();
    kd::softmax_kl(p);
    p.row_loss = l2.data(), p.grad_student = g2.data(), p.mask_labels = y.data(), p.mask_ignore = -100;
    kd::softmax_kl(p);
    bool ok = true;
    for (int64_t i = 0; i < R; ++i) {
      const bool masked = y[i] == -100;
      ok &= masked ? l2[i] == 0.f : l2[i] == l1[i];
      for (int64_t j = 0; j < C; ++j) ok &= masked ? g2[i * C + j] == 0.f : g2[i * C + j] == g1[i * C + j];
    }
    record(ok);
    std::printf("token mask in the dispatcher (masked rows 0, others bit-identical): %s\n", ok ? "PASS" : "FAIL");
  }
  return g_failed - before;
}
