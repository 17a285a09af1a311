// 2-D convolution, NCHW, square stride and zero padding, groups (depthwise when groups = cIn).
//   forward:         y[n, co, oy, ox] = bias[co] + sum_{cig, ky, kx} x[n, g*cinpg + cig, oy*s - p + ky,
//                                       ox*s - p + kx] * w[co, cig, ky, kx],  g = co / coutpg
//   backward_input:  dx[n, ci, iy, ix] = sum_{co in group, ky, kx, oy*s - p + ky = iy, ...} g * w
//   backward_weight: dw[co, cig, ky, kx] = sum_{n, oy, ox} g[n, co, oy, ox] x[n, ci, iy, ix]
//                    (one workgroup per weight, strided over n, oy, ox, workgroup reduction)
//   backward_bias:   db[co] = sum_{n, oy, ox} g[n, co, oy, ox] (one workgroup per channel)
//   gemm_*:          the same three as implicit GEMMs (im2col computed while loading the tiles, never
//                    stored), register-blocked like matmul.wgsl; used when the group's matrix is
//                    wide enough (depthwise convolutions keep the direct kernels above). Per group g:
//     mode 0 forward:         Y_g [coutpg, n*P]   = W_g [coutpg, cinpg*kh*kw] . im2col(x)_g
//     mode 1 backward_input:  dX_g [cinpg, n*H*W] = W_g^T [cinpg, coutpg*kh*kw] . col2im-gather(g)_g
//     mode 2 backward_weight: dW_g [coutpg, cinpg*kh*kw] = G_g [coutpg, n*P] . im2col(x)_g^T,
//                             split over k (n*P) into `splits` partial sums, added by reduce.wgsl

struct Params {
  n: u32,
  c_in: u32,
  h: u32,
  w: u32,
  c_out: u32,
  kh: u32,
  kw: u32,
  stride: u32,
  padding: u32,
  groups: u32,
  h_out: u32,
  w_out: u32,
  has_bias: u32,
  gm: u32,        // gemm only: rows, columns and depth of the per-group product
  gn: u32,
  gk: u32,
  tiles_m: u32,   // ceil(gm / 64)
  tiles_n: u32,   // ceil(gn / 64)
  k_chunk: u32,   // depth per split (a multiple of 16)
  splits: u32,
  mode: u32,      // 0 forward, 1 backward_input, 2 backward_weight
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

override WG: u32 = 256u; // a power of two

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;     // forward: x; backward: g
@group(0) @binding(2) var<storage, read> wt: array<f32>;      // forward / backward_input: w; backward_weight: x
@group(0) @binding(3) var<storage, read> bias: array<f32>;    // forward
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, WG>;

fn flat(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.y * nwg.x + wid.x;
}

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
fn forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let idx = flat(wid, nwg) * WG + lid;
  if (idx >= P.n * P.c_out * P.h_out * P.w_out) { return; }
  let ox = idx % P.w_out;
  let oy = (idx / P.w_out) % P.h_out;
  let co = (idx / (P.w_out * P.h_out)) % P.c_out;
  let n = idx / (P.w_out * P.h_out * P.c_out);
  let cinpg = P.c_in / P.groups;
  let coutpg = P.c_out / P.groups;
  let g = co / coutpg;
  var acc = 0.0;
  for (var cig = 0u; cig < cinpg; cig++) {
    let ci = g * cinpg + cig;
    for (var ky = 0u; ky < P.kh; ky++) {
      let iy = i32(oy * P.stride + ky) - i32(P.padding);
      if (iy < 0 || iy >= i32(P.h)) { continue; }
      for (var kx = 0u; kx < P.kw; kx++) {
        let ix = i32(ox * P.stride + kx) - i32(P.padding);
        if (ix < 0 || ix >= i32(P.w)) { continue; }
        acc += src[((n * P.c_in + ci) * P.h + u32(iy)) * P.w + u32(ix)] *
               wt[((co * cinpg + cig) * P.kh + ky) * P.kw + kx];
      }
    }
  }
  if (P.has_bias != 0u) { acc += bias[co]; }
  out[idx] = acc;
}

