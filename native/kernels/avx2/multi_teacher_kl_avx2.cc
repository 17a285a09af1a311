// Fused multi-teacher KL, avx2 variant: the generic kernel (generic/multi_teacher_impl.h) instantiated on simd::Avx2.
#include "../generic/multi_teacher_impl.h"
#include "vec_avx2.h"

void kd_multi_teacher_kl_avx2(const kd::MultiTeacherParams& p, int64_t r0, int64_t r1) {
  kd::simd::multi_teacher_rows<kd::simd::Avx2>(p, r0, r1);
}
