// Workgroup reductions with subgroups (prepended by shaders.ts, after `enable subgroups;`, when the
// device has the feature): a subgroup reduction, one shared slot per subgroup, one barrier, then
// every invocation folds the WG / subgroup_size slots (in the same order, so all agree).
// Subgroups are taken to be runs of consecutive local_invocation_index (as on every driver that
// offers the feature with a 1-D workgroup).

struct Lane {
  @builtin(local_invocation_index) lid: u32,
  @builtin(subgroup_invocation_id) sg_lane: u32,
  @builtin(subgroup_size) sg_size: u32,
}

var<workgroup> red: array<vec4<f32>, WG>;

fn wg_sum(l: Lane, v: vec4<f32>) -> vec4<f32> {
  let s = subgroupAdd(v);
  if (l.sg_lane == 0u) { red[l.lid / l.sg_size] = s; }
  workgroupBarrier();
  let n = (WG + l.sg_size - 1u) / l.sg_size;
  var r = red[0];
  for (var i = 1u; i < n; i++) { r = r + red[i]; }
  workgroupBarrier();
  return r;
}

// Component-wise max; operands are never NaN (callers test NaN by bits first).
fn wg_max(l: Lane, v: vec4<f32>) -> vec4<f32> {
  let s = subgroupMax(v);
  if (l.sg_lane == 0u) { red[l.lid / l.sg_size] = s; }
  workgroupBarrier();
  let n = (WG + l.sg_size - 1u) / l.sg_size;
  var r = red[0];
  for (var i = 1u; i < n; i++) { r = max(r, red[i]); }
  workgroupBarrier();
  return r;
}
