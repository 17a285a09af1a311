// Multi-teacher distillation: target q = sum_k w_k softmax(t_k / T), then forward KL.
//
//   loss = T^2 sum_c q_c (log q_c - log p_s_c)          (q_c = 0 terms skipped)
//   d/ds   = T (p_s - q)
//   d/dt_k = T w_k p_k (a - <p_k, a>),  a = log q - log p_s
// Log-probabilities are (x - m) / T - log S on the raw row max m (see _row.wgsl).
// Three entry points, one workgroup per row each:
//   build_target: teacher k: stats[k] = (m, log S) of t_k; q (+)= w_k p_k
//   student_loss: stats[K] = (m, log S) of s; row loss; gradient w.r.t. s
//   teacher_grad: gradient w.r.t. teacher k (after target and student)
// Masked teacher classes (t = -Infinity) have p_k = 0. A masked token (labels bound and the row's
// label == ignore_index) gets q = 0, loss 0 and gradients 0, whatever its logits. A NaN or
// +Infinity in a teacher row makes
// its q row NaN; one in q or the student makes the row loss and the gradients NaN.
//
// Memory passes: each teacher 2 reads (+ 2 more for its gradient), the student 2 reads, the
// [rows, cols] target q written K times and read 2 times (4 more with teacher gradients): this
// kernel is not at the 2-read limit of softmax_kl.wgsl (K buffers cannot be bound as one array).
// Occupancy: one workgroup (WG <= 256) per row.