@compute @workgroup_size(WG)
fn backward_input(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let idx = flat(wid, nwg) * WG + lid;
  if (idx >= P.n * P.c_in * P.h * P.w) { return; }
  let ix = idx % P.w;
  let iy = (idx / P.w) % P.h;
  let ci = (idx / (P.w * P.h)) % P.c_in;
  let n = idx / (P.w * P.h * P.c_in);
  let cinpg = P.c_in / P.groups;
  let coutpg = P.c_out / P.groups;
  let g = ci / cinpg;
  let cig = ci % cinpg;
  var acc = 0.0;
  for (var col = 0u; col < coutpg; col++) {
    let co = g * coutpg + col;
    for (var ky = 0u; ky < P.kh; ky++) {
      let ty = i32(iy + P.padding) - i32(ky);
      if (ty < 0 || (u32(ty) % P.stride) != 0u) { continue; }
      let oy = u32(ty) / P.stride;
      if (oy >= P.h_out) { continue; }
      for (var kx = 0u; kx < P.kw; kx++) {
        let tx = i32(ix + P.padding) - i32(kx);
        if (tx < 0 || (u32(tx) % P.stride) != 0u) { continue; }
        let ox = u32(tx) / P.stride;
        if (ox >= P.w_out) { continue; }
        acc += src[((n * P.c_out + co) * P.h_out + oy) * P.w_out + ox] *
               wt[((co * cinpg + cig) * P.kh + ky) * P.kw + kx];
      }
    }
  }
  out[idx] = acc;
}

@compute @workgroup_size(WG)
fn backward_weight(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let cinpg = P.c_in / P.groups;
  let widx = flat(wid, nwg);
  if (widx >= P.c_out * cinpg * P.kh * P.kw) { return; }
  let kx = widx % P.kw;
  let ky = (widx / P.kw) % P.kh;
  let cig = (widx / (P.kw * P.kh)) % cinpg;
  let co = widx / (P.kw * P.kh * cinpg);
  let coutpg = P.c_out / P.groups;
  let ci = (co / coutpg) * cinpg + cig;
  let per = P.h_out * P.w_out;
  var acc = 0.0;
  for (var t = lid; t < P.n * per; t += WG) {
    let n = t / per;
    let oy = (t % per) / P.w_out;
    let ox = t % P.w_out;
    let iy = i32(oy * P.stride + ky) - i32(P.padding);
    let ix = i32(ox * P.stride + kx) - i32(P.padding);
    if (iy < 0 || iy >= i32(P.h) || ix < 0 || ix >= i32(P.w)) { continue; }
    acc += src[((n * P.c_out + co) * P.h_out + oy) * P.w_out + ox] *
           wt[((n * P.c_in + ci) * P.h + u32(iy)) * P.w + u32(ix)];
  }
  let tot = reduce_sum(lid, acc);
  if (lid == 0u) { out[widx] = tot; }
}

@compute @workgroup_size(WG)
fn backward_bias(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let co = flat(wid, nwg);
  if (co >= P.c_out) { return; }
  let per = P.h_out * P.w_out;
  var acc = 0.0;
  for (var t = lid; t < P.n * per; t += WG) {
    let n = t / per;
    acc += src[(n * P.c_out + co) * per + t % per];
  }
  let tot = reduce_sum(lid, acc);
  if (lid == 0u) { out[co] = tot; }
}

// ---- implicit GEMM -------------------------------------------------------------------------

// Micro-tile rows (1, 2, 4) and columns (1, 2, 4, 8; MR * MC <= 16) per thread: the tile is
// (16 MR) x (16 MC), narrow for the few output channels or weights per channel of small
// convolutions, wide (128 columns) when the rows are few, to spend fewer barriers per multiply.
override MR: u32 = 4u;
override MC: u32 = 4u;
const TK: u32 = 16u;   // k step

var<workgroup> sa: array<f32, 1024>;   // [TK][16 MR]
var<workgroup> sb: array<f32, 2048>;   // [TK][16 MC]

