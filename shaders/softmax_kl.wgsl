// Fused softmax-KL divergence, forward and backward (forward-kl / reverse-kl / jsd).
//
//   log p = (x - m) / T - log S       (raw row max m, S = sum exp((x - m) / T); see _row.wgsl)
//   mode 0, forward-kl: loss = T^2 sum_c p_t (log p_t - log p_s)
//        d/ds = T (p_s - p_t)               d/dt = p_t (r_c - loss) / T = 4 p_t (D_c - mean(D))
//   mode 1, reverse-kl: loss = T^2 sum_c p_s (log p_s - log p_t)
//        d/ds = p_s (-r_c - loss) / T = -4 p_s (D_c - mean(D))       d/dt = T (p_t - p_s)
//   with r_c = T^2 (log p_t - log p_s) = 4T D_c - T^2 (log S_t - log S_s),
//        D_c = (q4(t) - q4(m_t)) - (q4(s) - q4(m_s)), so loss = +-(4T mean(D) - T^2 (log S_t - log S_s)),
//        mean(D) weighted by p_t (forward) or p_s (reverse) and kept online (shifted when a max moves).
//   mode 2, jsd: m = beta p_t + (1 - beta) p_s, log(p / m) through log1p (see jsd_gh)
//        loss = T^2 (beta KL(p_t||m) + (1 - beta) KL(p_s||m))   (zero-coefficient terms skipped)
//        g = (1 - beta) log(p_s / m): d/ds = T p_s (g - <p_s, g>);  h = beta log(p_t / m): d/dt = T p_t (h - <p_t, h>)
//        (g - <p_s, g> taken relative to g at the student's row max, h likewise: see jsd_ref)
//
// Non-finite inputs (PyTorch's policy): a NaN or +Infinity in a row's student or teacher logits
// makes that row's loss NaN and every gradient element of the row NaN. A teacher logit of
// -Infinity is a masked class: p_t = 0 exactly, 0 loss and exactly 0 teacher gradient there
// (0 log 0 = 0, also when the student is -Infinity there too). A row whose teacher logits are all
// masked has loss 0 and gradients 0. reverse-kl with a masked class under a student logit that is
// not -Infinity is +Infinity (gradients 0); forward-kl with teacher mass on a student -Infinity
// is +Infinity. A row whose label equals ignore_index (labels bound) has loss 0 and gradients 0.
//
// Memory passes (B x C inputs, f32; element = one student + one teacher logit):
//   forward-kl / reverse-kl: 2 reads of each element (pass 1: online max, sums and mean(D);
//     pass 2: gradients), 1 write per wanted gradient; the loss needs no pass of its own.
//   jsd: 3 reads (log m needs both final log-sums, so its dot products take a pass between).
//   The second read of a row follows the first within the same workgroup, so on a GPU whose L2
//   holds (resident workgroups x row bytes) it is served from L2 (8192x32000 on an H200: 132 SMs x
//   8 workgroups x 256 KB = 270 MB of rows in flight at once > 60 MB L2, so expect about half).
// Occupancy: `main` gives one workgroup (WG <= 256 threads, 4 KB of workgroup memory, ~40
//   registers) to a row; with B >= ~8 x SMs every SM is full. Fewer, wide rows are split
//   (rowSplits in softmax_kl.ts): `chunk_stats` gives each of `chunks` workgroups a column range
//   and writes its 12-float state to `part`; `chunk_dots` (jsd) and `chunk_grad` merge the row's
//   states in every thread (chunks <= 64 reads from L2) and finish their own range. Same reads.

struct Params {
  rows: u32,
  cols: u32,
  mode: u32,      // 0 forward-kl, 1 reverse-kl, 2 jsd
  flags: u32,     // bit 0: write grad_s, bit 1: write grad_t, bit 2: labels bound
  inv_t: f32,
  t: f32,
  t2: f32,
  t4: f32,        // 4 T
  beta: f32,
  s_scale: f32,
  t_scale: f32,
  inf_bits: u32,  // 0x7f800000
  ignore_index: i32,
  chunks: u32,    // column ranges per row (chunk_* entry points)
  chunk_len: u32,
  _pad: u32,
}

