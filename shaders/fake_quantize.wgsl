// Per-tensor affine fake quantisation (torch.fake_quantize_per_tensor_affine), one thread per element:
//   q    = round(x * inv_scale) + zero_point        (round: half to even; inv_scale = float32(1 / scale),
//                                                    computed in TypeScript as PyTorch computes it)
//   y    = (clamp(q, qmin, qmax) - zero_point) * scale
//   mask = qmin <= q <= qmax ? 1 : 0                (the straight-through gradient is g * mask)
// NaN gives y NaN and mask 0, tested on the bits (the shader compiler may assume finite math);
// +-Infinity (or a product that overflows) clamps to qmax / qmin with mask 0.

struct Params {
  size: u32,
  scale: f32,
  inv_scale: f32,
  zero_point: f32,
  qmin: f32,
  qmax: f32,
  _pad0: u32,
  _pad1: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> mask: array<f32>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= P.size) { return; }
  let v = x[i];
  // 1. NaN: y NaN (the input's own bits), mask 0.
  if ((bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u) {
    y[i] = v;
    mask[i] = 0.0;
    return;
  }
  // 2. The level, then the mask on the levels q +- 0.5 (exact: |q| <= 2^22), then clamp and scale.
  let q = round(v * P.inv_scale) + P.zero_point;
  var m = 0.0;
  if (q > P.qmin - 0.5 && q < P.qmax + 0.5) { m = 1.0; }
  mask[i] = m;
  y[i] = (min(max(q, P.qmin), P.qmax) - P.zero_point) * P.scale;
}
