// Mean squared error pieces: sumSq = sum_i (a_i - b_i)^2, gradA = a_scale * 2 (a - b),
// gradB = b_scale * 2 (b - a). Entry `partial` (grid-stride, one partial sum per workgroup, and
// the gradients); the partial sums are finished by reduce.wgsl's `finish`.

struct Params {
  size: u32,
  flags: u32,    // bit 0: write grad_a, bit 1: write grad_b
  _pad0: u32,
  _pad1: u32,
  a_scale: f32,
  b_scale: f32,
  _pad2: u32,
  _pad3: u32,
}

override WG: u32 = 256u; // a power of two

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad_a: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad_b: array<f32>;

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn partial(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let stride = nwg.x * WG;
  let want_a = (P.flags & 1u) != 0u;
  let want_b = (P.flags & 2u) != 0u;
  var acc = 0.0;
  for (var i = wid.x * WG + lid; i < P.size; i += stride) {
    let d = a[i] - b[i];
    acc += d * d;
    if (want_a) { grad_a[i] = P.a_scale * 2.0 * d; }
    if (want_b) { grad_b[i] = P.b_scale * 2.0 * -d; }
  }
  red[lid] = acc;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off >> 1u) {
    if (lid < off) { red[lid] += red[lid + off]; }
    workgroupBarrier();
  }
  if (lid == 0u) { partials[wid.x] = red[0]; }
}
