// 2-D convolution, NCHW, square stride and zero padding, groups (depthwise when groups = cIn).
//   forward:         y[n, co, oy, ox] = bias[co] + sum_{cig, ky, kx} x[n, g*cinpg + cig, oy*s - p + ky,
//                                       ox*s - p + kx] * w[co, cig, ky, kx],  g = co / coutpg
//   backward_input:  dx[n, ci, iy, ix] = sum_{co in group, ky, kx, oy*s - p + ky = iy, ...} g * w
//   backward_weight: dw[co, cig, ky, kx] = sum_{n, oy, ox} g[n, co, oy, ox] x[n, ci, iy, ix]
//                    (one workgroup per weight, strided over n, oy, ox, workgroup reduction)
//   backward_bias:   db[co] = sum_{n, oy, ox} g[n, co, oy, ox] (one workgroup per channel)

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
