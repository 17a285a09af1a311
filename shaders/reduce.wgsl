// Sum reductions of a row-major [rows, cols] matrix, times `scale`:
//   sum_rows: out[j] = scale * sum_i x[i, j]    (one thread per column, coalesced)
//   sum_cols: out[i] = scale * sum_j x[i, j]    (one workgroup per row)
//   partial + finish: out[0] = scale * sum of all (grid-stride partial sums, then one workgroup)

struct Params {
  rows: u32,
  cols: u32,
  size: u32,      // partial: element count; finish: partial count
  _pad0: u32,
  scale: f32,
  _pad1: u32,
  _pad2: u32,
  _pad3: u32,
}

override WG: u32 = 256u; // a power of two

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, WG>;

fn reduce_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off >> 1u) {
    if (lid < off) { red[lid] += red[lid + off]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
fn sum_rows(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let j = (wid.y * nwg.x + wid.x) * WG + lid;
  if (j >= P.cols) { return; }
  var acc = 0.0;
  for (var i = 0u; i < P.rows; i++) { acc += x[i * P.cols + j]; }
  out[j] = acc * P.scale;
}

@compute @workgroup_size(WG)
fn sum_cols(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = wid.y * nwg.x + wid.x;
  if (i >= P.rows) { return; }
  var acc = 0.0;
  for (var j = lid; j < P.cols; j += WG) { acc += x[i * P.cols + j]; }
  let tot = reduce_sum(lid, acc);
  if (lid == 0u) { out[i] = tot * P.scale; }
}

@compute @workgroup_size(WG)
fn partial(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  var acc = 0.0;
  for (var i = wid.x * WG + lid; i < P.size; i += nwg.x * WG) { acc += x[i]; }
  let tot = reduce_sum(lid, acc);
  if (lid == 0u) { out[wid.x] = tot; }
}

@compute @workgroup_size(WG)
fn finish(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < P.size; i += WG) { acc += x[i]; }
  let tot = reduce_sum(lid, acc);
  if (lid == 0u) { out[0] = tot * P.scale; }
}