/** The workgroup's tile: (tile column, tile row, group, split). */
fn tile_of(wid: vec3<u32>, nwg: vec3<u32>) -> vec4<u32> {
  let t = wid.y * nwg.x + wid.x;
  return vec4<u32>(t % P.tiles_n, (t / P.tiles_n) % P.tiles_m, (t / (P.tiles_n * P.tiles_m)) % P.groups,
                   t / (P.tiles_n * P.tiles_m * P.groups));
}

/**
 * Mixed-radix digits (outer, mid, inner) of an index, inner radix rx, mid radix ry: the per-lane
 * integer divisions that the im2col gather needs are done once, then stepped by `advance` (a
 * few adds and compares per k step; divisions by uniform values only).
 */
fn digits(v: u32, ry: u32, rx: u32) -> vec3<u32> {
  return vec3<u32>(v / (ry * rx), (v / rx) % ry, v % rx);
}

fn advance(v: vec3<u32>, d: vec3<u32>, ry: u32, rx: u32) -> vec3<u32> {
  var r = v + d;
  if (r.z >= rx) { r.z -= rx; r.y += 1u; }
  if (r.y >= ry) { r.y -= ry; r.x += 1u; }
  return r;
}

/** The MR x MC micro-tile of thread (ty, tx): an outer product per k of the loaded tiles. */
fn mma(acc: ptr<function, array<f32, 16>>, ty: u32, tx: u32) {
  let tm = 16u * MR;
  let tn = 16u * MC;
  for (var kk = 0u; kk < TK; kk++) {
    var b: array<f32, 8>;
    for (var j = 0u; j < MC; j++) { b[j] = sb[kk * tn + tx + 16u * j]; }
    for (var i = 0u; i < MR; i++) {
      let a = sa[kk * tm + ty + 16u * i];
      for (var j = 0u; j < MC; j++) { (*acc)[i * MC + j] += a * b[j]; }
    }
  }
}

// Each entry: 1. decode the tile, 2. decompose what stays fixed per thread (its B column, or its
// k within the step) once, 3. walk k: load both tiles (A along k, B along columns, except dw's),
// barrier, mma, barrier, 4. store the micro-tile scattered back to NCHW / the weight layout.
// Thread li loads A elements (row li/16 + 16q, k li%16, q < MR) and B elements (k li/TN +
// (256/TN) q, column li%TN, q < MC), TN = 16 MC the tile's width.

@compute @workgroup_size(16, 16)
fn gemm_forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let tl = tile_of(wid, nwg);
  if (tl.w >= 1u) { return; }
  let g = tl.z;
  let tm = 16u * MR;
  let tn = 16u * MC;
  let r0 = tl.y * tm;
  let c0 = tl.x * tn;
  let khw = P.kh * P.kw;
  let cinpg = P.c_in / P.groups;
  let coutpg = P.c_out / P.groups;
  let per = P.h_out * P.w_out;
  // This thread's B column: output pixel (n, oy, ox).
  let c = c0 + li % tn;
  let c_ok = c < P.gn;
  let pix = c % per;
  let iy0 = i32((pix / P.w_out) * P.stride) - i32(P.padding);
  let ix0 = i32((pix % P.w_out) * P.stride) - i32(P.padding);
  let xbase = ((c / per) * P.c_in + g * cinpg) * P.h * P.w;
  let kk_a = li % TK;
  // The k of each of this thread's B loads as (ci, ky, kx), stepped by 16 per k step.
  let step = digits(TK, P.kh, P.kw);
  var kd: array<vec3<u32>, 8>;
  for (var q = 0u; q < MC; q++) { kd[q] = digits(li / tn + (256u / tn) * q, P.kh, P.kw); }
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < P.gk; k0 += TK) {
    for (var q = 0u; q < MR; q++) {
      let row = li / TK + 16u * q;
      var va = 0.0;
      if (r0 + row < P.gm && k0 + kk_a < P.gk) { va = wt[(g * coutpg + r0 + row) * P.gk + k0 + kk_a]; }
      sa[kk_a * tm + row] = va;
    }
    for (var q = 0u; q < MC; q++) {
      let kb = li / tn + (256u / tn) * q;
      let d = kd[q];
      var vb = 0.0;
      if (c_ok && k0 + kb < P.gk) {
        let iy = iy0 + i32(d.y);
        let ix = ix0 + i32(d.z);
        if (iy >= 0 && iy < i32(P.h) && ix >= 0 && ix < i32(P.w)) {
          vb = src[xbase + (d.x * P.h + u32(iy)) * P.w + u32(ix)];
        }
      }
      sb[kb * tn + li % tn] = vb;
      kd[q] = advance(d, step, P.kh, P.kw);
    }
    workgroupBarrier();
    mma(&acc, lid.y, lid.x);
    workgroupBarrier();
  }
  for (var i = 0u; i < MR; i++) {
    let r = r0 + lid.y + 16u * i;
    if (r >= P.gm) { continue; }
    let co = g * coutpg + r;
    var b = 0.0;
    if (P.has_bias != 0u) { b = bias[co]; }
    for (var j = 0u; j < MC; j++) {
      let cc = c0 + lid.x + 16u * j;
      if (cc < P.gn) { out[((cc / per) * P.c_out + co) * per + cc % per] = acc[i * MC + j] + b; }
    }
  }
}

