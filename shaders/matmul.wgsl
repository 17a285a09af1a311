// C[m, n] = op(A) op(B), op(A) [m, k], op(B) [k, n]; trans_a: A stored [k, m]; trans_b: B stored
// [n, k]. Tiled in workgroup memory: each workgroup computes a TILE x TILE block of C, walking k
// in TILE steps through two TILE x TILE tiles.

struct Params {
  m: u32,
  k: u32,
  n: u32,
  trans_a: u32,
  trans_b: u32,
  tiles_n: u32,   // ceil(n / TILE)
  _pad0: u32,
  _pad1: u32,
}

override TILE: u32 = 16u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

var<workgroup> ta: array<f32, TILE * TILE>;
var<workgroup> tb: array<f32, TILE * TILE>;

fn load_a(i: u32, kk: u32) -> f32 {
  if (i >= P.m || kk >= P.k) { return 0.0; }
  if (P.trans_a != 0u) { return A[kk * P.m + i]; }
  return A[i * P.k + kk];
}

fn load_b(kk: u32, j: u32) -> f32 {
  if (kk >= P.k || j >= P.n) { return 0.0; }
  if (P.trans_b != 0u) { return B[j * P.k + kk]; }
  return B[kk * P.n + j];
}

@compute @workgroup_size(TILE, TILE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let t = wid.y * nwg.x + wid.x;
  let tm = t / P.tiles_n;
  let tn = t % P.tiles_n;
  let i = tm * TILE + lid.y;
  let j = tn * TILE + lid.x;
  var acc = 0.0;
  for (var k0 = 0u; k0 < P.k; k0 += TILE) {
    // 1. Load one tile of op(A) rows i.. and one of op(B) columns j...
    ta[lid.y * TILE + lid.x] = load_a(i, k0 + lid.x);
    tb[lid.y * TILE + lid.x] = load_b(k0 + lid.y, j);
    workgroupBarrier();
    // 2. Multiply the tiles.
    for (var kk = 0u; kk < TILE; kk++) {
      acc += ta[lid.y * TILE + kk] * tb[kk * TILE + lid.x];
    }
    workgroupBarrier();
  }
  if (i < P.m && j < P.n) { C[i * P.n + j] = acc; }
}
