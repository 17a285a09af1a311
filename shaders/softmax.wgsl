// Row softmax / log-softmax and their backward, one workgroup per row (max subtracted).
//   forward:  y = exp(x - lse)  or  y = x - lse
//   backward: softmax     dx = y (g - <g, y>)
//             logSoftmax  dx = g - exp(y) sum(g)

struct Params {
  rows: u32,
  cols: u32,
  log_mode: u32,
  _pad0: u32,
}

override WG: u32 = 256u; // a power of two

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;        // forward: x; backward: y
@group(0) @binding(2) var<storage, read> g: array<f32>;        // backward: upstream gradient
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

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

@compute @workgroup_size(WG)
fn forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  var a = vec2<f32>(LOWEST, 0.0);
  for (var c = lid; c < P.cols; c += WG) { a = push(a, x[base + c]); }
  red[lid] = a;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off >> 1u) {
    if (lid < off) { red[lid] = merge(red[lid], red[lid + off]); }
    workgroupBarrier();
  }
  let lse = red[0].x + log(red[0].y);
  for (var c = lid; c < P.cols; c += WG) {
    let l = x[base + c] - lse;
    if (P.log_mode != 0u) { out[base + c] = l; } else { out[base + c] = exp(l); }
  }
}

@compute @workgroup_size(WG)
fn backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  let log_mode = P.log_mode != 0u;
  var acc = 0.0;
  for (var c = lid; c < P.cols; c += WG) {
    if (log_mode) { acc += g[base + c]; } else { acc += g[base + c] * x[base + c]; }
  }
  red[lid] = vec2<f32>(acc, 0.0);
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off >> 1u) {
    if (lid < off) { red[lid] = red[lid] + red[lid + off]; }
    workgroupBarrier();
  }
  let s = red[0].x;
  for (var c = lid; c < P.cols; c += WG) {
    let y = x[base + c];
    if (log_mode) { out[base + c] = g[base + c] - exp(y) * s; } else { out[base + c] = y * (g[base + c] - s); }
  }
}
