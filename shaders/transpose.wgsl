// out[j, i] = x[i, j] for a row-major [rows, cols] x, through a TILE x (TILE + 1) workgroup tile.

struct Params {
  rows: u32,
  cols: u32,
  tiles_x: u32,   // ceil(cols / TILE)
  _pad0: u32,
}

override TILE: u32 = 16u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> tile: array<f32, TILE * (TILE + 1u)>;

@compute @workgroup_size(TILE, TILE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let t = wid.y * nwg.x + wid.x;
  let tr = t / P.tiles_x;
  let tc = t % P.tiles_x;
  let i = tr * TILE + lid.y;
  let j = tc * TILE + lid.x;
  if (i < P.rows && j < P.cols) { tile[lid.y * (TILE + 1u) + lid.x] = x[i * P.cols + j]; }
  workgroupBarrier();
  let oi = tc * TILE + lid.y; // out row = x column
  let oj = tr * TILE + lid.x; // out column = x row
  if (oi < P.cols && oj < P.rows) { out[oi * P.rows + oj] = tile[lid.x * (TILE + 1u) + lid.y]; }
}
