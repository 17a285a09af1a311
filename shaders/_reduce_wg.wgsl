// Workgroup reductions without subgroups (prepended by shaders.ts when the device lacks the
// `subgroups` feature, or it is turned off): a shared-memory tree of log2(WG) barriers.
// Every invocation gets the result. WG (declared by the shader) is a power of two.

struct Lane {
  @builtin(local_invocation_index) lid: u32,
}

var<workgroup> red: array<vec4<f32>, WG>;

fn wg_sum(l: Lane, v: vec4<f32>) -> vec4<f32> {
  red[l.lid] = v;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off >> 1u) {
    if (l.lid < off) { red[l.lid] = red[l.lid] + red[l.lid + off]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

// Component-wise max; operands are never NaN (callers test NaN by bits first).
fn wg_max(l: Lane, v: vec4<f32>) -> vec4<f32> {
  red[l.lid] = v;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off >> 1u) {
    if (l.lid < off) { red[l.lid] = max(red[l.lid], red[l.lid + off]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
