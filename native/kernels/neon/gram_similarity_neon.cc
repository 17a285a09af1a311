// Gram similarity, neon variant: the generic kernel (generic/gram_impl.h) instantiated on simd::Neon.
#include "../generic/gram_impl.h"
#include "vec_neon.h"

void kd_gram_similarity_neon(const kd::GramParams& p) {
  kd::simd::gram_similarity<kd::simd::Neon>(p);
}
