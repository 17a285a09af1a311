// Dispatch of the loss kernels: the active ISA's variant over fixed row chunks.
#include "losses.h"

namespace kd {

void softmax_kl(const SoftmaxKLParams& p) {
  run_range(active_kernels().softmax_kl, p, p.rows, row_grain(8 * p.cols));
}

void cross_entropy(const CrossEntropyParams& p) {
  run_range(active_kernels().cross_entropy, p, p.rows, row_grain(4 * p.cols));
}

void hinton(const HintonParams& p) { run_range(active_kernels().hinton, p, p.rows, row_grain(8 * p.cols)); }

void multi_teacher_kl(const MultiTeacherParams& p) {
  run_range(active_kernels().multi_teacher_kl, p, p.rows, row_grain(4 * (p.k + 1) * p.cols));
}

void gram_similarity(const GramParams& p) { active_kernels().gram_similarity(p); }

double mse(const MseParams& p, const KernelTable* table) {
  return run_sum((table ? *table : active_kernels()).mse, p, p.size, kMseBlock, 8);
}

}  // namespace kd
