// Fused cross-entropy on integer labels (PyTorch semantics), forward and backward.
//
//   log p_c = (x_c - m) - log S                  (raw row max m, S = sum exp(x - m); _row.wgsl)
//   loss = w_y (1 - eps) (-log p_y) + (eps / C) sum_c w_c (-log p_c)         0 when y == ignore_index
//        = w_y (1 - eps) ((m - x_y) + log S) + (eps / C) W (log S + 4 mean_w(q4(m) - q4(x)))
//   d/dx_c = scale * ((w_y (1 - eps) + (eps / C) W) p_c - w_y (1 - eps) [c == y] - (eps / C) w_c)
//   with W = sum_c w_c, w = 1 without class weights; the w-weighted mean is kept online.
//
// Non-finite inputs: a NaN or +Infinity logit makes the row's loss NaN and its gradient NaN; a
// -Infinity logit has p = 0 (the loss is +Infinity if it is the label, or with smoothing).
//
// Memory passes: 2 reads of each logit (pass 1: online max, sum, smoothing mean; pass 2: the
// gradient, which needs the final log S), 1 write of the gradient; the loss is written after
// pass 1. Without a gradient, 1 read. Occupancy: one workgroup (WG <= 256, 4 KB of workgroup
// memory) per row, as in softmax_kl.wgsl.

struct Params {
  rows: u32,
  cols: u32,
  ignore_index: i32,
  flags: u32,     // bit 0: write grad, bit 1: class weights bound
  eps: f32,
  scale: f32,
  inf_bits: u32,  // 0x7f800000
  _pad: u32,
}

override WG: u32 = 256u; // a power of two

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;

fn w_of(c: u32) -> f32 {
  if ((P.flags & 2u) != 0u) { return weight[c]; }
  return 1.0;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, l: Lane) {
  let row = flat_row(wid, nwg);
  if (row >= P.rows) { return; }
  let cols = P.cols;
  let base = row * cols;
  let want_grad = (P.flags & 1u) != 0u;
  let label = labels[row];

  // 0. Ignored row: zero loss and zero gradient.
  if (label == P.ignore_index) {
    if (l.lid == 0u) { row_loss[row] = 0.0; }
    if (want_grad) {
      for (var c = l.lid; c < cols; c += WG) { grad[base + c] = 0.0; }
    }
    return;
  }
  let y = u32(label);
  let eps = P.eps;
  let smoothing = eps != 0.0;

  // 1. Online max and sum, the w-weighted mean of q4(m) - q4(x) and W (smoothing only).
  var a = vec2<f32>(ninf(), 0.0);
  var z = 0.0;
  var W = 0.0;
  var bad = 0.0;
  var ninf_seen = 0.0;
  for (var c = l.lid; c < cols; c += WG) {
    let x = logits[base + c];
    if (is_bad(x)) { bad = 1.0; continue; }
    var w = 0.0;
    if (smoothing) { w = w_of(c); }
    if (is_ninf(x)) { ninf_seen = 1.0; W += w; continue; } // loss +Infinity with smoothing; W still counts it
    let r = lse_push(&a, x, 1.0);
    if (smoothing) {
      if (W > 0.0) { z += r.y; }
      W += w;
      if (w > 0.0) { z = mean_push(z, w, q4(a.x) - q4(x), W); }
    }
  }
  let M = wg_max(l, vec4<f32>(a.x, bad, ninf_seen, 0.0));
  let m = M.x;
  var zl = 0.0;
  if (W > 0.0) { zl = z + q4(m) - q4(a.x); }
  let S = wg_sum(l, vec4<f32>(lse_rescale(a.y, a.x, m, 1.0), W, 0.0, 0.0));
  var Z = 0.0;
  if (smoothing) {
    var v = 0.0;
    if (W > 0.0) { v = (W / S.y) * zl; }
    Z = wg_sum(l, vec4<f32>(v, 0.0, 0.0, 0.0)).x;
  }
  let lsum = log(S.x);
  let epc = eps / f32(cols);
  let hard = w_of(y) * (1.0 - eps);
  let is_bad_row = M.y > 0.0;
  if (l.lid == 0u) {
    var loss = 0.0;
    if (hard != 0.0) { loss = hard * ((m - logits[base + y]) + lsum); }
    if (smoothing) {
      if (M.z > 0.0) { loss = pinf(); } else { loss += epc * S.y * (lsum + 4.0 * Z); }
    }
    if (is_bad_row) { loss = nan(); }
    row_loss[row] = loss;
  }

  // 2. Gradient.
  if (!want_grad) { return; }
  let coef = hard + epc * S.y;
  for (var c = l.lid; c < cols; c += WG) {
    let x = logits[base + c];
    let p = select(exp((x - m) - lsum), 0.0, is_ninf(x));
    var g = coef * p - epc * w_of(c);
    if (c == y) { g -= hard; }
    if (is_bad_row) { g = nan(); }
    grad[base + c] = P.scale * g;
  }
}