override WG: u32 = 256u; // a power of two

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> student: array<f32>;
@group(0) @binding(2) var<storage, read> teacher: array<f32>;
@group(0) @binding(3) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad_s: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad_t: array<f32>;
@group(0) @binding(6) var<storage, read> labels: array<i32>;
@group(0) @binding(7) var<storage, read_write> part: array<vec4<f32>>; // chunk_*: 3 per state, then 1 per jsd dot

// Pass-1 state of a column range: maxes and flags (a), sums and the mean of D (b), and for jsd the
// logits at the other side's row max (c), which give the reference column of the dot products.
struct Stats {
  a: vec4<f32>, // m_s, m_t, bad (NaN / +Inf seen), inf (divergence +Infinity)
  b: vec4<f32>, // S_s, S_t, mean(D), 0
  c: vec4<f32>, // t where s = m_s, s where t = m_t (the first such column), 0, 0
}

// Weight of mean(D): S_t (forward-kl) or S_s (reverse-kl).
fn d_weight(b: vec4<f32>) -> f32 {
  if (P.mode == 0u) { return b.y; }
  return b.x;
}

// This invocation's pass-1 state over columns c0 + lid, c0 + lid + WG, ... < c1.
fn local_stats(base: u32, c0: u32, c1: u32, lid: u32) -> Stats {
  let it = P.inv_t;
  let mode = P.mode;
  var ls = vec2<f32>(ninf(), 0.0); // student (max, sum)
  var lt = vec2<f32>(ninf(), 0.0); // teacher
  var d = 0.0;
  var bad = 0.0;
  var inf = 0.0;
  var at_max = vec2<f32>(ninf(), ninf());
  for (var c = c0 + lid; c < c1; c += WG) {
    let s = student[base + c];
    let t = teacher[base + c];
    if (is_bad(s) || is_bad(t)) { bad = 1.0; continue; }
    let s_in = !is_ninf(s);
    let t_in = !is_ninf(t);
    if (s_in && s > ls.x) { at_max.x = t; }
    if (t_in && t > lt.x) { at_max.y = s; }
    var es = 0.0;
    var et = 0.0;
    if (s_in) { let r = lse_push(&ls, s, it); es = r.x; d += r.y; }
    if (t_in) { let r = lse_push(&lt, t, it); et = r.x; d -= r.y; }
    let dc = (q4(t) - q4(lt.x)) - (q4(s) - q4(ls.x));
    if (mode == 0u && et > 0.0) {
      if (s_in) { d = mean_push(d, et, dc, lt.y); } else { inf = 1.0; }
    } else if (mode == 1u && s_in) {
      if (t_in) { d = mean_push(d, es, dc, ls.y); } else { inf = 1.0; }
    }
  }
  return Stats(vec4<f32>(ls.x, lt.x, bad, inf), vec4<f32>(ls.y, lt.y, d, 0.0), vec4<f32>(at_max, 0.0, 0.0));
}

// A state re-expressed relative to the maxes M.xy (>= its own).
fn rescale(x: Stats, M: vec4<f32>) -> Stats {
  let it = P.inv_t;
  var b = vec4<f32>(lse_rescale(x.b.x, x.a.x, M.x, it), lse_rescale(x.b.y, x.a.y, M.y, it), 0.0, 0.0);
  if (d_weight(x.b) > 0.0) { b.z = x.b.z + (q4(M.x) - q4(x.a.x)) + (q4(x.a.y) - q4(M.y)); }
  return Stats(x.a, b, x.c);
}

// This state's candidates for the reference logits of the merged maxes M (-inf: none).
fn ref_candidates(x: Stats, M: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(select(ninf(), x.c.x, x.a.x == M.x), select(ninf(), x.c.y, x.a.y == M.y), ninf(), ninf());
}

