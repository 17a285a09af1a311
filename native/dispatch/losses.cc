// Dispatch of the loss kernels: the active ISA's variant over fixed row chunks.
#include "losses.h"

#include <algorithm>
#include <vector>

#include "thread_pool.h"

namespace kd {

void softmax_kl(const SoftmaxKLParams& p) {
  auto fn = active_kernels().softmax_kl;
  parallel_for(p.rows, row_grain(8 * p.cols), [&](int64_t r0, int64_t r1) { fn(p, r0, r1); });
}

void cross_entropy(const CrossEntropyParams& p) {
  auto fn = active_kernels().cross_entropy;
  parallel_for(p.rows, row_grain(4 * p.cols), [&](int64_t r0, int64_t r1) { fn(p, r0, r1); });
}

void hinton(const HintonParams& p) {
  auto fn = active_kernels().hinton;
  parallel_for(p.rows, row_grain(8 * p.cols), [&](int64_t r0, int64_t r1) { fn(p, r0, r1); });
}

void multi_teacher_kl(const MultiTeacherParams& p) {
  auto fn = active_kernels().multi_teacher_kl;
  parallel_for(p.rows, row_grain(4 * (p.k + 1) * p.cols), [&](int64_t r0, int64_t r1) { fn(p, r0, r1); });
}

void gram_similarity(const GramParams& p) { active_kernels().gram_similarity(p); }

double mse(const MseParams& p, const KernelTable* table) {
  auto fn = (table ? *table : active_kernels()).mse;
  const int64_t blocks = (p.size + kMseBlock - 1) / kMseBlock;
  if (blocks <= 1) return fn(p, 0, p.size);
  std::vector<double> part(blocks);
  parallel_for(blocks, 8, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) part[b] = fn(p, b * kMseBlock, std::min(p.size, (b + 1) * kMseBlock));
  });
  double sum = 0;
  for (double v : part) sum += v;  // fixed order
  return sum;
}

}  // namespace kd
