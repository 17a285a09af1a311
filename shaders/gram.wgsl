// Similarity-preserving loss (Tung & Mori 2019): G = F F^T, rows of G L2-normalised
// (Gn_i = G_i / max(||G_i||, 1e-12)), loss = ||Gn_s - Gn_t||_F^2 / b^2.
//
// Backward: D = Gn_s - Gn_t, dGn_s = 2 D / b^2 (times the scale), dGn_t = -2 D / b^2;
// through the row normalisation (n = ||G_i||): dG_i = (dGn_i - Gn_i <Gn_i, dGn_i>) / n when
// n > 1e-12, else dGn_i / 1e-12; through G = F F^T: dF = (dG + dG^T) F.
// Entry points: gram (tiled F F^T), rows (one workgroup per row of G: loss row, dG rows),
// finish (one workgroup: loss = sum of row losses / b^2), grad_f (tiled (dG + dG^T) F).

struct Params {
  b: u32,
  d: u32,
  flags: u32,    // rows: bit 0 write dG_s, bit 1 write dG_t
  _pad0: u32,
  s_coef: f32,   // rows: 2 * scale_s / b^2
  t_coef: f32,   // rows: 2 * scale_t / b^2
  inv_b2: f32,   // finish: 1 / b^2
  _pad1: u32,
}

override TILE: u32 = 16u;
override WG: u32 = 256u; // a power of two

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> fa: array<f32>;            // gram: F; rows: G_s; grad_f: dG; finish: row losses
@group(0) @binding(2) var<storage, read> fb: array<f32>;            // rows: G_t; grad_f: F
@group(0) @binding(3) var<storage, read_write> outa: array<f32>;    // gram: G; rows: row losses; grad_f: dF; finish: loss
@group(0) @binding(4) var<storage, read_write> outb: array<f32>;    // rows: dG_s
@group(0) @binding(5) var<storage, read_write> outc: array<f32>;    // rows: dG_t

var<workgroup> ta: array<f32, TILE * TILE>;
var<workgroup> tb: array<f32, TILE * TILE>;
var<workgroup> red: array<vec4<f32>, WG>;

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

// G[i, j] = sum_k F[i, k] F[j, k], a TILE x TILE block of G per workgroup.
@compute @workgroup_size(TILE, TILE)
fn gram(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let b = P.b;
  let d = P.d;
  let i = wid.y * TILE + lid.y;
  let j = wid.x * TILE + lid.x;
  let jr = wid.x * TILE + lid.y; // the F row this thread loads for the j side
  var acc = 0.0;
  for (var k0 = 0u; k0 < d; k0 += TILE) {
    let k = k0 + lid.x;
    var va = 0.0;
    var vb = 0.0;
    if (i < b && k < d) { va = fa[i * d + k]; }
    if (jr < b && k < d) { vb = fa[jr * d + k]; }
    ta[lid.y * TILE + lid.x] = va;
    tb[lid.y * TILE + lid.x] = vb;
    workgroupBarrier();
    for (var kk = 0u; kk < TILE; kk++) {
      acc += ta[lid.y * TILE + kk] * tb[lid.x * TILE + kk];
    }
    workgroupBarrier();
  }
  if (i < b && j < b) { outa[i * b + j] = acc; }
}

// One workgroup per row i of G_s and G_t.
@compute @workgroup_size(WG)
fn rows(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = wid.y * nwg.x + wid.x;
  let b = P.b;
  if (i >= b) { return; }
  let base = i * b;
  // 1. Row norms.
  var acc = vec4<f32>(0.0);
  for (var j = lid; j < b; j += WG) {
    let gs = fa[base + j];
    let gt = fb[base + j];
    acc += vec4<f32>(gs * gs, gt * gt, 0.0, 0.0);
  }
  let nn = reduce_sum(lid, acc);
  let ns = max(sqrt(nn.x), 1e-12);
  let nt = max(sqrt(nn.y), 1e-12);
  // 2. sum D^2, <Gn_s, D>, <Gn_t, D>.
  acc = vec4<f32>(0.0);
  for (var j = lid; j < b; j += WG) {
    let gs = fa[base + j] / ns;
    let gt = fb[base + j] / nt;
    let dd = gs - gt;
    acc += vec4<f32>(dd * dd, gs * dd, gt * dd, 0.0);
  }
  let tot = reduce_sum(lid, acc);
  if (lid == 0u) { outa[i] = tot.x; }
  // 3. dG rows.
  let want_s = (P.flags & 1u) != 0u;
  let want_t = (P.flags & 2u) != 0u;
  let full_s = sqrt(nn.x) > 1e-12;
  let full_t = sqrt(nn.y) > 1e-12;
  for (var j = lid; j < b; j += WG) {
    let gs = fa[base + j] / ns;
    let gt = fb[base + j] / nt;
    let dd = gs - gt;
    if (want_s) {
      var g = P.s_coef * dd;
      if (full_s) { g = P.s_coef * (dd - gs * tot.y); }
      outb[base + j] = g / ns;
    }
    if (want_t) {
      var g = -P.t_coef * dd;
      if (full_t) { g = -P.t_coef * (dd - gt * tot.z); }
      outc[base + j] = g / nt;
    }
  }
}

// loss[0] = sum_i rowLoss[i] / b^2, one workgroup.
@compute @workgroup_size(WG)
fn finish(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < P.b; i += WG) { acc += fa[i]; }
  let tot = reduce_sum(lid, vec4<f32>(acc, 0.0, 0.0, 0.0));
  if (lid == 0u) { outa[0] = tot.x * P.inv_b2; }
}

// dF[i, k] = sum_j (dG[i, j] + dG[j, i]) F[j, k], a TILE x TILE block of dF per workgroup.
@compute @workgroup_size(TILE, TILE)
fn grad_f(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let b = P.b;
  let d = P.d;
  let i = wid.y * TILE + lid.y;
  let k = wid.x * TILE + lid.x;
  var acc = 0.0;
  for (var j0 = 0u; j0 < b; j0 += TILE) {
    let ja = j0 + lid.x;
    let jb = j0 + lid.y;
    var va = 0.0;
    var vb = 0.0;
    if (i < b && ja < b) { va = fa[i * b + ja] + fa[ja * b + i]; }
    if (jb < b && k < d) { vb = fb[jb * d + k]; }
    ta[lid.y * TILE + lid.x] = va;
    tb[lid.y * TILE + lid.x] = vb;
    workgroupBarrier();
    for (var jj = 0u; jj < TILE; jj++) {
      acc += ta[lid.y * TILE + jj] * tb[jj * TILE + lid.x];
    }
    workgroupBarrier();
  }
  if (i < b && k < d) { outa[i * d + k] = acc; }
}
