// Fused cross-entropy on integer labels (PyTorch semantics), one workgroup per row.
//
//   nl_c = logsumexp(x) - x_c                         (row max subtracted)
//   loss = w_y (1 - eps) nl_y + (eps / C) sum_c w_c nl_c        0 when y == ignore_index
//   d/dx_c = scale * ((w_y (1 - eps) + (eps / C) W) p_c - w_y (1 - eps) [c == y] - (eps / C) w_c)
//   with W = sum_c w_c, w = 1 without class weights.

struct Params {
  rows: u32,
  cols: u32,
  ignore_index: i32,
  flags: u32,     // bit 0: write grad, bit 1: class weights bound
  eps: f32,
  scale: f32,
  _pad0: u32,
  _pad1: u32,
}

override WG: u32 = 256u; // a power of two

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;

var<workgroup> red: array<vec2<f32>, WG>;

const LOWEST: f32 = -3.4028234e38;

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

fn w_of(c: u32) -> f32 {
  if ((P.flags & 2u) != 0u) { return weight[c]; }
  return 1.0;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= P.rows) { return; }
  let cols = P.cols;
  let base = row * cols;
  let want_grad = (P.flags & 1u) != 0u;
  let label = labels[row];

  // 0. Ignored row: zero loss and zero gradient.
  if (label == P.ignore_index) {
    if (lid == 0u) { row_loss[row] = 0.0; }
    if (want_grad) {
      for (var c = lid; c < cols; c += WG) { grad[base + c] = 0.0; }
    }
    return;
  }
  let y = u32(label);

  // 1. logsumexp of the row.
  var a = vec2<f32>(LOWEST, 0.0);
  for (var c = lid; c < cols; c += WG) { a = push(a, logits[base + c]); }
  let l = reduce_lse(lid, a);
  let lse = l.x + log(l.y);

  // 2. Smoothing terms sum_c w_c nl_c and W = sum_c w_c.
  let eps = P.eps;
  let epc = eps / f32(cols);
  var sm = vec2<f32>(0.0);
  if (eps != 0.0) {
    var acc = vec2<f32>(0.0);
    for (var c = lid; c < cols; c += WG) {
      let w = w_of(c);
      acc += vec2<f32>(w * (lse - logits[base + c]), w);
    }
    sm = reduce_sum(lid, acc);
  }
  let wy = w_of(y);
  let hard = wy * (1.0 - eps);
  if (lid == 0u) {
    row_loss[row] = hard * (lse - logits[base + y]) + epc * sm.x;
  }

  // 3. Gradient.
  if (!want_grad) { return; }
  let coef = hard + epc * sm.y;
  for (var c = lid; c < cols; c += WG) {
    let p = exp(logits[base + c] - lse);
    var g = coef * p - epc * w_of(c);
    if (c == y) { g -= hard; }
    grad[base + c] = P.scale * g;
  }
}
