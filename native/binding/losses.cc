// N-API entry points of the fused loss kernels. Each checks every argument (args.h), then calls
// the dispatcher (dispatch/losses.h) synchronously. Signatures (positional; outputs are written in
// place, optional outputs may be null/undefined, a grad scale is read only when its gradient is
// requested):
//   softmaxKL(student, teacher, rows, cols, temperature, divergence /*0 fkl, 1 rkl, 2 jsd*/, beta,
//             rowLoss, gradStudent, gradTeacher, studentGradScale, teacherGradScale,
//             maskLabels /*Int32Array[rows] | null*/, maskIgnore /*rows whose label equals it are masked*/)
//   crossEntropy(logits, labels, rows, cols, labelSmoothing, ignoreIndex, weight, rowLoss, grad, gradScale)
//   hinton(student, teacher, labels, rows, cols, temperature, labelSmoothing, ignoreIndex, weight,
//          softRow, hardRow, grad, softGradScale, hardGradScale)
//   multiTeacherKL(student, teachers /*Float32Array[]*/, weights /*Float64Array[K], >= 0, sum 1*/, rows, cols,
//                  temperature, rowLoss, gradStudent, gradTeachers /*(Float32Array|null)[] | null*/,
//                  studentGradScale, teacherGradScales /*Float64Array[K] | null*/, maskLabels, maskIgnore)
//   gramSimilarity(student, teacher, b, ds, dt, loss /*[1]*/, gradStudent, gradTeacher,
//                  studentGradScale, teacherGradScale)
//   mse(a, b, size, sumSq /*[1]*/, gradA, gradB, aGradScale, bGradScale)
#include <napi.h>

#include <cmath>
#include <string>
#include <vector>

#include "../dispatch/losses.h"
#include "args.h"

using kd::binding::Args;

namespace {

// Labels in [0, cols) or == ignoreIndex, checked and then used from one addon-owned snapshot (the
// caller's array may be shared with a thread that writes it during the call).
std::vector<int32_t> checked_labels(const Args& a, const int32_t* labels, int64_t rows, int64_t cols, int64_t ignore) {
  std::vector<int32_t> y = Args::copy_in(labels, rows);
  for (int64_t i = 0; i < rows; ++i)
    if (y[i] != ignore && (y[i] < 0 || y[i] >= cols))
      a.range_error("labels", "[" + std::to_string(i) + "] = " + std::to_string(y[i]) + " is outside [0, cols = " +
                                  std::to_string(cols) + ") and is not ignoreIndex (" + std::to_string(ignore) + ")");
  return y;
}

// Optional token mask (arguments i: Int32Array [rows] or null/undefined, i + 1: ignore value),
// used from a snapshot; sets p.mask_labels / p.mask_ignore.
template <class P>
std::vector<int32_t> mask_labels(Args& a, size_t i, int64_t rows, P& p) {
  const int32_t* m = a.i32_in_opt(i, "maskLabels", rows, Args::shape1("rows", rows));
  if (!m) return {};
  p.mask_ignore = static_cast<int32_t>(a.integer(i + 1, "maskIgnore", INT32_MIN, INT32_MAX));
  std::vector<int32_t> y = Args::copy_in(m, rows);
  p.mask_labels = y.data();
  return y;
}

void check_finite(const Args& a, const char* name, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      a.range_error(name, "[" + std::to_string(i) + "] must be finite, got " + Args::num(x[i]));
}

Napi::Value SoftmaxKL(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "softmaxKL", [&]() -> Napi::Value {
    Args a(info, "softmaxKL");
    kd::SoftmaxKLParams p;
    p.rows = a.dim(2, "rows");
    p.cols = a.dim(3, "cols", 1);
    const std::string sh = Args::shape2("rows", p.rows, "cols", p.cols);
    p.student = a.f32_in(0, "student", p.rows * p.cols, sh);
    p.teacher = a.f32_in(1, "teacher", p.rows * p.cols, sh);
    p.temperature = a.temperature(4, "temperature");
    p.divergence = static_cast<kd::Divergence>(a.integer(5, "divergence", 0, 2));
    p.beta = a.in_range(6, "beta", 0.0, 1.0);
    p.row_loss = a.f32_out(7, "rowLoss", p.rows, Args::shape1("rows", p.rows));
    p.grad_student = a.f32_out_opt(8, "gradStudent", p.rows * p.cols, sh);
    p.grad_teacher = a.f32_out_opt(9, "gradTeacher", p.rows * p.cols, sh);
    if (p.grad_student) p.student_grad_scale = a.number(10, "studentGradScale");
    if (p.grad_teacher) p.teacher_grad_scale = a.number(11, "teacherGradScale");
    const std::vector<int32_t> mask = mask_labels(a, 12, p.rows, p);
    a.check_no_alias();
    kd::softmax_kl(p);
    return info.Env().Undefined();
  });
}

Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "crossEntropy", [&]() -> Napi::Value {
    Args a(info, "crossEntropy");
    kd::CrossEntropyParams p;
    p.rows = a.dim(2, "rows");
    p.cols = a.dim(3, "cols", 1);
    const std::string sh = Args::shape2("rows", p.rows, "cols", p.cols);
    p.logits = a.f32_in(0, "logits", p.rows * p.cols, sh);
    p.labels = a.i32_in(1, "labels", p.rows, Args::shape1("rows", p.rows));
    p.label_smoothing = a.in_range(4, "labelSmoothing", 0.0, 1.0);
    p.ignore_index = static_cast<int32_t>(a.integer(5, "ignoreIndex", INT32_MIN, INT32_MAX));
    p.weight = a.f32_in_opt(6, "weight", p.cols, Args::shape1("cols", p.cols));
    p.row_loss = a.f32_out(7, "rowLoss", p.rows, Args::shape1("rows", p.rows));
    p.grad = a.f32_out_opt(8, "grad", p.rows * p.cols, sh);
    if (p.grad) p.grad_scale = a.number(9, "gradScale");
    a.check_no_alias();
    const std::vector<int32_t> labels = checked_labels(a, p.labels, p.rows, p.cols, p.ignore_index);
    p.labels = labels.data();
    if (p.weight) check_finite(a, "weight", p.weight, p.cols);
    kd::cross_entropy(p);
    return info.Env().Undefined();
  });
}

