// Gram similarity, avx512 variant: the generic kernel (generic/gram_impl.h) instantiated on simd::Avx512.
#include "../generic/gram_impl.h"
#include "vec_avx512.h"

void kd_gram_similarity_avx512(const kd::GramParams& p) {
  kd::simd::gram_similarity<kd::simd::Avx512>(p);
}