struct Params {
  rows: u32,
  cols: u32,
  k: u32,         // teacher index (target, teacher_grad); K (student)
  flags: u32,     // target: bit 0 accumulate into q; student: bit 0 write grad; teacher_grad: K
  inv_t: f32,
  t: f32,
  t2: f32,
  w: f32,         // w_k (target, teacher_grad)
  scale: f32,     // gradient scale
  inf_bits: u32,  // 0x7f800000
  t4: f32,        // 4 T
  mask: u32,      // 1 when labels are bound (token mask)
  ignore_index: i32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

override WG: u32 = 256u; // a power of two

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;     // t_k, or s for `student`
@group(0) @binding(2) var<storage, read_write> q: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;  // row loss or gradient
@group(0) @binding(5) var<storage, read_write> grad: array<f32>; // student gradient
@group(0) @binding(6) var<storage, read> student: array<f32>;    // teacher_grad only
@group(0) @binding(7) var<storage, read> labels: array<i32>;     // when P.mask

fn masked_token(row: u32) -> bool {
  return P.mask != 0u && labels[row] == P.ignore_index;
}

// (m, log S, bad) of a row of logits at 1 / T, -Infinity entries skipped.
fn row_lse(l: Lane, base: u32) -> vec3<f32> {
  var a = vec2<f32>(ninf(), 0.0);
  var bad = 0.0;
  for (var c = l.lid; c < P.cols; c += WG) {
    let x = logits[base + c];
    if (is_bad(x)) { bad = 1.0; } else if (!is_ninf(x)) { _ = lse_push(&a, x, P.inv_t); }
  }
  let M = wg_max(l, vec4<f32>(a.x, bad, 0.0, 0.0));
  let S = wg_sum(l, vec4<f32>(lse_rescale(a.y, a.x, M.x, P.inv_t), 0.0, 0.0, 0.0));
  return vec3<f32>(M.x, log(S.x), M.y);
}

fn log_p(x: f32, st: vec2<f32>) -> f32 {
  return (x - st.x) * P.inv_t - st.y;
}

// T^2 (log q - log p_s) = T^2 (log q + log S) - 4T (q4(s) - q4(m)): finite wherever the product is,
// though log p_s alone may overflow (|s| ~ 3e38, T < 1).
fn t2_log_ratio(qc: f32, s: f32, st: vec2<f32>) -> f32 {
  return P.t2 * (log(qc) + st.y) - P.t4 * (q4(s) - q4(st.x));
}

@compute @workgroup_size(WG)
fn build_target(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, l: Lane) {
  let row = flat_row(wid, nwg);
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  // 0. A masked token: q = 0, its teacher rows are not read.
  if (masked_token(row)) {
    for (var c = l.lid; c < P.cols; c += WG) { q[base + c] = 0.0; }
    return;
  }
  // 1. (m, log S) of t_k.
  let r = row_lse(l, base);
  let st = r.xy;
  if (l.lid == 0u) { stats[P.k * P.rows + row] = st; }
  // 2. q (+)= w_k p_k (NaN for a row with a NaN or +Infinity).
  let accumulate = (P.flags & 1u) != 0u;
  for (var c = l.lid; c < P.cols; c += WG) {
    let tv = logits[base + c];
    var p = 0.0;
    if (!is_ninf(tv)) { p = P.w * exp(log_p(tv, st)); }
    if (r.z > 0.0) { p = nan(); }
    if (accumulate) { q[base + c] += p; } else { q[base + c] = p; }
  }
}

@compute @workgroup_size(WG)
fn student_loss(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, l: Lane) {
  let row = flat_row(wid, nwg);
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  // 0. A masked token: loss 0, gradient 0.
  if (masked_token(row)) {
    if (l.lid == 0u) { out[row] = 0.0; }
    if ((P.flags & 1u) != 0u) { for (var c = l.lid; c < P.cols; c += WG) { grad[base + c] = 0.0; } }
    return;
  }
  // 1. (m, log S) of s.
  let r = row_lse(l, base);
  let st = r.xy;
  // 2. T^2 KL(q || p_s) (T^2 (log q - log p_s) = T^2 (log q + log S) - 4T (q4(s) - q4(m)): no
  //    overflow where the product fits), whether q has mass, whether q is NaN.
  var acc = vec4<f32>(0.0);
  for (var c = l.lid; c < P.cols; c += WG) {
    let qc = q[base + c];
    if (is_bad(qc)) {
      acc.z = 1.0;
    } else if (qc > 0.0) {
      acc += vec4<f32>(qc * t2_log_ratio(qc, logits[base + c], st), 1.0, 0.0, 0.0);
    }
  }
  let tot = wg_sum(l, acc);
  let bad = r.z > 0.0 || tot.z > 0.0;
  if (l.lid == 0u) {
    stats[P.k * P.rows + row] = st;
    out[row] = select(tot.x, nan(), bad);
  }
  // 3. d/ds = T (p_s - q); 0 for a row where q is 0 everywhere (every teacher fully masked).
  if ((P.flags & 1u) == 0u) { return; }
  for (var c = l.lid; c < P.cols; c += WG) {
    var g = 0.0;
    if (tot.y > 0.0) {
      let sv = logits[base + c];
      g = P.t * (select(exp(log_p(sv, st)), 0.0, is_ninf(sv)) - q[base + c]);
    }
    if (bad) { g = nan(); }
    grad[base + c] = P.scale * g;
  }
}

@compute @workgroup_size(WG)
fn teacher_grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, l: Lane) {
  let row = flat_row(wid, nwg);
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  if (masked_token(row)) {
    for (var c = l.lid; c < P.cols; c += WG) { out[base + c] = 0.0; }
    return;
  }
  let st_k = stats[P.k * P.rows + row];
  let st_s = stats[P.flags * P.rows + row]; // flags holds K here
  // 1. <p_k, log q>, <p_k, q4(s) - q4(m_s)>, and whether anything is NaN.
  var acc = vec4<f32>(0.0);
  for (var c = l.lid; c < P.cols; c += WG) {
    let tv = logits[base + c];
    let qc = q[base + c];
    let sv = student[base + c];
    if (is_bad(qc) || is_bad(sv)) {
      acc.y = 1.0;
    } else if (!is_ninf(tv) && qc > 0.0) {
      let pk = exp(log_p(tv, st_k));
      acc.x += pk * log(qc);
      acc.z += pk * (q4(sv) - q4(st_s.x));
    }
  }
  let tot = wg_sum(l, acc);
  // 2. d/dt_k = T w_k p_k (a - <p_k, a>), a = log q - log p_s
  //           = w_k p_k (T (log q - <p_k, log q>) - 4 (q4(s) - q4(m_s) - <p_k, q4(s) - q4(m_s)>)).
  for (var c = l.lid; c < P.cols; c += WG) {
    let tv = logits[base + c];
    let qc = q[base + c];
    var g = 0.0;
    var pk = 0.0;
    if (!is_ninf(tv)) { pk = exp(log_p(tv, st_k)); }
    if (pk > 0.0 && qc > 0.0) {
      let ds = (q4(student[base + c]) - q4(st_s.x)) - tot.z;
      g = 4.0 * (P.w * pk * (0.25 * P.t * (log(qc) - tot.x) - ds)); // x 4 last: no overflow before the product
    }
    if (tot.y > 0.0) { g = nan(); }
    out[base + c] = P.scale * g;
  }
}
