// Max pooling without padding, NCHW.
//   forward:  y = max over the kernel x kernel window at (oy*stride, ox*stride); argmax = flat
//             input index of the first maximum (row-major window order, strict >)
//   backward: dx[i] = sum of g[o] over the outputs o whose argmax is i (a gather, in output
//             order, so overlapping windows need no atomics)

struct Params {
  n: u32,
  c: u32,
  h: u32,
  w: u32,
  kernel: u32,
  stride: u32,
  h_out: u32,
  w_out: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;       // forward: x; backward: g
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // forward: y; backward: dx
@group(0) @binding(3) var<storage, read_write> argmax: array<i32>;

fn flat(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

@compute @workgroup_size(WG)
fn forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let idx = flat(wid, nwg, lid);
  if (idx >= P.n * P.c * P.h_out * P.w_out) { return; }
  let ox = idx % P.w_out;
  let oy = (idx / P.w_out) % P.h_out;
  let nc = idx / (P.w_out * P.h_out);
  let plane = nc * P.h * P.w;
  var best_i = plane + (oy * P.stride) * P.w + ox * P.stride;
  var best = src[best_i];
  for (var ky = 0u; ky < P.kernel; ky++) {
    for (var kx = 0u; kx < P.kernel; kx++) {
      let i = plane + (oy * P.stride + ky) * P.w + ox * P.stride + kx;
      let v = src[i];
      if (v > best) { best = v; best_i = i; }
    }
  }
  out[idx] = best;
  argmax[idx] = i32(best_i);
}

@compute @workgroup_size(WG)
fn backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let idx = flat(wid, nwg, lid);
  if (idx >= P.n * P.c * P.h * P.w) { return; }
  let ix = idx % P.w;
  let iy = (idx / P.w) % P.h;
  let nc = idx / (P.w * P.h);
  // Outputs whose window covers (iy, ix): oy*stride <= iy < oy*stride + kernel.
  var oy0 = 0u;
  if (iy + 1u > P.kernel) { oy0 = (iy + 1u - P.kernel + P.stride - 1u) / P.stride; }
  var ox0 = 0u;
  if (ix + 1u > P.kernel) { ox0 = (ix + 1u - P.kernel + P.stride - 1u) / P.stride; }
  let oy1 = min(iy / P.stride, P.h_out - 1u);
  let ox1 = min(ix / P.stride, P.w_out - 1u);
  var acc = 0.0;
  for (var oy = oy0; oy <= oy1; oy++) {
    for (var ox = ox0; ox <= ox1; ox++) {
      let o = (nc * P.h_out + oy) * P.w_out + ox;
      if (argmax[o] == i32(idx)) { acc += src[o]; }
    }
  }
  out[idx] = acc;
}
