// The kernel table of each compiled-in ISA, generated from kernels/kernel_list.h.
#include "dispatch.h"

namespace kd {

namespace {
#define KD_TABLE_ENTRY(isa, name, P, Kind) kd_##name##_##isa,
const KernelTable kScalar{Isa::Scalar, KD_KERNEL_LIST(KD_TABLE_ENTRY, scalar)};
#if defined(KD_HAVE_AVX2)
const KernelTable kAvx2{Isa::Avx2, KD_KERNEL_LIST(KD_TABLE_ENTRY, avx2)};
#endif
#if defined(KD_HAVE_AVX512)
const KernelTable kAvx512{Isa::Avx512, KD_KERNEL_LIST(KD_TABLE_ENTRY, avx512)};
#endif
#if defined(KD_HAVE_NEON)
const KernelTable kNeon{Isa::Neon, KD_KERNEL_LIST(KD_TABLE_ENTRY, neon)};
#endif
#undef KD_TABLE_ENTRY
}  // namespace

const KernelTable* kernel_table(Isa isa) {
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

const KernelTable& active_kernels() {
  static const KernelTable* t = kernel_table(active_isa());
  return *t;
}

}  // namespace kd