@compute @workgroup_size(16, 16)
fn gemm_backward_input(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let tl = tile_of(wid, nwg);
  if (tl.w >= 1u) { return; }
  let g = tl.z;
  let tm = 16u * MR;
  let tn = 16u * MC;
  let r0 = tl.y * tm;
  let c0 = tl.x * tn;
  let khw = P.kh * P.kw;
  let cinpg = P.c_in / P.groups;
  let coutpg = P.c_out / P.groups;
  let hw = P.h * P.w;
  // This thread's B column: input pixel (n, iy, ix).
  let c = c0 + li % tn;
  let c_ok = c < P.gn;
  let p = c % hw;
  let ty0 = i32(p / P.w + P.padding);
  let tx0 = i32(p % P.w + P.padding);
  let gbase = ((c / hw) * P.c_out + g * coutpg) * P.h_out * P.w_out;
  let kk_a = li % TK;
  // Digits (co, ky, kx) of this thread's A load and of its B loads, stepped by 16 per k step.
  let step = digits(TK, P.kh, P.kw);
  var ad = digits(kk_a, P.kh, P.kw);
  var kd: array<vec3<u32>, 8>;
  for (var q = 0u; q < MC; q++) { kd[q] = digits(li / tn + (256u / tn) * q, P.kh, P.kw); }
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < P.gk; k0 += TK) {
    // A[ci, (co, ky, kx)] = w[g*coutpg + co, ci, ky, kx]: this thread's k is fixed within the step.
    let ka = k0 + kk_a;
    let wbase = ((g * coutpg + ad.x) * cinpg) * khw + ad.y * P.kw + ad.z;
    for (var q = 0u; q < MR; q++) {
      let row = li / TK + 16u * q;
      var va = 0.0;
      if (r0 + row < P.gm && ka < P.gk) { va = wt[wbase + (r0 + row) * khw]; }
      sa[kk_a * tm + row] = va;
    }
    ad = advance(ad, step, P.kh, P.kw);
    for (var q = 0u; q < MC; q++) {
      // B[(co, ky, kx), (n, iy, ix)] = g[n, co, oy, ox] where oy * s - p + ky = iy, else 0.
      let kb = li / tn + (256u / tn) * q;
      let d = kd[q];
      var vb = 0.0;
      if (c_ok && k0 + kb < P.gk) {
        let ty = ty0 - i32(d.y);
        let tx = tx0 - i32(d.z);
        if (ty >= 0 && tx >= 0) {
          var oy = u32(ty);
          var ox = u32(tx);
          var hit = true;
          if (P.stride != 1u) {
            hit = oy % P.stride == 0u && ox % P.stride == 0u;
            oy = oy / P.stride;
            ox = ox / P.stride;
          }
          if (hit && oy < P.h_out && ox < P.w_out) { vb = src[gbase + (d.x * P.h_out + oy) * P.w_out + ox]; }
        }
      }
      sb[kb * tn + li % tn] = vb;
      kd[q] = advance(d, step, P.kh, P.kw);
    }
    workgroupBarrier();
    mma(&acc, lid.y, lid.x);
    workgroupBarrier();
  }
  for (var i = 0u; i < MR; i++) {
    let r = r0 + lid.y + 16u * i;
    if (r >= P.gm) { continue; }
    for (var j = 0u; j < MC; j++) {
      let cc = c0 + lid.x + 16u * j;
      if (cc < P.gn) { out[((cc / hw) * P.c_in + g * cinpg + r) * hw + cc % hw] = acc[i * MC + j]; }
    }
  }
}

