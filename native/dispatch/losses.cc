// Dispatch of the loss kernels: the active ISA's variant over fixed row chunks.
#include "losses.h"

#include <algorithm>

namespace kd {

namespace {
// run_range with a token mask: in each chunk, runs of kept rows go to fn as they are (rows are
// independent), masked rows (labels[i] == ignore) get zero(i) instead and are never read.
template <class P, class Zero>
void run_masked(RangeKernel<P>* fn, const P& p, int64_t n, int64_t grain, const int32_t* labels, int32_t ignore, Zero zero) {
  if (!labels) return run_range(fn, p, n, grain);
  parallel_for(n, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1;) {
      int64_t j = i;
      while (j < r1 && labels[j] != ignore) ++j;
      if (j > i) fn(p, i, j);
      for (i = j; i < r1 && labels[i] == ignore; ++i) zero(i);
    }
  });
}

void zero_row(float* m, int64_t i, int64_t cols) {
  if (m) std::fill(m + i * cols, m + (i + 1) * cols, 0.0f);
}
}  // namespace

void softmax_kl(const SoftmaxKLParams& p) {
  run_masked(active_kernels().softmax_kl, p, p.rows, row_grain(8 * p.cols), p.mask_labels, p.mask_ignore, [&](int64_t i) {
    p.row_loss[i] = 0;
    zero_row(p.grad_student, i, p.cols);
    zero_row(p.grad_teacher, i, p.cols);
  });
}

void cross_entropy(const CrossEntropyParams& p) {
  run_range(active_kernels().cross_entropy, p, p.rows, row_grain(4 * p.cols));
}

// Rows whose label is ignore_index are masked in both terms (the soft one too).
void hinton(const HintonParams& p) {
  run_masked(active_kernels().hinton, p, p.rows, row_grain(8 * p.cols), p.labels, p.ignore_index, [&](int64_t i) {
    p.soft_row[i] = 0;
    p.hard_row[i] = 0;
    zero_row(p.grad, i, p.cols);
  });
}

void multi_teacher_kl(const MultiTeacherParams& p) {
  run_masked(active_kernels().multi_teacher_kl, p, p.rows, row_grain(4 * (p.k + 1) * p.cols), p.mask_labels, p.mask_ignore,
             [&](int64_t i) {
               p.row_loss[i] = 0;
               zero_row(p.grad_student, i, p.cols);
               for (int32_t k = 0; p.grad_teachers && k < p.k; ++k) zero_row(p.grad_teachers[k], i, p.cols);
             });
}

void gram_similarity(const GramParams& p) { active_kernels().gram_similarity(p); }

double mse(const MseParams& p, const KernelTable* table) {
  return run_sum((table ? *table : active_kernels()).mse, p, p.size, kMseBlock, 8);
}

}  // namespace kd
