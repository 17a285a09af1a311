// CPU feature detection (cpuid + xgetbv on x86-64, NEON on aarch64) and the once-only ISA choice.
#include "dispatch.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

namespace kd {

namespace {

#if defined(__x86_64__) || defined(_M_X64)
uint64_t xgetbv0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

struct X86Features {
  bool avx2 = false, avx512 = false;
  X86Features() {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    const bool fma = c & (1u << 12);
    const bool osxsave = c & (1u << 27);
    const bool avx = c & (1u << 28);
    if (!osxsave || !avx) return;
    const uint64_t xcr0 = xgetbv0();
    const bool os_ymm = (xcr0 & 0x6) == 0x6;            // XMM + YMM state
    const bool os_zmm = (xcr0 & 0xe6) == 0xe6;          // + opmask, ZMM_Hi256, Hi16_ZMM
    if (__get_cpuid_max(0, nullptr) < 7) return;
    __cpuid_count(7, 0, a, b, c, d);
    const bool avx2f = b & (1u << 5);
    const bool f512 = b & (1u << 16), dq = b & (1u << 17), bw = b & (1u << 30), vl = b & (1u << 31);
    avx2 = avx2f && fma && os_ymm;
    avx512 = avx2 && f512 && dq && bw && vl && os_zmm;
  }
};
const X86Features& x86() {
  static const X86Features f;
  return f;
}
#endif

Isa choose() {
  const char* env = std::getenv("KD_ISA");
  if (env && *env) {
    const Isa all[] = {Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Neon};
    for (Isa i : all) {
      if (std::strcmp(env, isa_name(i)) == 0) {
        if (!isa_supported(i)) {
          std::string have;
          for (Isa s : supported_isas()) have += std::string(have.empty() ? "" : ", ") + isa_name(s);
          throw std::runtime_error(std::string("KD_ISA=") + env +
                                   " is not supported on this machine/build (supported: " + have + ")");
        }
        return i;
      }
    }
    throw std::runtime_error(std::string("KD_ISA=") + env +
                             " is not one of scalar, avx2, avx512, neon");
  }
  return supported_isas().back();
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
    case Isa::Neon: return "neon";
  }
  return "?";
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return true;
    case Isa::Avx2:
#if defined(KD_HAVE_AVX2)
      return x86().avx2;
#else
      return false;
#endif
    case Isa::Avx512:
#if defined(KD_HAVE_AVX512)
      return x86().avx512;
#else
      return false;
#endif
    case Isa::Neon:
#if defined(KD_HAVE_NEON)
      return true;  // Advanced SIMD is mandatory on aarch64
#else
      return false;
#endif
  }
  return false;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  const Isa order[] = {Isa::Scalar, Isa::Neon, Isa::Avx2, Isa::Avx512};
  for (Isa i : order)
    if (isa_supported(i)) out.push_back(i);
  return out;
}

Isa active_isa() {
  // A failed choice (bad KD_ISA) throws on every call, so the error reaches whoever asks.
  static std::once_flag once;
  static Isa chosen = Isa::Scalar;
  static std::string error;
  std::call_once(once, [] {
    try {
      chosen = choose();
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  if (!error.empty()) throw std::runtime_error(error);
  return chosen;
}

}  // namespace kd
