// kd-kernels: the loss kernels' contract (no N-API). One params struct per kernel.
//
// Every kernel (one line of kernel_list.h) has one variant per ISA, named after it:
//   kernels/scalar/<kernel>_scalar.cc  kd_<kernel>_scalar   always compiled; the C++ reference
//   generic/<kernel>_impl.h, instantiated by kernels/<isa>/kernels_<isa>.cc as kd_<kernel>_<isa>:
//     avx2    x86-64, -mavx2 -mfma        (KD_HAVE_AVX2)
//     avx512  x86-64, AVX-512 F/BW/DQ/VL  (KD_HAVE_AVX512)
//     neon    aarch64                     (KD_HAVE_NEON)
//
// Row kernels take a half-open row range [r0, r1) so the caller (native/dispatch) can split the
// rows over threads; rows are independent, so the result does not depend on the split.
// Matrices are row-major float32 [rows, cols]; labels int32 [rows]. Outputs never alias inputs.
// Math: see DESIGN.md and src/backends/backend.ts. T = temperature, p = softmax(x / T).
//
// Non-finite inputs (PyTorch's policy, every loss kernel): a NaN or +inf logit makes its row's loss
// NaN and its gradient rows NaN; other rows are untouched. The SIMD variants find such a row with
// one check per row (a non-finite row loss, or a fully masked row) and hand it to the scalar
// variant, which works in double, scans the row, and also gives the exact value where float32
// intermediates overflow (logits up to +-3e38, temperatures down to 1e-3).
#pragma once
#include <cstdint>
#include <limits>

