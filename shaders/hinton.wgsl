// Fused Hinton loss, forward and backward, one workgroup per row:
//   soft = T^2 KL(softmax(t/T) || softmax(s/T))      (forward-kl, as in softmax_kl.wgsl)
//   hard = cross-entropy(s, y) at T = 1               (as in cross_entropy.wgsl)
// A row whose label is ignore_index (a masked token) is masked in both terms: 0, zero gradient row.
//   grad = soft_scale * T (p_s - p_t) + hard_scale * d(hard)/ds
// Both log-softmaxes of the student share its raw row max m_s: S_s = sum exp((s - m_s) / T),
// S_1 = sum exp(s - m_s). soft = 4T mean_pt(D) - T^2 (log S_t - log S_s), D as in softmax_kl.wgsl.
//
// Non-finite inputs: NaN / +Infinity in the student makes both rows NaN, in the teacher the soft
// row NaN; the gradient row is then NaN. Masked teacher classes (t = -Infinity) contribute 0; a
// fully masked teacher row has soft 0 and no soft gradient.
//
// Memory passes: 2 reads of each student and teacher element (pass 1: online maxes, the three
// sums, mean(D) and the smoothing mean; pass 2: the gradient), 1 write of the gradient; both rows
// are written after pass 1. Occupancy as in softmax_kl.wgsl (one workgroup per row).

struct Params {
  rows: u32,
  cols: u32,
  ignore_index: i32,
  flags: u32,     // bit 0: write grad, bit 1: class weights bound
  inv_t: f32,
  t: f32,
  t2: f32,
  t4: f32,        // 4 T
  eps: f32,
  soft_scale: f32,
  hard_scale: f32,
  inf_bits: u32,  // 0x7f800000
}

override WG: u32 = 256u; // a power of two

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> student: array<f32>;
@group(0) @binding(2) var<storage, read> teacher: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<i32>;
@group(0) @binding(4) var<storage, read> weight: array<f32>;
@group(0) @binding(5) var<storage, read_write> soft_row: array<f32>;
@group(0) @binding(6) var<storage, read_write> hard_row: array<f32>;
@group(0) @binding(7) var<storage, read_write> grad: array<f32>;

fn w_of(c: u32) -> f32 {
  if ((P.flags & 2u) != 0u) { return weight[c]; }
  return 1.0;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, l: Lane) {
  let row = flat_row(wid, nwg);
  if (row >= P.rows) { return; }
  let cols = P.cols;
  let base = row * cols;
  let label = labels[row];
  // 0. A masked token: soft and hard 0, gradient row 0, its logits not read.
  if (label == P.ignore_index) {
    if (l.lid == 0u) { soft_row[row] = 0.0; hard_row[row] = 0.0; }
    if ((P.flags & 1u) != 0u) { for (var c = l.lid; c < cols; c += WG) { grad[base + c] = 0.0; } }
    return;
  }
  let y = u32(label);
  let it = P.inv_t;
  let eps = P.eps;
  let smoothing = eps != 0.0;

  // 1. Online: (m_s, S_s) at T, S_1 at T = 1, (m_t, S_t), mean(D) weighted by p_t, smoothing mean.
  var ls = vec2<f32>(ninf(), 0.0);
  var lt = vec2<f32>(ninf(), 0.0);
  var s1 = 0.0;
  var d = 0.0;
  var z = 0.0;
  var W = 0.0;
  var flags = vec4<f32>(0.0); // student bad, teacher bad, teacher mass on a student -inf, student -inf
  for (var c = l.lid; c < cols; c += WG) {
    let s = student[base + c];
    let t = teacher[base + c];
    if (is_bad(s)) { flags.x = 1.0; }
    if (is_bad(t)) { flags.y = 1.0; }
    if (is_bad(s) || is_bad(t)) { continue; }
    let s_in = !is_ninf(s);
    var w = 0.0;
    if (smoothing) { w = w_of(c); }
    if (!s_in) { W += w; } // hard row +Infinity with smoothing; W still counts it
    if (s_in) {
      let m0 = ls.x;
      let r = lse_push(&ls, s, it);
      s1 = lse_rescale(s1, m0, ls.x, 1.0) + exp(s - ls.x);
      d += r.y;
      if (smoothing) {
        if (W > 0.0) { z += r.y; }
        W += w;
        if (w > 0.0) { z = mean_push(z, w, q4(ls.x) - q4(s), W); }
      }
    } else {
      flags.w = 1.0;
    }
    if (!is_ninf(t)) {
      let r = lse_push(&lt, t, it);
      d -= r.y;
      if (r.x > 0.0) {
        if (s_in) { d = mean_push(d, r.x, (q4(t) - q4(lt.x)) - (q4(s) - q4(ls.x)), lt.y); } else { flags.z = 1.0; }
      }
    }
  }
  let M = wg_max(l, vec4<f32>(ls.x, lt.x, 0.0, 0.0));
  let F = wg_max(l, flags);
  var dl = 0.0;
  if (lt.y > 0.0) { dl = d + (q4(M.x) - q4(ls.x)) + (q4(lt.x) - q4(M.y)); }
  var zl = 0.0;
  if (W > 0.0) { zl = z + q4(M.x) - q4(ls.x); }
  let S = wg_sum(l, vec4<f32>(
    lse_rescale(ls.y, ls.x, M.x, it), lse_rescale(lt.y, lt.x, M.y, it), lse_rescale(s1, ls.x, M.x, 1.0), W,
  ));
  var v = vec4<f32>(0.0);
  if (lt.y > 0.0) { v.x = (lse_rescale(lt.y, lt.x, M.y, it) / S.y) * dl; }
  if (W > 0.0) { v.y = (W / S.w) * zl; }
  let means = wg_sum(l, v);
  let lss = log(S.x);
  let lst = log(S.y);
  let ls1 = log(S.z);
  let epc = eps / f32(cols);
  let hard = w_of(y) * (1.0 - eps);
  let bad = F.x > 0.0 || F.y > 0.0;
  let masked_row = S.y == 0.0;
  if (l.lid == 0u) {
    var soft = P.t4 * means.x - P.t2 * (lst - lss);
    if (masked_row) { soft = 0.0; } else if (F.z > 0.0) { soft = pinf(); }
    if (bad) { soft = nan(); }
    soft_row[row] = soft;
    var h = 0.0;
    if (hard != 0.0) { h = hard * ((M.x - student[base + y]) + ls1); }
    if (smoothing) {
      if (F.w > 0.0) { h = pinf(); } else { h += epc * S.w * (ls1 + 4.0 * means.y); }
    }
    if (F.x > 0.0) { h = nan(); }
    hard_row[row] = h;
  }

  // 2. grad = soft_scale * T (p_s - p_t) + hard_scale * d(hard)/ds.
  if ((P.flags & 1u) == 0u) { return; }
  let coef = hard + epc * S.w;
  for (var c = l.lid; c < cols; c += WG) {
    let s = student[base + c];
    let t = teacher[base + c];
    let s_in = !is_ninf(s);
    let pt = select(exp((t - M.y) * it - lst), 0.0, is_ninf(t));
    let ps = select(exp((s - M.x) * it - lss), 0.0, !s_in);
    var g = 0.0;
    if (!masked_row) { g = P.soft_scale * P.t * (ps - pt); }
    let p1 = select(exp((s - M.x) - ls1), 0.0, !s_in);
    var gh = coef * p1 - epc * w_of(c);
    if (c == y) { gh -= hard; }
    g += P.hard_scale * gh;
    if (bad) { g = nan(); }
    grad[base + c] = g;
  }
}
