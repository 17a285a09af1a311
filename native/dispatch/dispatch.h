// CPU feature detection, the ISA chosen once at load, and the kernel table of each ISA.
// KD_ISA=scalar|avx2|avx512|neon forces a variant (std::runtime_error if unknown or unsupported).
#pragma once
#include <string>
#include <vector>

#include "../kernels/kernel_list.h"

namespace kd {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2, Neon = 3 };

const char* isa_name(Isa isa);
// True when the variant is compiled in AND the CPU/OS can run it (cpuid + xgetbv on x86-64).
bool isa_supported(Isa isa);
// Supported variants, best last (e.g. {scalar, avx2, avx512}).
std::vector<Isa> supported_isas();
// The variant in use: KD_ISA if set, else the best supported. Chosen once, thread-safe.
// Throws std::runtime_error for a bad KD_ISA.
Isa active_isa();

// One ISA's variant of every kernel of kernels/kernel_list.h (a member per kernel, in list order).
struct KernelTable {
  Isa isa;
#define KD_TABLE_MEMBER(isa_, name, P, Kind) Kind##Kernel<P>* name;
  KD_KERNEL_LIST(KD_TABLE_MEMBER, _)
#undef KD_TABLE_MEMBER
};
// The table of one ISA (nullptr when it is not compiled in; check isa_supported before calling).
const KernelTable* kernel_table(Isa isa);
// kernel_table(active_isa()), looked up once.
const KernelTable& active_kernels();

}  // namespace kd