// The workgroup's state over [c0, c1): every invocation gets it.
fn wg_stats(l: Lane, base: u32, c0: u32, c1: u32) -> Stats {
  let x = local_stats(base, c0, c1, l.lid);
  let M = wg_max(l, x.a);
  let r = rescale(x, M);
  let S = wg_sum(l, r.b);
  var D = 0.0;
  if (P.mode < 2u) {
    let w = d_weight(r.b);
    var v = 0.0;
    if (w > 0.0) { v = (w / d_weight(S)) * r.b.z; }
    D = wg_sum(l, vec4<f32>(v, 0.0, 0.0, 0.0)).x;
  }
  var R = vec4<f32>(0.0);
  if (P.mode == 2u) { R = wg_max(l, ref_candidates(x, M)); }
  return Stats(M, vec4<f32>(S.x, S.y, D, 0.0), R);
}

// (log p_s, p_s, log p_t, p_t) of one column from the merged state; p = 0 exactly at -Infinity.
fn probs(s: f32, t: f32, x: Stats) -> vec4<f32> {
  let ls = (s - x.a.x) * P.inv_t - log(x.b.x);
  let lt = (t - x.a.y) * P.inv_t - log(x.b.y);
  return vec4<f32>(ls, select(exp(ls), 0.0, is_ninf(s)), lt, select(exp(lt), 0.0, is_ninf(t)));
}

// log(1 + x) for x >= 0, accurate for small x (log(u) x / (u - 1), u = 1 + x rounded).
fn log1p(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  return log(u) * x / (u - 1.0);
}

// jsd: (g, h) of one column: g = (1 - beta) log(p_s / m), h = beta log(p_t / m) (0 where p = 0;
// both 0 for beta = 0 or 1). With d = log p_t - log p_s from the raw logits,
// log(p_s / m) = -log((1 - beta) + beta e^d) through log1p of the smaller side, so columns where
// one side dominates get the same value exactly (no rounding of log p_s + log(1 - beta)).
fn jsd_gh(s: f32, t: f32, pr: vec4<f32>, x: Stats) -> vec2<f32> {
  let beta = P.beta;
  if (beta <= 0.0 || beta >= 1.0) { return vec2<f32>(0.0); }
  var us = 0.0; // log(p_s / m)
  var ut = 0.0; // log(p_t / m)
  if (pr.w == 0.0) {
    us = -log(1.0 - beta);
  } else if (pr.y == 0.0) {
    ut = -log(beta);
  } else {
    let d = ((t - x.a.y) - (s - x.a.x)) * P.inv_t - (log(x.b.y) - log(x.b.x));
    if (d <= 0.0) {
      us = -(log(1.0 - beta) + log1p(beta / (1.0 - beta) * exp(d)));
      ut = d + us;
    } else {
      ut = -(log(beta) + log1p((1.0 - beta) / beta * exp(-d)));
      us = ut - d;
    }
  }
  return vec2<f32>((1.0 - beta) * us, beta * ut);
}

// jsd: (g, h) at the reference columns (the student's and the teacher's row max): g - <p_s, g> is
// computed as (g - g_ref) - <p_s, g - g_ref>, exact for a one-hot row (no f32 cancellation).
fn jsd_ref(x: Stats) -> vec2<f32> {
  let gs = jsd_gh(x.a.x, x.c.x, probs(x.a.x, x.c.x, x), x).x;
  let ht = jsd_gh(x.c.y, x.a.y, probs(x.c.y, x.a.y, x), x).y;
  return vec2<f32>(gs, ht);
}

