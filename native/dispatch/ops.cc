// Dispatch of the training-op kernels: the active ISA's variant over fixed chunks.
#include "ops.h"

#include <cstring>

namespace kd {

namespace {

// Chunk size for an elementwise pass over n elements: at least 32 Ki, about 4 chunks per thread.
int64_t elem_grain(int64_t n) {
  const int64_t t = num_threads();
  int64_t g = (n + 4 * t - 1) / (4 * t);
  if (g < 32768) g = 32768;
  return (g + 63) / 64 * 64;
}

}  // namespace

void gemm(const GemmParams& p) {
  auto fn = active_kernels().gemm;
  const double flops = 2.0 * p.m * p.n * p.k;
  const int64_t threads = num_threads();
  if (flops < 4e6 || threads <= 1) {
    fn(p);
  } else if (p.m >= 96 || p.m >= p.n) {
    // Row blocks (multiples of 24 = lcm of the micro-kernel heights): every C element is computed
    // by the same FMA chain whatever the split (checked bit-exact in native/tests).
    int64_t g = (p.m + 2 * threads - 1) / (2 * threads);
    g = g < 24 ? 24 : (g + 23) / 24 * 24;
    parallel_for(p.m, g, [&](int64_t b, int64_t e) {
      GemmParams q = p;
      q.m = e - b;
      q.a = p.a + b * p.a_rs;
      q.c = p.c + b * p.ldc;
      fn(q);
    });
  } else {
    int64_t g = (p.n + 2 * threads - 1) / (2 * threads);
    g = g < 64 ? 64 : (g + 63) / 64 * 64;
    parallel_for(p.n, g, [&](int64_t b, int64_t e) {
      GemmParams q = p;
      q.n = e - b;
      q.b = p.b + b * p.b_cs;
      q.c = p.c + b;
      fn(q);
    });
  }
}

void conv2d(const Conv2dParams& p) { run_range(active_kernels().conv2d_forward, p, p.s.n, 1); }

void conv2d_backward(const Conv2dBackwardParams& p) {
  const KernelTable& T = active_kernels();
  if (p.dx) run_range(T.conv2d_backward_input, p, p.s.n, 1);
  if (p.dw) {
    if (p.s.n == 0) {
      const int64_t wLen = p.s.c_out * (p.s.c_in / p.s.groups) * p.s.kh * p.s.kw;
      std::memset(p.dw, 0, sizeof(float) * static_cast<size_t>(wLen));
    } else {
      // One chunk of output channels per thread: every chunk re-reads the whole batch (padded, or im2col).
      const int64_t t = num_threads();
      int64_t grain = (p.s.c_out + t - 1) / t;
      if (grain < 1) grain = 1;
      run_range(T.conv2d_backward_weight, p, p.s.c_out, grain);
    }
  }
  if (p.dbias) run_range(T.conv2d_backward_bias, p, p.s.c_out, 16);
}

void maxpool2d(const MaxPool2dParams& p) {
  run_range(active_kernels().maxpool2d_forward, p, p.s.n * p.s.c, row_grain(p.s.h * p.s.w * 4));
}

void maxpool2d_backward(const MaxPool2dBackwardParams& p) {
  run_range(active_kernels().maxpool2d_backward, p, p.s.n * p.s.c, row_grain(p.s.h * p.s.w * 4));
}

void binary(const BinaryParams& p) {
  auto fn = active_kernels().binary;
  const int64_t rows = p.rows, cols = p.cols, total = rows * cols;
  if (total == 0) return;
  // Dense-compatible operands (contiguous [rows, cols] or a scalar) run as one long row.
  auto flat = [&](int64_t rs, int64_t cs) { return (cs == 1 && rs == cols) || (cs == 0 && rs == 0); };
  if (flat(p.a_rs, p.a_cs) && flat(p.b_rs, p.b_cs) && p.ldo == cols) {
    parallel_for(total, elem_grain(total), [&](int64_t b, int64_t e) {
      fn({p.op, p.a + (p.a_cs ? b : 0), 0, p.a_cs, p.b + (p.b_cs ? b : 0), 0, p.b_cs, p.out + b, 0, 1, e - b});
    });
  } else if (rows == 1 || rows < num_threads()) {
    parallel_for(cols, elem_grain(cols * rows), [&](int64_t b, int64_t e) {
      fn({p.op, p.a + b * p.a_cs, p.a_rs, p.a_cs, p.b + b * p.b_cs, p.b_rs, p.b_cs, p.out + b, p.ldo, rows, e - b});
    });
  } else {
    int64_t g = elem_grain(total) / (cols > 0 ? cols : 1);
    if (g < 1) g = 1;
    parallel_for(rows, g, [&](int64_t b, int64_t e) {
      fn({p.op, p.a + b * p.a_rs, p.a_rs, p.a_cs, p.b + b * p.b_rs, p.b_rs, p.b_cs, p.out + b * p.ldo, p.ldo, e - b,
          cols});
    });
  }
}

void unary(const UnaryParams& p) { run_range(active_kernels().unary, p, p.size, elem_grain(p.size)); }
void affine(const AffineParams& p) { run_range(active_kernels().affine, p, p.size, elem_grain(p.size)); }
void add_inplace(const AddInPlaceParams& p) { run_range(active_kernels().add_inplace, p, p.size, elem_grain(p.size)); }

void sum(const SumParams& p, int axis) {
  const KernelTable& T = active_kernels();
  const int64_t rows = p.rows, cols = p.cols;
  if (axis == 0) {
    int64_t g = elem_grain(rows * cols) / (rows > 0 ? rows : 1);
    g = g < 64 ? 64 : (g + 63) / 64 * 64;
    run_range(T.sum_rows, p, cols, g);
  } else if (axis == 1) {
    run_range(T.sum_cols, p, rows, row_grain(cols * 4));
  } else {
    const double total = run_sum(T.sum_all, p, rows * cols, kSumBlock, 1);
    p.out[0] = static_cast<float>(total * p.scale);
  }
}

void softmax(const SoftmaxParams& p) { run_range(active_kernels().softmax, p, p.rows, row_grain(p.cols * 8)); }

void softmax_backward(const SoftmaxBackwardParams& p) {
  run_range(active_kernels().softmax_backward, p, p.rows, row_grain(p.cols * 12));
}

void transpose(const TransposeParams& p) {
  int64_t g = elem_grain(p.rows * p.cols) / (p.cols > 0 ? p.cols : 1);
  g = g < 32 ? 32 : (g + 31) / 32 * 32;
  run_range(active_kernels().transpose, p, p.rows, g);
}

void dropout(const DropoutParams& p) { run_range(active_kernels().dropout, p, p.size, elem_grain(p.size)); }
void fake_quantize(const FakeQuantizeParams& p) {
  run_range(active_kernels().fake_quantize, p, p.size, elem_grain(p.size));
}
void sgd(const SgdParams& p) { run_range(active_kernels().sgd, p, p.size, elem_grain(p.size)); }
void adam(const AdamParams& p) { run_range(active_kernels().adam, p, p.size, elem_grain(p.size)); }

}  // namespace kd