namespace kd {

// True when x[0, n) holds a NaN or +inf (the scalar variants' row scan).
inline bool has_nan_or_posinf(const float* x, int64_t n) {
  for (int64_t j = 0; j < n; ++j)
    if (!(x[j] < std::numeric_limits<float>::infinity())) return true;
  return false;
}
// Fills g[0, n) with NaN (a NaN row's gradient); g may be nullptr.
inline void fill_nan(float* g, int64_t n) {
  if (g)
    for (int64_t j = 0; j < n; ++j) g[j] = std::numeric_limits<float>::quiet_NaN();
}

enum class Divergence : int32_t { ForwardKL = 0, ReverseKL = 1, JSD = 2 };

// softmax-KL. row_loss[i] = T^2 * D(row i):
//   forward-kl  KL(p_t || p_s);  reverse-kl  KL(p_s || p_t);
//   jsd         beta * KL(p_t || m) + (1 - beta) * KL(p_s || m),  m = beta p_t + (1 - beta) p_s.
// grad_student = student_grad_scale * d(row_loss)/d(student) (nullptr: not written); same for teacher.
// A teacher logit of -inf (masked class) has p_t = 0 and contributes 0 loss and 0 gradient, also
// where the student logit is -inf too (0 log 0 = 0, every divergence).
// reverse-kl with a masked class where the student logit is finite: row loss +inf, gradient row 0.
// A fully masked teacher row (all -inf): loss 0, gradient row 0.
struct SoftmaxKLParams {
  const float* student = nullptr;
  const float* teacher = nullptr;
  int64_t rows = 0, cols = 0;
  double temperature = 1.0;
  Divergence divergence = Divergence::ForwardKL;
  double beta = 0.5;
  float* row_loss = nullptr;      // [rows]
  float* grad_student = nullptr;  // [rows, cols] or nullptr
  float* grad_teacher = nullptr;  // [rows, cols] or nullptr
  double student_grad_scale = 1.0;
  double teacher_grad_scale = 1.0;
  // Token mask, applied by the dispatcher (dispatch/losses.cc): rows with mask_labels[i] == mask_ignore
  // get loss 0 and zero gradient rows and are never passed to the variant. nullptr: no mask.
  const int32_t* mask_labels = nullptr;
  int32_t mask_ignore = -100;
};

// Cross-entropy on integer labels, PyTorch semantics per row (eps = label_smoothing, w = weight or 1):
//   row_loss = w[y] (1 - eps) (-log p_y) + (eps / C) sum_c w[c] (-log p_c);  0 for y == ignore_index.
// grad = grad_scale * d(row_loss)/d(logits); rows with y == ignore_index get a zero gradient.
struct CrossEntropyParams {
  const float* logits = nullptr;
  const int32_t* labels = nullptr;
  int64_t rows = 0, cols = 0;
  double label_smoothing = 0.0;
  int32_t ignore_index = -100;
  const float* weight = nullptr;  // [cols] or nullptr
  float* row_loss = nullptr;      // [rows]
  float* grad = nullptr;          // [rows, cols] or nullptr
  double grad_scale = 1.0;
};

// Hinton: soft_row = T^2 KL(p_t || p_s) at T (forward KL), hard_row = cross-entropy at T = 1;
// one read of the student row. grad = soft_grad_scale * d(soft)/ds + hard_grad_scale * d(hard)/ds.
// Rows whose label is ignore_index are masked in both terms by the dispatcher (0, zero gradient row).
struct HintonParams {
  const float* student = nullptr;
  const float* teacher = nullptr;
  const int32_t* labels = nullptr;
  int64_t rows = 0, cols = 0;
  double temperature = 1.0;
  double label_smoothing = 0.0;
  int32_t ignore_index = -100;
  const float* weight = nullptr;  // [cols] or nullptr
  float* soft_row = nullptr;      // [rows]
  float* hard_row = nullptr;      // [rows]
  float* grad = nullptr;          // [rows, cols] or nullptr
  double soft_grad_scale = 0.0;
  double hard_grad_scale = 0.0;
};

// Multi-teacher: q = sum_k w_k softmax(t_k / T); row_loss = T^2 KL(q || p_s).
struct MultiTeacherParams {
  const float* student = nullptr;
  const float* const* teachers = nullptr;  // k pointers, each [rows, cols]
  const double* weights = nullptr;         // [k]
  int32_t k = 0;
  int64_t rows = 0, cols = 0;
  double temperature = 1.0;
  float* row_loss = nullptr;               // [rows]
  float* grad_student = nullptr;           // [rows, cols] or nullptr
  float* const* grad_teachers = nullptr;   // k pointers (each may be nullptr), or nullptr for none
  double student_grad_scale = 1.0;
  const double* teacher_grad_scales = nullptr;  // [k], read where grad_teachers[j] != nullptr
  const int32_t* mask_labels = nullptr;         // token mask, as in SoftmaxKLParams
  int32_t mask_ignore = -100;
};

// Gram similarity (SP, Tung & Mori 2019): G = F F^T, rows L2-normalised (x / max(||x||, 1e-12)),
// loss = ||Gs - Gt||_F^2 / b^2. Not a row kernel: the variant runs whole, using kd::parallel_for.
struct GramParams {
  const float* student = nullptr;  // [b, ds]
  const float* teacher = nullptr;  // [b, dt]
  int64_t b = 0, ds = 0, dt = 0;
  float* loss = nullptr;           // [1]
  float* grad_student = nullptr;   // [b, ds] or nullptr
  float* grad_teacher = nullptr;   // [b, dt] or nullptr
  double student_grad_scale = 1.0;
  double teacher_grad_scale = 1.0;
};

// MSE pieces: sum (a - b)^2 over [i0, i1) (returned), grad_a = a_scale * 2 (a - b),
// grad_b = b_scale * 2 (b - a). The dispatcher sums fixed-size blocks in a fixed order.
struct MseParams {
  const float* a = nullptr;
  const float* b = nullptr;
  int64_t size = 0;
  float* grad_a = nullptr;  // [size] or nullptr
  float* grad_b = nullptr;  // [size] or nullptr
  double a_grad_scale = 1.0;
  double b_grad_scale = 1.0;
};

}  // namespace kd