// jsd: (T^2-free) loss sum, <p_s, g - g_ref>, <p_t, h - h_ref> of this invocation's columns.
fn jsd_local(base: u32, c0: u32, c1: u32, lid: u32, x: Stats) -> vec4<f32> {
  let r = jsd_ref(x);
  var acc = vec4<f32>(0.0);
  for (var c = c0 + lid; c < c1; c += WG) {
    let s = student[base + c];
    let t = teacher[base + c];
    let pr = probs(s, t, x);
    let gh = jsd_gh(s, t, pr, x);
    if (pr.y > 0.0) { acc.x += pr.y * gh.x; acc.y += pr.y * (gh.x - r.x); }
    if (pr.w > 0.0) { acc.x += pr.w * gh.y; acc.z += pr.w * (gh.y - r.y); }
  }
  return acc;
}

fn ignored(row: u32) -> bool {
  return (P.flags & 4u) != 0u && labels[row] == P.ignore_index;
}

// The row loss from the merged state (and the jsd sums).
fn row_value(row: u32, x: Stats, dots: vec4<f32>) -> f32 {
  if (ignored(row)) { return 0.0; }
  if (x.a.z > 0.0) { return nan(); }
  if (x.b.y == 0.0) { return 0.0; } // every teacher class masked
  if (x.a.w > 0.0) { return pinf(); }
  let dl = P.t2 * (log(x.b.y) - log(x.b.x));
  if (P.mode == 0u) { return P.t4 * x.b.z - dl; }
  if (P.mode == 1u) { return dl - P.t4 * x.b.z; }
  return P.t2 * dots.x;
}

// Pass 2: scaled gradients over this invocation's columns of [c0, c1).
fn write_grads(row: u32, base: u32, c0: u32, c1: u32, lid: u32, x: Stats, dots: vec4<f32>) {
  let want_s = (P.flags & 1u) != 0u;
  let want_t = (P.flags & 2u) != 0u;
  let T = P.t;
  let mode = P.mode;
  let skip = ignored(row);
  let bad = x.a.z > 0.0 && !skip;
  // A row with no gradient: ignored, fully masked, or reverse-kl +Infinity.
  let zero = skip || (!bad && (x.b.y == 0.0 || (mode == 1u && x.a.w > 0.0)));
  let r = jsd_ref(x);
  for (var c = c0 + lid; c < c1; c += WG) {
    var gs = 0.0;
    var gt = 0.0;
    if (bad) {
      gs = nan();
      gt = nan();
    } else if (!zero) {
      let s = student[base + c];
      let t = teacher[base + c];
      let pr = probs(s, t, x);
      let ps = pr.y;
      let pt = pr.w;
      if (mode < 2u) {
        // (r_c - loss) / T = 4 (D_c - mean(D)): exact whatever T, even where loss overflows.
        let dd = ((q4(t) - q4(x.a.y)) - (q4(s) - q4(x.a.x))) - x.b.z; // x 4 after the product with p
        if (mode == 0u) {
          gs = T * (ps - pt);
          if (pt > 0.0) {
            gt = 4.0 * (pt * dd);
            // loss +Infinity (teacher mass on a student -Infinity): r_c - loss is -inf or inf - inf.
            if (x.a.w > 0.0) { gt = select(ninf(), nan(), is_ninf(s)); }
          }
        } else {
          if (ps > 0.0) { gs = -4.0 * (ps * dd); }
          gt = T * (pt - ps);
        }
      } else {
        let gh = jsd_gh(s, t, pr, x);
        if (ps > 0.0) { gs = T * ps * ((gh.x - r.x) - dots.y); }
        if (pt > 0.0) { gt = T * pt * ((gh.y - r.y) - dots.z); }
      }
    }
    if (want_s) { grad_s[base + c] = P.s_scale * gs; }
    if (want_t) { grad_t[base + c] = P.t_scale * gt; }
  }
}

