// Elementwise kernels, one thread per output element.
//   binary: out[i, j] = a(i, j) op b(i, j), operand (i, j) at storage[i * row_stride + j * col_stride]
//           (stride 0 broadcasts a row, a column or a scalar).
//           op: 0 add, 1 sub, 2 mul, 3 div, 4 reluGrad (b > 0 ? a : 0), 5 max, 6 min
//           (max / min propagate NaN, as torch.maximum / torch.minimum)
//   unary:  op: 0 relu (NaN stays NaN), 1 exp, 2 log, 3 neg, 4 square, 5 sqrt, 6 abs
//   affine: alpha * x + beta
// NaN is tested on the bits, since the shader compiler may assume finite math.

struct Params {
  rows: u32,
  cols: u32,
  op: u32,
  size: u32,
  a_row: u32,
  a_col: u32,
  b_row: u32,
  b_col: u32,
  alpha: f32,
  beta: f32,
  _pad0: u32,
  _pad1: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn flat(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

@compute @workgroup_size(WG)
fn binary(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let idx = flat(wid, nwg, lid);
  if (idx >= P.size) { return; }
  let i = idx / P.cols;
  let j = idx % P.cols;
  let av = a[i * P.a_row + j * P.a_col];
  let bv = b[i * P.b_row + j * P.b_col];
  var r = 0.0;
  switch (P.op) {
    case 0u: { r = av + bv; }
    case 1u: { r = av - bv; }
    case 2u: { r = av * bv; }
    case 3u: { r = av / bv; }
    case 4u: { if (bv > 0.0) { r = av; } }
    case 5u: { if (is_nan(av) || is_nan(bv)) { r = av + bv; } else { r = max(av, bv); } }
    default: { if (is_nan(av) || is_nan(bv)) { r = av + bv; } else { r = min(av, bv); } }
  }
  out[idx] = r;
}

@compute @workgroup_size(WG)
fn unary(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let idx = flat(wid, nwg, lid);
  if (idx >= P.size) { return; }
  let v = a[idx];
  var r = 0.0;
  switch (P.op) {
    case 0u: { if (is_nan(v)) { r = v; } else { r = max(v, 0.0); } }
    case 1u: { r = exp(v); }
    case 2u: { r = log(v); }
    case 3u: { r = -v; }
    case 4u: { r = v * v; }
    case 5u: { r = sqrt(v); }
    default: { r = abs(v); }
  }
  out[idx] = r;
}

@compute @workgroup_size(WG)
fn affine(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let idx = flat(wid, nwg, lid);
  if (idx >= P.size) { return; }
  out[idx] = P.alpha * a[idx] + P.beta;
}