Napi::Value Hinton(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "hinton", [&]() -> Napi::Value {
    Args a(info, "hinton");
    kd::HintonParams p;
    p.rows = a.dim(3, "rows");
    p.cols = a.dim(4, "cols", 1);
    const std::string sh = Args::shape2("rows", p.rows, "cols", p.cols);
    const std::string sr = Args::shape1("rows", p.rows);
    p.student = a.f32_in(0, "student", p.rows * p.cols, sh);
    p.teacher = a.f32_in(1, "teacher", p.rows * p.cols, sh);
    p.labels = a.i32_in(2, "labels", p.rows, sr);
    p.temperature = a.temperature(5, "temperature");
    p.label_smoothing = a.in_range(6, "labelSmoothing", 0.0, 1.0);
    p.ignore_index = static_cast<int32_t>(a.integer(7, "ignoreIndex", INT32_MIN, INT32_MAX));
    p.weight = a.f32_in_opt(8, "weight", p.cols, Args::shape1("cols", p.cols));
    p.soft_row = a.f32_out(9, "softRow", p.rows, sr);
    p.hard_row = a.f32_out(10, "hardRow", p.rows, sr);
    p.grad = a.f32_out_opt(11, "grad", p.rows * p.cols, sh);
    if (p.grad) {
      p.soft_grad_scale = a.number(12, "softGradScale");
      p.hard_grad_scale = a.number(13, "hardGradScale");
    }
    a.check_no_alias();
    const std::vector<int32_t> labels = checked_labels(a, p.labels, p.rows, p.cols, p.ignore_index);
    p.labels = labels.data();
    if (p.weight) check_finite(a, "weight", p.weight, p.cols);
    kd::hinton(p);
    return info.Env().Undefined();
  });
}

