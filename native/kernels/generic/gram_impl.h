// Gram similarity (SP, Tung & Mori 2019), generic over V. A simple row-blocked implementation:
// 1. G = F F^T (upper triangle by SIMD dot products, mirrored); 2. rows normalised,
//    Gn_i = G_i / max(||G_i||, 1e-12); 3. loss = sum (Gns - Gnt)^2 / b^2 (double, fixed order);
// 4. D = +-2 scale (Gns - Gnt) / b^2, dG_i = (D_i - Gn_i <Gn_i, D_i>) / ||G_i|| (D_i / eps when
//    ||G_i|| <= eps); 5. dF = (dG + dG^T) F. Rows are split over kd::parallel_for.
#pragma once
#include <cmath>

#include "../../dispatch/thread_pool.h"
#include "../kernels.h"
#include "sweep.h"

namespace kd {
namespace simd {
namespace {  // internal linkage: each ISA translation unit keeps its own copy

template <class V>
inline float dot(const float* x, const float* y, int64_t n) {
  return sweep<V, 1>(n, [&](auto o, int64_t j, auto* acc) {
    using O = decltype(o);
    acc[0] = O::fma(O::load(x + j), O::load(y + j), acc[0]);
  })[0];
}

template <class V>
inline void axpy(float a, const float* x, float* y, int64_t n) {  // y += a x
  sweep<V, 0>(n, [&](auto o, int64_t j, auto*) {
    using O = decltype(o);
    O::store(y + j, O::fma(O::load(x + j), O::set1(a), O::load(y + j)));
  });
}

// Buffers come from the calling thread's scratch (slots 2..7): no std:: containers in ISA code.
struct NormGram {
  float* g;      // [b, b] normalised
  double* inv;   // 1 / max(norm, eps)
  char* big;     // norm > eps
};

template <class V>
NormGram normalized_gram(const float* F, int64_t b, int64_t d, int slot) {
  NormGram n;
  n.g = scratch_of<float>(slot, static_cast<size_t>(b * b));
  n.inv = scratch_of<double>(slot + 1, static_cast<size_t>(b));
  n.big = scratch_of<char>(slot + 2, static_cast<size_t>(b));
  float* G = n.g;
  // 1.
  parallel_for(b, 1, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i)
      for (int64_t j = i; j < b; ++j) G[i * b + j] = G[j * b + i] = dot<V>(F + i * d, F + j * d, d);
  });
  // 2.
  parallel_for(b, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      double ss = 0;
      for (int64_t j = 0; j < b; ++j) ss += static_cast<double>(G[i * b + j]) * G[i * b + j];
      const double norm = std::sqrt(ss);
      n.big[i] = norm > 1e-12;
      n.inv[i] = 1.0 / (norm > 1e-12 ? norm : 1e-12);
      for (int64_t j = 0; j < b; ++j) G[i * b + j] = static_cast<float>(G[i * b + j] * n.inv[i]);
    }
  });
  return n;
}

template <class V>
void gram_grad(const float* F, int64_t b, int64_t d, const NormGram& n, const float* D, float* dF) {
  // 4.
  float* dG = scratch_of<float>(1, static_cast<size_t>(b * b));
  parallel_for(b, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const float* gi = n.g + i * b;
      const float* di = D + i * b;
      double proj = 0;
      if (n.big[i])
        for (int64_t j = 0; j < b; ++j) proj += static_cast<double>(gi[j]) * di[j];
      for (int64_t j = 0; j < b; ++j) dG[i * b + j] = static_cast<float>((di[j] - gi[j] * proj) * n.inv[i]);
    }
  });
  // 5.
  parallel_for(b, 1, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      float* out = dF + i * d;
      for (int64_t c = 0; c < d; ++c) out[c] = 0.0f;
      for (int64_t j = 0; j < b; ++j) {
        const float m = dG[i * b + j] + dG[j * b + i];
        if (m != 0.0f) axpy<V>(m, F + j * d, out, d);
      }
    }
  });
}

template <class V>
void gram_similarity(const GramParams& p) {
  const int64_t b = p.b;
  const NormGram s = normalized_gram<V>(p.student, b, p.ds, 2);
  const NormGram t = normalized_gram<V>(p.teacher, b, p.dt, 5);
  // 3.
  double loss = 0;
  for (int64_t i = 0; i < b; ++i) {
    double acc = 0;
    for (int64_t j = 0; j < b; ++j) {
      const double diff = static_cast<double>(s.g[i * b + j]) - t.g[i * b + j];
      acc += diff * diff;
    }
    loss += acc;
  }
  const double bb = static_cast<double>(b) * b;
  p.loss[0] = static_cast<float>(loss / bb);
  if (!p.grad_student && !p.grad_teacher) return;
  float* D = scratch_of<float>(0, static_cast<size_t>(b * b));
  for (int net = 0; net < 2; ++net) {
    float* out = net == 0 ? p.grad_student : p.grad_teacher;
    if (!out) continue;
    const double k = (net == 0 ? 2.0 : -2.0) * (net == 0 ? p.student_grad_scale : p.teacher_grad_scale) / bb;
    for (int64_t e = 0; e < b * b; ++e) D[e] = static_cast<float>(k * (static_cast<double>(s.g[e]) - t.g[e]));
    if (net == 0) gram_grad<V>(p.student, b, p.ds, s, D, out);
    else gram_grad<V>(p.teacher, b, p.dt, t, D, out);
  }
}

}  // namespace
}  // namespace simd
}  // namespace kd
