// The loss kernels as the binding calls them: the active ISA's variant, rows split over the thread
// pool (fixed chunks; rows are independent, so results do not depend on KD_NUM_THREADS).
#pragma once
#include "../kernels/kernels.h"
#include "dispatch.h"

namespace kd {

struct LossTable {
  void (*softmax_kl)(const SoftmaxKLParams&, int64_t, int64_t);
  void (*cross_entropy)(const CrossEntropyParams&, int64_t, int64_t);
  void (*hinton)(const HintonParams&, int64_t, int64_t);
  void (*multi_teacher_kl)(const MultiTeacherParams&, int64_t, int64_t);
  void (*gram_similarity)(const GramParams&);
  double (*mse)(const MseParams&, int64_t, int64_t);
};

// The variants of one ISA (nullptr when it is not compiled in).
const LossTable* loss_table(Isa isa);

void softmax_kl(const SoftmaxKLParams& p);
void cross_entropy(const CrossEntropyParams& p);
void hinton(const HintonParams& p);
void multi_teacher_kl(const MultiTeacherParams& p);
void gram_similarity(const GramParams& p);
// sum (a - b)^2 over fixed blocks of kMseBlock elements, block sums added in block order.
constexpr int64_t kMseBlock = 16384;
double mse(const MseParams& p, const LossTable* table = nullptr);

}  // namespace kd