// One workgroup per row: pass 1, (jsd dots), pass 2.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, l: Lane) {
  let row = flat_row(wid, nwg);
  if (row >= P.rows) { return; }
  let base = row * P.cols;
  // A masked token: loss 0, gradients 0, its logits not read.
  if (ignored(row)) {
    if (l.lid == 0u) { row_loss[row] = 0.0; }
    for (var c = l.lid; c < P.cols; c += WG) {
      if ((P.flags & 1u) != 0u) { grad_s[base + c] = 0.0; }
      if ((P.flags & 2u) != 0u) { grad_t[base + c] = 0.0; }
    }
    return;
  }
  let x = wg_stats(l, base, 0u, P.cols);
  var dots = vec4<f32>(0.0);
  if (P.mode == 2u) { dots = wg_sum(l, jsd_local(base, 0u, P.cols, l.lid, x)); }
  if (l.lid == 0u) { row_loss[row] = row_value(row, x, dots); }
  write_grads(row, base, 0u, P.cols, l.lid, x, dots);
}

fn chunk_range(k: u32) -> vec2<u32> {
  let c0 = k * P.chunk_len;
  return vec2<u32>(c0, min(c0 + P.chunk_len, P.cols));
}

// The merged state of a row's chunks (read from `part` by every invocation).
fn merged(row: u32) -> Stats {
  let at = 3u * row * P.chunks;
  var M = vec4<f32>(ninf(), ninf(), 0.0, 0.0);
  for (var k = 0u; k < P.chunks; k++) { M = max(M, part[at + 3u * k]); }
  var S = vec4<f32>(0.0);
  var R = vec4<f32>(ninf());
  for (var k = 0u; k < P.chunks; k++) {
    let x = Stats(part[at + 3u * k], part[at + 3u * k + 1u], part[at + 3u * k + 2u]);
    S += rescale(x, M).b;
    R = max(R, ref_candidates(x, M));
  }
  var D = 0.0;
  if (P.mode < 2u) {
    for (var k = 0u; k < P.chunks; k++) {
      let r = rescale(Stats(part[at + 3u * k], part[at + 3u * k + 1u], part[at + 3u * k + 2u]), M);
      let w = d_weight(r.b);
      if (w > 0.0) { D += (w / d_weight(S)) * r.b.z; }
    }
  }
  return Stats(M, vec4<f32>(S.x, S.y, D, 0.0), R);
}

fn merged_dots(row: u32) -> vec4<f32> {
  var dots = vec4<f32>(0.0);
  if (P.mode == 2u) {
    let at = 3u * P.rows * P.chunks + row * P.chunks;
    for (var k = 0u; k < P.chunks; k++) { dots += part[at + k]; }
  }
  return dots;
}

// Split rows, dispatch [chunks, rows]: pass 1 of one column range.
@compute @workgroup_size(WG)
fn chunk_stats(@builtin(workgroup_id) wid: vec3<u32>, l: Lane) {
  let row = wid.y;
  let r = chunk_range(wid.x);
  let x = wg_stats(l, row * P.cols, r.x, r.y);
  if (l.lid == 0u) {
    let at = 3u * (row * P.chunks + wid.x);
    part[at] = x.a;
    part[at + 1u] = x.b;
    part[at + 2u] = x.c;
  }
}

// Split rows, jsd only: the dot products of one column range.
@compute @workgroup_size(WG)
fn chunk_dots(@builtin(workgroup_id) wid: vec3<u32>, l: Lane) {
  let row = wid.y;
  let r = chunk_range(wid.x);
  let x = merged(row);
  let dots = wg_sum(l, jsd_local(row * P.cols, r.x, r.y, l.lid, x));
  if (l.lid == 0u) { part[3u * P.rows * P.chunks + row * P.chunks + wid.x] = dots; }
}

// Split rows: pass 2 of one column range; chunk 0 writes the row loss.
@compute @workgroup_size(WG)
fn chunk_grad(@builtin(workgroup_id) wid: vec3<u32>, l: Lane) {
  let row = wid.y;
  let r = chunk_range(wid.x);
  let x = merged(row);
  let dots = merged_dots(row);
  if (l.lid == 0u && wid.x == 0u) { row_loss[row] = row_value(row, x, dots); }
  write_grads(row, row * P.cols, r.x, r.y, l.lid, x, dots);
}