Napi::Value MultiTeacherKL(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "multiTeacherKL", [&]() -> Napi::Value {
    Args a(info, "multiTeacherKL");
    kd::MultiTeacherParams p;
    p.rows = a.dim(3, "rows");
    p.cols = a.dim(4, "cols", 1);
    const std::string sh = Args::shape2("rows", p.rows, "cols", p.cols);
    // 1. Every array element first: a getter may run JS (args.h).
    const std::vector<Napi::Value> tvals = a.elements(1, "teachers", "Float32Array of shape " + sh, 1, 4096);
    const int64_t K = static_cast<int64_t>(tvals.size());
    std::vector<Napi::Value> gvals;
    if (!a.absent(8)) {
      gvals = a.elements(8, "gradTeachers", "(Float32Array | null), or null,", 0, 4096);
      if (static_cast<int64_t>(gvals.size()) != K)
        a.range_error("gradTeachers", "must have K = " + std::to_string(K) + " entries, got " + std::to_string(gvals.size()));
    }
    // 2. Then the typed arrays; weights and scales are used from checked snapshots.
    p.student = a.f32_in(0, "student", p.rows * p.cols, sh);
    std::vector<const float*> teachers(K);
    for (int64_t k = 0; k < K; ++k)
      teachers[k] = a.typed_value<float>(tvals[k], "teachers[" + std::to_string(k) + "]", p.rows * p.cols, sh,
                                         napi_float32_array, "Float32Array", false, false);
    const std::string sk = Args::shape1("K", K);
    const std::vector<double> weights = Args::copy_in(a.f64_in(2, "weights", K, sk), K);
    double total = 0;
    for (int64_t k = 0; k < K; ++k) {
      if (!std::isfinite(weights[k]) || weights[k] < 0)
        a.range_error("weights", "[" + std::to_string(k) + "] must be finite and >= 0, got " + Args::num(weights[k]));
      total += weights[k];
    }
    if (std::fabs(total - 1) > 1e-5) a.range_error("weights", "must sum to 1, got " + Args::num(total));
    p.temperature = a.temperature(5, "temperature");
    p.row_loss = a.f32_out(6, "rowLoss", p.rows, Args::shape1("rows", p.rows));
    p.grad_student = a.f32_out_opt(7, "gradStudent", p.rows * p.cols, sh);
    std::vector<float*> gts(K, nullptr);
    bool any = false;
    for (size_t k = 0; k < gvals.size(); ++k) {
      gts[k] = a.typed_value<float>(gvals[k], "gradTeachers[" + std::to_string(k) + "]", p.rows * p.cols, sh,
                                    napi_float32_array, "Float32Array", true, true);
      any |= gts[k] != nullptr;
    }
    if (p.grad_student) p.student_grad_scale = a.number(9, "studentGradScale");
    std::vector<double> tscales;
    if (any) {
      tscales = Args::copy_in(a.f64_in(10, "teacherGradScales", K, sk), K);
      for (int64_t k = 0; k < K; ++k)
        if (gts[k] && !std::isfinite(tscales[k]))
          a.range_error("teacherGradScales", "[" + std::to_string(k) + "] must be finite, got " + Args::num(tscales[k]));
    }
    const std::vector<int32_t> mask = mask_labels(a, 11, p.rows, p);
    a.check_no_alias();
    p.teachers = teachers.data();
    p.k = static_cast<int32_t>(K);
    p.weights = weights.data();
    p.grad_teachers = any ? gts.data() : nullptr;
    p.teacher_grad_scales = any ? tscales.data() : nullptr;
    kd::multi_teacher_kl(p);
    return info.Env().Undefined();
  });
}

Napi::Value GramSimilarity(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "gramSimilarity", [&]() -> Napi::Value {
    Args a(info, "gramSimilarity");
    kd::GramParams p;
    p.b = a.integer(2, "b", 1, 65536);
    p.ds = a.dim(3, "ds", 1);
    p.dt = a.dim(4, "dt", 1);
    const std::string ss = Args::shape2("b", p.b, "ds", p.ds), st = Args::shape2("b", p.b, "dt", p.dt);
    p.student = a.f32_in(0, "student", p.b * p.ds, ss);
    p.teacher = a.f32_in(1, "teacher", p.b * p.dt, st);
    p.loss = a.f32_out(5, "loss", 1, "[1]");
    p.grad_student = a.f32_out_opt(6, "gradStudent", p.b * p.ds, ss);
    p.grad_teacher = a.f32_out_opt(7, "gradTeacher", p.b * p.dt, st);
    if (p.grad_student) p.student_grad_scale = a.number(8, "studentGradScale");
    if (p.grad_teacher) p.teacher_grad_scale = a.number(9, "teacherGradScale");
    a.check_no_alias();
    kd::gram_similarity(p);
    return info.Env().Undefined();
  });
}

Napi::Value Mse(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "mse", [&]() -> Napi::Value {
    Args a(info, "mse");
    kd::MseParams p;
    p.size = a.integer(2, "size", 0, int64_t(1) << 40);
    const std::string sh = Args::shape1("size", p.size);
    p.a = a.f32_in(0, "a", p.size, sh);
    p.b = a.f32_in(1, "b", p.size, sh);
    float* sum = a.f32_out(3, "sumSq", 1, "[1]");
    p.grad_a = a.f32_out_opt(4, "gradA", p.size, sh);
    p.grad_b = a.f32_out_opt(5, "gradB", p.size, sh);
    if (p.grad_a) p.a_grad_scale = a.number(6, "aGradScale");
    if (p.grad_b) p.b_grad_scale = a.number(7, "bGradScale");
    a.check_no_alias();
    sum[0] = static_cast<float>(kd::mse(p));
    return info.Env().Undefined();
  });
}

}  // namespace

void RegisterLosses(Napi::Env env, Napi::Object exports) {
  exports.Set("softmaxKL", Napi::Function::New(env, SoftmaxKL, "softmaxKL"));
  exports.Set("crossEntropy", Napi::Function::New(env, CrossEntropy, "crossEntropy"));
  exports.Set("hinton", Napi::Function::New(env, Hinton, "hinton"));
  exports.Set("multiTeacherKL", Napi::Function::New(env, MultiTeacherKL, "multiTeacherKL"));
  exports.Set("gramSimilarity", Napi::Function::New(env, GramSimilarity, "gramSimilarity"));
  exports.Set("mse", Napi::Function::New(env, Mse, "mse"));
}
