// Gram similarity (SP, Tung & Mori 2019), scalar variant: the C++ reference (double arithmetic).
// G = F F^T; Gn_i = G_i / max(||G_i||, 1e-12) (torch.nn.functional.normalize);
// loss = ||Gn_s - Gn_t||_F^2 / b^2; dGn = +-2 (Gn_s - Gn_t) / b^2;
// dG_i = (dGn_i - Gn_i <Gn_i, dGn_i>) / ||G_i|| (dGn_i / eps when ||G_i|| <= eps); dF = (dG + dG^T) F.
#include <cmath>
#include <vector>

#include "../kernel_list.h"

namespace {

struct Gram {
  std::vector<double> gn, inv;
  std::vector<char> big;
};

Gram normalized(const float* F, int64_t b, int64_t d) {
  Gram g;
  g.gn.assign(b * b, 0.0);
  g.inv.assign(b, 0.0);
  g.big.assign(b, 0);
  for (int64_t i = 0; i < b; ++i)
    for (int64_t j = 0; j < b; ++j) {
      double acc = 0;
      for (int64_t c = 0; c < d; ++c) acc += static_cast<double>(F[i * d + c]) * F[j * d + c];
      g.gn[i * b + j] = acc;
    }
  for (int64_t i = 0; i < b; ++i) {
    double ss = 0;
    for (int64_t j = 0; j < b; ++j) ss += g.gn[i * b + j] * g.gn[i * b + j];
    const double n = std::sqrt(ss);
    g.big[i] = n > 1e-12;
    g.inv[i] = 1.0 / (n > 1e-12 ? n : 1e-12);
    for (int64_t j = 0; j < b; ++j) g.gn[i * b + j] *= g.inv[i];
  }
  return g;
}

void grad(const float* F, int64_t b, int64_t d, const Gram& g, const std::vector<double>& D, float* dF) {
  std::vector<double> dG(b * b);
  for (int64_t i = 0; i < b; ++i) {
    double proj = 0;
    if (g.big[i])
      for (int64_t j = 0; j < b; ++j) proj += g.gn[i * b + j] * D[i * b + j];
    for (int64_t j = 0; j < b; ++j) dG[i * b + j] = (D[i * b + j] - g.gn[i * b + j] * proj) * g.inv[i];
  }
  for (int64_t i = 0; i < b; ++i)
    for (int64_t c = 0; c < d; ++c) {
      double acc = 0;
      for (int64_t j = 0; j < b; ++j) acc += (dG[i * b + j] + dG[j * b + i]) * F[j * d + c];
      dF[i * d + c] = static_cast<float>(acc);
    }
}

}  // namespace

void kd_gram_similarity_scalar(const kd::GramParams& p) {
  const int64_t b = p.b;
  const Gram s = normalized(p.student, b, p.ds), t = normalized(p.teacher, b, p.dt);
  double loss = 0;
  for (int64_t e = 0; e < b * b; ++e) loss += (s.gn[e] - t.gn[e]) * (s.gn[e] - t.gn[e]);
  const double bb = static_cast<double>(b) * b;
  p.loss[0] = static_cast<float>(loss / bb);
  std::vector<double> D(b * b);
  if (p.grad_student) {
    for (int64_t e = 0; e < b * b; ++e) D[e] = 2.0 * p.student_grad_scale * (s.gn[e] - t.gn[e]) / bb;
    grad(p.student, b, p.ds, s, D, p.grad_student);
  }
  if (p.grad_teacher) {
    for (int64_t e = 0; e < b * b; ++e) D[e] = -2.0 * p.teacher_grad_scale * (s.gn[e] - t.gn[e]) / bb;
    grad(p.teacher, b, p.dt, t, D, p.grad_teacher);
  }
}
