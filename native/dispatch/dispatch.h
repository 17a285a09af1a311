// CPU feature detection, the ISA chosen once at load, and the kernel table of each ISA.
// KD_ISA=scalar|avx2|avx512|neon forces a variant (std::runtime_error if unknown or unsupported).
#pragma once
#include <string>
#include <vector>

#include "../kernels/kernel_list.h"
#include "thread_pool.h"

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

// The dispatchers' two ways of running a kernel (dispatch/losses.cc, ops.cc):
// fn over [0, n) in the fixed chunks [k grain, (k + 1) grain) of kd::parallel_for;
template <class P>
void run_range(RangeKernel<P>* fn, const P& p, int64_t n, int64_t grain) {
  parallel_for(n, grain, [&](int64_t b, int64_t e) { fn(p, b, e); });
}
// the partial sums of fn over the fixed blocks [k block, (k + 1) block) of [0, n), `chunk` blocks
// per task, added in block order: the same double for any thread count.
template <class P>
double run_sum(RangeSumKernel<P>* fn, const P& p, int64_t n, int64_t block, int64_t chunk) {
  const int64_t blocks = (n + block - 1) / block;
  double local[256];  // up to 256 blocks without a heap allocation
  std::vector<double> heap;
  double* partial = local;
  if (blocks > 256) {
    heap.resize(static_cast<size_t>(blocks));
    partial = heap.data();
  }
  parallel_for(blocks, chunk, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) partial[b] = fn(p, b * block, b * block + block < n ? b * block + block : n);
  });
  double sum = 0;
  for (int64_t b = 0; b < blocks; ++b) sum += partial[b];
  return sum;
}

}  // namespace kd
