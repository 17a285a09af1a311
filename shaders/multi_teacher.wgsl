// Multi-teacher distillation: target q = sum_k w_k softmax(t_k / T), then forward KL.
//
//   loss = T^2 * sum_c q_c (log q_c - log p_s_c)          (q_c = 0 terms skipped)
//   d/ds   = T (p_s - q)
//   d/dt_k = T w_k p_k (a - <p_k, a>),  a = log q - log p_s
// Three entry points, one workgroup per row each:
//   build_target:     teacher k: stats[k * rows + row] = logsumexp(t_k / T); q (+)= w_k p_k
//   student:      stats[K * rows + row] = logsumexp(s / T); row loss; gradient w.r.t. s
//   teacher_grad: gradient w.r.t. teacher k (after target and student)
// Masked teacher classes (t = -Infinity, detected by bits or x < -3e38) have p_k = 0. Masked tokens
// (label == ignore_index) get q = 0 in build_target: loss 0, gradients 0.

struct Params {
  rows: u32,
  cols: u32,
  k: u32,         // teacher index (target, teacher_grad); K (student)
  flags: u32,     // target: bit 0 accumulate into q; student: bit 0 write grad
  inv_t: f32,
  t: f32,
  t2: f32,
  w: f32,         // w_k (target, teacher_grad)
  scale: f32,     // gradient scale
  mask: u32,      // build_target: 1 when labels are bound (token mask)
  ignore_index: i32,
  _pad2: u32,
}

override WG: u32 = 256u; // a power of two

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;     // t_k, or s for `student`
@group(0) @binding(2) var<storage, read_write> q: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;  // row loss or gradient
@group(0) @binding(5) var<storage, read_write> grad: array<f32>; // student gradient
@group(0) @binding(6) var<storage, read> student: array<f32>;    // teacher_grad only
@group(0) @binding(7) var<storage, read> labels: array<i32>;     // build_target, when mask

var<workgroup> red: array<vec2<f32>, WG>;

const LOWEST: f32 = -3.4028234e38;

fn is_masked(x: f32) -> bool {
  return bitcast<u32>(x) == 0xff800000u || x < -3.0e38;
}

fn push(a: vec2<f32>, z: f32) -> vec2<f32> {
  if (z > a.x) {
    return vec2<f32>(z, a.y * exp(a.x - z) + 1.0);
  }
  return vec2<f32>(a.x, a.y + exp(z - a.x));
}

fn merge(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  if (a.y == 0.0) { return b; }
  if (b.y == 0.0) { return a; }
  let m = max(a.x, b.x);
  return vec2<f32>(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));
}

fn reduce_lse(lid: u32, v: vec2<f32>) -> vec2<f32> {
  red[lid] = v;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off >> 1u) {
    if (lid < off) { red[lid] = merge(red[lid], red[lid + off]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn reduce_sum(lid: u32, v: vec2<f32>) -> vec2<f32> {
  red[lid] = v;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off >> 1u) {
    if (lid < off) { red[lid] = red[lid] + red[lid + off]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
fn build_target(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  // 0. A masked token: q = 0, so the row has loss 0 and zero gradients (as one whose every teacher
  //    class is masked) and its teacher rows are not read.
  if (P.mask != 0u && labels[row] == P.ignore_index) {
    for (var c = lid; c < P.cols; c += WG) { q[base + c] = 0.0; }
    return;
  }
  // 1. logsumexp of t_k / T.
  var a = vec2<f32>(LOWEST, 0.0);
  for (var c = lid; c < P.cols; c += WG) {
    let tv = logits[base + c];
    if (!is_masked(tv)) { a = push(a, tv * P.inv_t); }
  }
  let l = reduce_lse(lid, a);
  let lse = l.x + log(l.y);
  if (lid == 0u) { stats[P.k * P.rows + row] = lse; }
  // 2. q (+)= w_k p_k.
  let accumulate = (P.flags & 1u) != 0u;
  for (var c = lid; c < P.cols; c += WG) {
    let tv = logits[base + c];
    var p = 0.0;
    if (!is_masked(tv)) { p = P.w * exp(tv * P.inv_t - lse); }
    if (accumulate) { q[base + c] += p; } else { q[base + c] = p; }
  }
}

@compute @workgroup_size(WG)
fn student_loss(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  // 1. logsumexp of s / T.
  var a = vec2<f32>(LOWEST, 0.0);
  for (var c = lid; c < P.cols; c += WG) { a = push(a, logits[base + c] * P.inv_t); }
  let l = reduce_lse(lid, a);
  let lse = l.x + log(l.y);
  // 2. KL(q || p_s).
  var acc = vec2<f32>(0.0);
  for (var c = lid; c < P.cols; c += WG) {
    let qc = q[base + c];
    if (qc > 0.0) { acc += vec2<f32>(qc * (log(qc) - (logits[base + c] * P.inv_t - lse)), 1.0); }
  }
  let tot = reduce_sum(lid, acc);
  let kl = tot.x;
  if (lid == 0u) {
    stats[P.k * P.rows + row] = lse;
    out[row] = P.t2 * kl;
  }
  // 3. d/ds = T (p_s - q); 0 for a row where q is 0 everywhere (every teacher fully masked).
  if ((P.flags & 1u) == 0u) { return; }
  for (var c = lid; c < P.cols; c += WG) {
    var g = 0.0;
    if (tot.y > 0.0) { g = P.t * (exp(logits[base + c] * P.inv_t - lse) - q[base + c]); }
    grad[base + c] = P.scale * g;
  }
}

@compute @workgroup_size(WG)
fn teacher_grad(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let lse_k = stats[P.k * P.rows + row];
  let lse_s = stats[P.flags * P.rows + row]; // flags holds K here
  // 1. <p_k, a>.
  var acc = vec2<f32>(0.0);
  for (var c = lid; c < P.cols; c += WG) {
    let tv = logits[base + c];
    let qc = q[base + c];
    if (!is_masked(tv) && qc > 0.0) {
      let pk = exp(tv * P.inv_t - lse_k);
      acc.x += pk * (log(qc) - (student[base + c] * P.inv_t - lse_s));
    }
  }
  let dot = reduce_sum(lid, acc).x;
  // 2. d/dt_k = T w_k p_k (a - <p_k, a>).
  for (var c = lid; c < P.cols; c += WG) {
    let tv = logits[base + c];
    let qc = q[base + c];
    var g = 0.0;
    if (!is_masked(tv) && qc > 0.0) {
      let pk = exp(tv * P.inv_t - lse_k);
      g = P.t * P.w * pk * (log(qc) - (student[base + c] * P.inv_t - lse_s) - dot);
    }
    out[base + c] = P.scale * g;
  }
}
