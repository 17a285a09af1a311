// Dispatch of the loss kernels: the active ISA's variant over fixed row chunks.
#include "losses.h"

#include <algorithm>
#include <vector>

#include "thread_pool.h"

namespace kd {

namespace {
#define KD_LOSS_TABLE(isa)                                                                     \
  LossTable {                                                                                  \
    kd_softmax_kl_##isa, kd_cross_entropy_##isa, kd_hinton_##isa, kd_multi_teacher_kl_##isa,  \
        kd_gram_similarity_##isa, kd_mse_##isa                                                 \
  }
const LossTable kScalar = KD_LOSS_TABLE(scalar);
#if defined(KD_HAVE_AVX2)
const LossTable kAvx2 = KD_LOSS_TABLE(avx2);
#endif
#if defined(KD_HAVE_AVX512)
const LossTable kAvx512 = KD_LOSS_TABLE(avx512);
#endif
#if defined(KD_HAVE_NEON)
const LossTable kNeon = KD_LOSS_TABLE(neon);
#endif

const LossTable& active() {
  static const LossTable* t = loss_table(active_isa());
  return *t;
}
}  // namespace

const LossTable* loss_table(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return &kScalar;
#if defined(KD_HAVE_AVX2)
    case Isa::Avx2: return &kAvx2;
#endif
#if defined(KD_HAVE_AVX512)
    case Isa::Avx512: return &kAvx512;
#endif
#if defined(KD_HAVE_NEON)
    case Isa::Neon: return &kNeon;
#endif
    default: return nullptr;
  }
}

void softmax_kl(const SoftmaxKLParams& p) {
  auto fn = active().softmax_kl;
  parallel_for(p.rows, row_grain(8 * p.cols), [&](int64_t r0, int64_t r1) { fn(p, r0, r1); });
}

void cross_entropy(const CrossEntropyParams& p) {
  auto fn = active().cross_entropy;
  parallel_for(p.rows, row_grain(4 * p.cols), [&](int64_t r0, int64_t r1) { fn(p, r0, r1); });
}

void hinton(const HintonParams& p) {
  auto fn = active().hinton;
  parallel_for(p.rows, row_grain(8 * p.cols), [&](int64_t r0, int64_t r1) { fn(p, r0, r1); });
}

void multi_teacher_kl(const MultiTeacherParams& p) {
  auto fn = active().multi_teacher_kl;
  parallel_for(p.rows, row_grain(4 * (p.k + 1) * p.cols), [&](int64_t r0, int64_t r1) { fn(p, r0, r1); });
}

void gram_similarity(const GramParams& p) { active().gram_similarity(p); }

double mse(const MseParams& p, const LossTable* table) {
  auto fn = (table ? *table : active()).mse;
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
