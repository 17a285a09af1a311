// Fused multi-teacher KL, neon variant: the generic kernel (generic/multi_teacher_impl.h) instantiated on simd::Neon.
#include "../generic/multi_teacher_impl.h"
#include "vec_neon.h"

void kd_multi_teacher_kl_neon(const kd::MultiTeacherParams& p, int64_t r0, int64_t r1) {
  kd::simd::multi_teacher_rows<kd::simd::Neon>(p, r0, r1);
}
