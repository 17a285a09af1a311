// Fused Hinton loss, scalar variant: the C++ reference. soft = forward softmax-KL at T, hard =
// cross-entropy at T = 1; grad = softScale * dsoft + hardScale * dhard. Built from the two scalar
// reference kernels row by row (the SIMD variants fuse them into one read of s).
#include <vector>

#include "../kernel_list.h"

void kd_hinton_scalar(const kd::HintonParams& p, int64_t r0, int64_t r1) {
  const int64_t C = p.cols;
  std::vector<float> gsoft(p.grad ? C : 0), ghard(p.grad ? C : 0);
  for (int64_t i = r0; i < r1; ++i) {
    kd::SoftmaxKLParams kp;
    kp.student = p.student + i * C;
    kp.teacher = p.teacher + i * C;
    kp.rows = 1;
    kp.cols = C;
    kp.temperature = p.temperature;
    kp.divergence = kd::Divergence::ForwardKL;
    kp.row_loss = p.soft_row + i;
    kp.grad_student = p.grad ? gsoft.data() : nullptr;
    kp.student_grad_scale = p.soft_grad_scale;
    kd_softmax_kl_scalar(kp, 0, 1);
    kd::CrossEntropyParams cp;
    cp.logits = p.student + i * C;
    cp.labels = p.labels + i;
    cp.rows = 1;
    cp.cols = C;
    cp.label_smoothing = p.label_smoothing;
    cp.ignore_index = p.ignore_index;
    cp.weight = p.weight;
    cp.row_loss = p.hard_row + i;
    cp.grad = p.grad ? ghard.data() : nullptr;
    cp.grad_scale = p.hard_grad_scale;
    kd_cross_entropy_scalar(cp, 0, 1);
    if (p.grad)
      for (int64_t j = 0; j < C; ++j)
        p.grad[i * C + j] = static_cast<float>(static_cast<double>(gsoft[j]) + ghard[j]);
  }
}
