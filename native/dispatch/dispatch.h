// CPU feature detection and the ISA chosen once at load.
// KD_ISA=scalar|avx2|avx512|neon forces a variant (std::runtime_error if unknown or unsupported).
#pragma once
#include <string>
#include <vector>

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

}  // namespace kd