@compute @workgroup_size(16, 16)
fn gemm_backward_weight(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let tl = tile_of(wid, nwg);
  let split = tl.w;
  if (split >= P.splits) { return; }
  let g = tl.z;
  let tm = 16u * MR;
  let tn = 16u * MC;
  let r0 = tl.y * tm;
  let c0 = tl.x * tn;
  let khw = P.kh * P.kw;
  let cinpg = P.c_in / P.groups;
  let coutpg = P.c_out / P.groups;
  let per = P.h_out * P.w_out;
  let k_beg = split * P.k_chunk;
  let k_end = min(P.gk, k_beg + P.k_chunk);
  // Both tiles are loaded with k = li % 16 (along the image) and row / column li / 16 + 16 q.
  let kk = li % TK;
  // This thread's MC B columns (ci, ky, kx), fixed for the whole walk.
  var cioff: array<u32, 8>;
  var kyq: array<u32, 8>;
  var kxq: array<u32, 8>;
  for (var q = 0u; q < MC; q++) {
    let col = c0 + li / TK + 16u * q;
    let rk = col % khw;
    cioff[q] = (g * cinpg + col / khw) * P.h * P.w;
    kyq[q] = rk / P.kw;
    kxq[q] = rk % P.kw;
  }
  // This thread's k: output pixel (n, oy, ox), stepped by 16 per k step.
  let step = digits(TK, P.h_out, P.w_out);
  var kd = digits(k_beg + kk, P.h_out, P.w_out);
  var acc: array<f32, 16>;
  for (var k0 = k_beg; k0 < k_end; k0 += TK) {
    let k_ok = k0 + kk < k_end;
    let n = kd.x;
    let iy0 = i32(kd.y * P.stride) - i32(P.padding);
    let ix0 = i32(kd.z * P.stride) - i32(P.padding);
    let gbase = (n * P.c_out + g * coutpg) * per + kd.y * P.w_out + kd.z;
    let xbase = n * P.c_in * P.h * P.w;
    kd = advance(kd, step, P.h_out, P.w_out);
    for (var q = 0u; q < MR; q++) {
      let rc = li / TK + 16u * q;
      var va = 0.0;
      if (k_ok && r0 + rc < P.gm) { va = src[gbase + (r0 + rc) * per]; }
      sa[kk * tm + rc] = va;
    }
    for (var q = 0u; q < MC; q++) {
      let rc = li / TK + 16u * q;
      var vb = 0.0;
      let iy = iy0 + i32(kyq[q]);
      let ix = ix0 + i32(kxq[q]);
      if (k_ok && c0 + rc < P.gn && iy >= 0 && iy < i32(P.h) && ix >= 0 && ix < i32(P.w)) {
        vb = wt[xbase + cioff[q] + u32(iy) * P.w + u32(ix)];
      }
      sb[kk * tn + rc] = vb;
    }
    workgroupBarrier();
    mma(&acc, lid.y, lid.x);
    workgroupBarrier();
  }
  for (var i = 0u; i < MR; i++) {
    let r = r0 + lid.y + 16u * i;
    if (r >= P.gm) { continue; }
    for (var j = 0u; j < MC; j++) {
      let c = c0 + lid.x + 16u * j;
      if (c < P.gn) { out[split * (P.c_out * P.gn) + (g * coutpg + r) * P.gn + c] = acc[i * MC + j]; }
    }
  }
}
