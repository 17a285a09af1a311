// Inverted dropout with the counter-based RNG of src/kernels/rng.ts, bit-identical masks:
//   pcg(x) = PCG-RXS-M-XS 32-bit hash (mod 2^32), u = pcg(pcg(seed) + i) >> 8   (24 bits)
//   keep = u * 2^-24 >= p  <=>  u >= threshold = ceil(p * 2^24)   (exact, computed in TypeScript)
//   mask = keep ? keep_scale : 0, y = x * mask  (keep_scale = float32(1 / (1 - p)), 0 when p = 1)

struct Params {
  size: u32,
  seed: u32,
  threshold: u32,
  _pad0: u32,
  keep_scale: f32,
  _pad1: u32,
  _pad2: u32,
  _pad3: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> mask: array<f32>;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= P.size) { return; }
  let u = pcg(pcg(P.seed) + i) >> 8u;
  var m = 0.0;
  if (u >= P.threshold) { m = P.keep_scale; }
  mask[i] = m;
  y[i] = x[i] * m;
}
