// Gram similarity, avx2 variant: the generic kernel (generic/gram_impl.h) instantiated on simd::Avx2.
#include "../generic/gram_impl.h"
#include "vec_avx2.h"

void kd_gram_similarity_avx2(const kd::GramParams& p) {
  kd::simd::gram_similarity<kd::simd::Avx2>(p);
}
