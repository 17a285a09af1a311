// Fused Hinton loss, one workgroup per row, one read of the student row per pass:
//   soft = T^2 * KL(softmax(t/T) || softmax(s/T))      (forward KL, see softmax_kl.wgsl)
//   hard = cross-entropy(s, y) at T = 1                 (see cross_entropy.wgsl)
// A row whose label is ignore_index is masked in both terms (0, zero gradient row).
//   grad = soft_scale * T (p_s - p_t) + hard_scale * d(hard)/ds
// Masked teacher classes (t = -Infinity, detected by bits or x < -3e38) contribute 0.

struct Params {
  rows: u32,
  cols: u32,
  ignore_index: i32,
  flags: u32,     // bit 0: write grad, bit 1: class weights bound
  inv_t: f32,
  t: f32,
  t2: f32,
  eps: f32,
  soft_scale: f32,
  hard_scale: f32,
  _pad0: u32,
  _pad1: u32,
}

override WG: u32 = 256u; // a power of two

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> student: array<f32>;
@group(0) @binding(2) var<storage, read> teacher: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<i32>;
@group(0) @binding(4) var<storage, read> weight: array<f32>;
@group(0) @binding(5) var<storage, read_write> soft_row: array<f32>;
@group(0) @binding(6) var<storage, read_write> hard_row: array<f32>;
@group(0) @binding(7) var<storage, read_write> grad: array<f32>;

var<workgroup> red: array<vec4<f32>, WG>;

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

fn reduce_lse(lid: u32, v: vec4<f32>) -> vec4<f32> {
  red[lid] = v;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off >> 1u) {
    if (lid < off) {
      let a = red[lid];
      let b = red[lid + off];
      red[lid] = vec4<f32>(merge(a.xy, b.xy), merge(a.zw, b.zw));
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn reduce_sum(lid: u32, v: vec4<f32>) -> vec4<f32> {
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
  let label = labels[row];
  let ignored = label == P.ignore_index;
  // 0. An ignored row (token) is masked in both terms: soft and hard 0, gradient row 0.
  if (ignored) {
    if (lid == 0u) { soft_row[row] = 0.0; hard_row[row] = 0.0; }
    if ((P.flags & 1u) != 0u) { for (var c = lid; c < cols; c += WG) { grad[base + c] = 0.0; } }
    return;
  }
  var y = 0u;
  if (!ignored) { y = u32(label); }

  // 1. logsumexp of s/T and t/T, then of s (T = 1).
  var ss = vec2<f32>(LOWEST, 0.0);
  var st = vec2<f32>(LOWEST, 0.0);
  var sx = vec2<f32>(LOWEST, 0.0);
  for (var c = lid; c < cols; c += WG) {
    let sv = student[base + c];
    ss = push(ss, sv * P.inv_t);
    sx = push(sx, sv);
    let tv = teacher[base + c];
    if (!is_masked(tv)) { st = push(st, tv * P.inv_t); }
  }
  let l = reduce_lse(lid, vec4<f32>(ss, st));
  let l1 = reduce_lse(lid, vec4<f32>(sx, LOWEST, 0.0));
  let lse_s = l.x + log(l.y);
  let lse_t = l.z + log(l.w);
  let lse = l1.x + log(l1.y);

  // 2. KL (x), smoothing sum_c w_c nl_c (y) and W = sum_c w_c (z).
  let eps = P.eps;
  let epc = eps / f32(cols);
  var acc = vec4<f32>(0.0);
  for (var c = lid; c < cols; c += WG) {
    let sv = student[base + c];
    let tv = teacher[base + c];
    if (!is_masked(tv)) {
      let lt = tv * P.inv_t - lse_t;
      let pt = exp(lt);
      if (pt > 0.0) { acc.x += pt * (lt - (sv * P.inv_t - lse_s)); }
    }
    if (eps != 0.0) {
      let w = w_of(c);
      acc.y += w * (lse - sv);
      acc.z += w;
    }
  }
  let tot = reduce_sum(lid, acc);
  var hard = 0.0;
  if (!ignored) { hard = w_of(y) * (1.0 - eps); }
  if (lid == 0u) {
    soft_row[row] = P.t2 * tot.x;
    if (ignored) {
      hard_row[row] = 0.0;
    } else {
      hard_row[row] = hard * (lse - student[base + y]) + epc * tot.y;
    }
  }

  // 3. grad = soft_scale * T (p_s - p_t) + hard_scale * d(hard)/ds.
  if ((P.flags & 1u) == 0u) { return; }
  let coef = hard + epc * tot.z;
  for (var c = lid; c < cols; c += WG) {
    let sv = student[base + c];
    let tv = teacher[base + c];
    var pt = 0.0;
    if (!is_masked(tv)) { pt = exp(tv * P.inv_t - lse_t); }
    let ps = exp(sv * P.inv_t - lse_s);
    var g = 0.0;
    if (l.w > 0.0) { g = P.soft_scale * P.t * (ps - pt); } // all-masked teacher row: soft part 0
    if (!ignored) {
      var gh = coef * exp(sv - lse) - epc * w_of(c);
      if (c == y) { gh -= hard; }
      g += P.hard_scale * gh;
    }
    grad[base + c] = g;
  }
}
