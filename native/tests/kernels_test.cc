// Runs every kernel test of kernel_tests.h (one per line of kernel_list.h) for every SIMD variant
// this machine supports, against scalar; prints one line per variant and a summary; exit status 1
// on any failure. Run under qemu-aarch64 for the NEON variant (KD_TEST_QUICK=1: fewer cases).
#include <cstdio>
#include <string>

#include "kernel_tests.h"
#include "dispatch/thread_pool.h"

int main() {
  const kd::KernelTable& S = *kd::kernel_table(kd::Isa::Scalar);
  std::printf("kd-kernels C++ kernel tests: every ISA variant vs scalar (threads %d)\n", kd::num_threads());
  int failed = test_scalar_ops(S);
  int isas = 0;
  for (kd::Isa isa : kd::supported_isas()) {
    if (isa == kd::Isa::Scalar) continue;
    ++isas;
    const kd::KernelTable& T = *kd::kernel_table(isa);
    std::string bad;
    int kernels = 0, isa_failed = 0;
#define KD_RUN_TEST(isa_, name, P, Kind)                   \
  {                                                        \
    const int f = test_##name(T, S);                       \
    ++kernels, isa_failed += f;                            \
    if (f) bad += std::string(" ") + #name;                \
  }
    KD_KERNEL_LIST(KD_RUN_TEST, _)
#undef KD_RUN_TEST
    std::printf("%-7s %s: %d kernels%s%s\n", kd::isa_name(isa), isa_failed ? "FAIL" : "PASS", kernels,
                isa_failed ? ", failing:" : "", bad.c_str());
    failed += isa_failed;
  }
  failed += test_threaded_losses();
  if (isas == 0) std::printf("note: no SIMD variant is supported here; only scalar was exercised\n");
  std::printf("%s: %d failures\n", failed ? "FAILED" : "PASSED", failed);
  return failed ? 1 : 0;
}
