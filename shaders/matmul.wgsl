// C[m, n] = op(A) op(B), op(A) [m, k], op(B) [k, n]; trans_a: A stored [k, m]; trans_b: B stored
// [n, k]. Register-blocked: a 16 x 16 workgroup computes a 64 x 64 tile of C, each thread a 4 x 4
// micro-tile (rows ty + 16 i, columns tx + 16 j: strided, so neighbouring threads read
// neighbouring workgroup-memory words). k is walked in steps of TK = 16 through two [TK][64]
// tiles in workgroup memory, loaded coalesced whatever the transposition: 16 multiply-adds per
// thread per loaded value, and 2 barriers per 16 * 64 * 64 multiply-adds.

struct Params {
  m: u32,
  k: u32,
  n: u32,
  trans_a: u32,
  trans_b: u32,
  tiles_n: u32,   // ceil(n / 64)
  _pad0: u32,
  _pad1: u32,
}

const TS: u32 = 64u;   // tile side (rows of A, columns of B)
const TK: u32 = 16u;   // k step

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

var<workgroup> sa: array<f32, 1024>;   // [TK][TS]: sa[kk * TS + row]
var<workgroup> sb: array<f32, 1024>;   // [TK][TS]: sb[kk * TS + col]

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let t = wid.y * nwg.x + wid.x;
  let r0 = (t / P.tiles_n) * TS;   // past m for the spare workgroups of a 2-D grid: loads give 0, stores skip
  let c0 = (t % P.tiles_n) * TS;
  var acc: array<vec4<f32>, 4>;    // acc[i][j]: C[r0 + ty + 16 i, c0 + tx + 16 j]
  for (var k0 = 0u; k0 < P.k; k0 += TK) {
    // 1. Load the [64 x 16] tile of op(A) and the [16 x 64] tile of op(B), 4 values per thread,
    //    consecutive threads on consecutive addresses of the stored layout.
    for (var q = 0u; q < 4u; q++) {
      let e = li + 256u * q;
      var row: u32; var kk: u32;
      if (P.trans_a != 0u) { kk = e / TS; row = e % TS; } else { row = e / TK; kk = e % TK; }
      let i = r0 + row;
      let ka = k0 + kk;
      var va = 0.0;
      if (i < P.m && ka < P.k) {
        if (P.trans_a != 0u) { va = A[ka * P.m + i]; } else { va = A[i * P.k + ka]; }
      }
      sa[kk * TS + row] = va;
      var col: u32; var kb: u32;
      if (P.trans_b != 0u) { col = e / TK; kb = e % TK; } else { kb = e / TS; col = e % TS; }
      let j = c0 + col;
      let kg = k0 + kb;
      var vb = 0.0;
      if (j < P.n && kg < P.k) {
        if (P.trans_b != 0u) { vb = B[j * P.k + kg]; } else { vb = B[kg * P.n + j]; }
      }
      sb[kb * TS + col] = vb;
    }
    workgroupBarrier();
    // 2. The 4 x 4 micro-tile: an outer product per k.
    for (var kk = 0u; kk < TK; kk++) {
      let ao = kk * TS + lid.y;
      let bo = kk * TS + lid.x;
      let a = vec4<f32>(sa[ao], sa[ao + 16u], sa[ao + 32u], sa[ao + 48u]);
      let b = vec4<f32>(sb[bo], sb[bo + 16u], sb[bo + 32u], sb[bo + 48u]);
      acc[0] += a.x * b;
      acc[1] += a.y * b;
      acc[2] += a.z * b;
      acc[3] += a.w * b;
    }
    workgroupBarrier();
  }
  // 3. Store the micro-tile.
  for (var i = 0u; i < 4u; i++) {
    let r = r0 + lid.y + 16u * i;
    if (r >= P.m) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = c0 + lid.x + 16u * j;
      if (c < P.n) { C[r * P.n + c] = acc[i][j]; }
    }
  }
}
