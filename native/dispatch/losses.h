// The loss kernels as the binding calls them: the active ISA's variant, rows split over the thread
// pool (fixed chunks; rows are independent, so results do not depend on KD_NUM_THREADS).
#pragma once
#include "dispatch.h"

namespace kd {

void softmax_kl(const SoftmaxKLParams& p);
void cross_entropy(const CrossEntropyParams& p);
void hinton(const HintonParams& p);
void multi_teacher_kl(const MultiTeacherParams& p);
void gram_similarity(const GramParams& p);
// sum (a - b)^2 over fixed blocks of kMseBlock elements, block sums added in block order.
constexpr int64_t kMseBlock = 16384;
double mse(const MseParams& p, const KernelTable* table = nullptr);

}  // namespace kd
