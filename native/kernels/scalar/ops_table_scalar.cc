// The table of each compiled ISA's op kernels, the CPU checks behind it, and the thread-local
// scratch buffers the kernels reuse (compiled without ISA flags: safe on every CPU).
#include <cstring>
#include <vector>

#include "../ops.h"

#define KD_OPS_TABLE(ISA)                                                                          \
  KdOpsTable {                                                                                     \
    #ISA, kd_gemm_##ISA, kd_conv2d_forward_##ISA, kd_conv2d_backward_input_##ISA,                  \
        kd_conv2d_backward_weight_##ISA, kd_conv2d_backward_bias_##ISA, kd_maxpool2d_forward_##ISA, \
        kd_maxpool2d_backward_##ISA, kd_binary_##ISA, kd_unary_##ISA, kd_affine_##ISA,             \
        kd_add_inplace_##ISA, kd_sum_rows_##ISA, kd_sum_cols_##ISA, kd_sum_all_##ISA,              \
        kd_softmax_##ISA, kd_softmax_backward_##ISA, kd_transpose_##ISA, kd_dropout_##ISA,         \
        kd_sgd_##ISA, kd_adam_##ISA                                                                \
  }

namespace {
const KdOpsTable kScalar = KD_OPS_TABLE(scalar);
#if defined(__x86_64__) || defined(_M_X64)
const KdOpsTable kAvx2 = KD_OPS_TABLE(avx2);
const KdOpsTable kAvx512 = KD_OPS_TABLE(avx512);
bool hasAvx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
bool hasAvx512() {
  return hasAvx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}
#elif defined(__aarch64__)
const KdOpsTable kNeon = KD_OPS_TABLE(neon);
#endif
}  // namespace

const KdOpsTable* kd_ops_table(const char* isa) {
  if (!isa) return nullptr;
  if (std::strcmp(isa, "scalar") == 0) return &kScalar;
#if defined(__x86_64__) || defined(_M_X64)
  if (std::strcmp(isa, "avx2") == 0) return hasAvx2() ? &kAvx2 : nullptr;
  if (std::strcmp(isa, "avx512") == 0) return hasAvx512() ? &kAvx512 : nullptr;
#elif defined(__aarch64__)
  if (std::strcmp(isa, "neon") == 0) return &kNeon;
#endif
  return nullptr;
}

const char* const* kd_ops_isas() {
#if defined(__x86_64__) || defined(_M_X64)
  static const char* const all[] = {"scalar", "avx2", "avx512", nullptr};
  static const char* const two[] = {"scalar", "avx2", nullptr};
  static const char* const one[] = {"scalar", nullptr};
  return hasAvx512() ? all : hasAvx2() ? two : one;
#elif defined(__aarch64__)
  static const char* const all[] = {"scalar", "neon", nullptr};
  return all;
#else
  static const char* const one[] = {"scalar", nullptr};
  return one;
#endif
}

float* kd_ops_scratch(int slot, size_t n) {
  thread_local std::vector<float> buffers[4];
  std::vector<float>& b = buffers[slot & 3];
  if (b.size() < n) b.resize(n < 64 ? 64 : n + n / 4);
  return b.data();
}
