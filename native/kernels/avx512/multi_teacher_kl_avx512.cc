// Fused multi-teacher KL, avx512 variant: the generic kernel (generic/multi_teacher_impl.h) instantiated on simd::Avx512.
#include "../generic/multi_teacher_impl.h"
#include "vec_avx512.h"

void kd_multi_teacher_kl_avx512(const kd::MultiTeacherParams& p, int64_t r0, int64_t r1) {
  kd::simd::multi_teacher_rows<kd::simd::Avx512>(p, r0, r1);
}
