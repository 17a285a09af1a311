// In-place parameter updates, one thread per element.
//   add_in_place: dst += src
//   sgd (PyTorch torch.optim.SGD):
//     g = grad + wd * p;  if momentum != 0: buf = has_buf ? momentum * buf + (1 - dampening) * g : g,
//     g = nesterov ? g + momentum * buf : buf;  p -= lr * g
//   adam (PyTorch torch.optim.Adam / AdamW):
//     Adam: g = grad + wd * p;  AdamW: p *= 1 - lr * wd
//     m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//     p -= step_size * m / (sqrt(v) / sqrt_bc2 + eps),  step_size = lr / (1 - beta1^t), sqrt_bc2 = sqrt(1 - beta2^t)

struct Params {
  size: u32,
  flags: u32,     // sgd: bit 0 momentum, bit 1 has_buf, bit 2 nesterov; adam: bit 0 decoupled
  _pad0: u32,
  _pad1: u32,
  lr: f32,
  momentum: f32,  // adam: beta1
  dampening: f32, // adam: beta2
  wd: f32,
  eps: f32,
  step_size: f32,
  sqrt_bc2: f32,
  _pad2: u32,
}

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> s1: array<f32>; // momentum buffer / m
@group(0) @binding(4) var<storage, read_write> s2: array<f32>; // v

fn flat(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

@compute @workgroup_size(WG)
fn add_in_place(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = flat(wid, nwg, lid);
  if (i >= P.size) { return; }
  param[i] = param[i] + grad[i];
}

@compute @workgroup_size(WG)
fn sgd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = flat(wid, nwg, lid);
  if (i >= P.size) { return; }
  let p = param[i];
  var g = grad[i];
  if (P.wd != 0.0) { g = g + P.wd * p; }
  if ((P.flags & 1u) != 0u) {
    var buf = g;
    if ((P.flags & 2u) != 0u) { buf = P.momentum * s1[i] + (1.0 - P.dampening) * g; }
    s1[i] = buf;
    if ((P.flags & 4u) != 0u) { g = g + P.momentum * buf; } else { g = buf; }
  }
  param[i] = p - P.lr * g;
}

@compute @workgroup_size(WG)
fn adam(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = flat(wid, nwg, lid);
  if (i >= P.size) { return; }
  var p = param[i];
  var g = grad[i];
  if ((P.flags & 1u) != 0u) {
    p = p * (1.0 - P.lr * P.wd);
  } else if (P.wd != 0.0) {
    g = g + P.wd * p;
  }
  let m = P.momentum * s1[i] + (1.0 - P.momentum) * g;
  let v = P.dampening * s2[i] + (1.0 - P.dampening) * g * g;
  s1[i] = m;
  s2[i] = v;
  param[i] = p - P.step_size * m / (sqrt(v) / P.sqrt_bc2 + P.eps);
}
