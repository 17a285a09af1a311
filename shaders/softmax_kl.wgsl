// Fused softmax-KL divergence, forward and backward in one dispatch (one workgroup per row).
//
//   z_s = s / T, z_t = t / T, log p = z - logsumexp(z)          (row max subtracted)
//   mode 0, forward-kl: loss = T^2 * sum_c p_t (log p_t - log p_s)
//        d/ds = T (p_s - p_t)               d/dt = T p_t (log p_t - log p_s - KL)
//   mode 1, reverse-kl: loss = T^2 * sum_c p_s (log p_s - log p_t)
//        d/ds = T p_s (log p_s - log p_t - RKL)   d/dt = T (p_t - p_s)
//        a masked teacher class (t = -Infinity) under p_s > 0: loss +Infinity, gradient 0
//   mode 2, jsd: m = beta p_t + (1 - beta) p_s,
//        loss = T^2 (beta KL(p_t||m) + (1 - beta) KL(p_s||m))   (zero-coefficient terms skipped)
//        dL/dp_s = (1 - beta) log(p_s / m) = g,  d/ds = T p_s (g - <p_s, g>)
//        dL/dp_t = beta log(p_t / m) = h,        d/dt = T p_t (h - <p_t, h>)
// A teacher probability of exactly 0 contributes 0 to the loss and the gradient, never NaN; a row
// whose teacher logits are all masked has loss 0 and gradients 0 (all divergences); reverse-kl
// with a masked class under a finite student logit (even if p_s underflows) is +Infinity. A row
// whose label equals ignore_index (labels bound) has loss 0 and gradients 0.
// log m is computed in log space: logaddexp(log beta + log p_t, log(1 - beta) + log p_s).
// Masked entries are detected by their bits (-Infinity) or x < -3e38, since the shader compiler
// may assume finite math.

struct Params {
  rows: u32,
  cols: u32,
  mode: u32,      // 0 forward-kl, 1 reverse-kl, 2 jsd
  flags: u32,     // bit 0: write grad_s, bit 1: write grad_t, bit 2: labels bound (token mask)
  inv_t: f32,
  t: f32,
  t2: f32,
  beta: f32,
  s_scale: f32,
  t_scale: f32,
  inf_bits: u32,  // 0x7f800000: +Infinity comes in as data (a constant +Infinity is a WGSL error)
  ignore_index: i32,
}

override WG: u32 = 256u; // a power of two

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> student: array<f32>;
@group(0) @binding(2) var<storage, read> teacher: array<f32>;
@group(0) @binding(3) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad_s: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad_t: array<f32>;
@group(0) @binding(6) var<storage, read> labels: array<i32>;  // token mask, when flags bit 2

var<workgroup> red: array<vec4<f32>, WG>;

const LOWEST: f32 = -3.4028234e38;

fn is_masked(x: f32) -> bool {
  return bitcast<u32>(x) == 0xff800000u || x < -3.0e38;
}

// log(exp(a) + exp(b)) over the sides that exist.
fn log_add(a_ok: bool, a: f32, b_ok: bool, b: f32) -> f32 {
  if (!a_ok) { return b; }
  if (!b_ok) { return a; }
  let hi = max(a, b);
  return hi + log(1.0 + exp(-abs(a - b)));
}

fn pos_inf() -> f32 {
  return bitcast<f32>(P.inf_bits);
}

// Online (max, sum of exp) of one more value.
fn push(a: vec2<f32>, z: f32) -> vec2<f32> {
  if (z > a.x) {
    return vec2<f32>(z, a.y * exp(a.x - z) + 1.0);
  }
  return vec2<f32>(a.x, a.y + exp(z - a.x));
}

fn merge(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  if (a.y == 0.0) { return b; }
  if (b.y == 0.0) { return a; }
  let m = max(a.x, b.x);
  return vec2<f32>(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));
}

// Workgroup merge of two (max, sum) pairs packed in a vec4.
fn reduce_lse(lid: u32, v: vec4<f32>) -> vec4<f32> {
  red[lid] = v;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off >> 1u) {
    if (lid < off) {
      let a = red[lid];
      let b = red[lid + off];
      red[lid] = vec4<f32>(merge(a.xy, b.xy), merge(a.zw, b.zw));
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn reduce_sum(lid: u32, v: vec4<f32>) -> vec4<f32> {
  red[lid] = v;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off = off >> 1u) {
    if (lid < off) {
      red[lid] = red[lid] + red[lid + off];
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= P.rows) { return; }
  let cols = P.cols;
  let base = row * cols;
  let mode = P.mode;
  let beta = P.beta;

  // 0. A masked token (label == ignore_index): loss 0, gradient rows 0, nothing else read.
  if ((P.flags & 4u) != 0u && labels[row] == P.ignore_index) {
    if (lid == 0u) { row_loss[row] = 0.0; }
    for (var c = lid; c < cols; c += WG) {
      if ((P.flags & 1u) != 0u) { grad_s[base + c] = 0.0; }
      if ((P.flags & 2u) != 0u) { grad_t[base + c] = 0.0; }
    }
    return;
  }

  // 1. Online max and sum of exp of z_s and z_t (masked teacher entries skipped).
  var ss = vec2<f32>(LOWEST, 0.0);
  var st = vec2<f32>(LOWEST, 0.0);
  for (var c = lid; c < cols; c += WG) {
    ss = push(ss, student[base + c] * P.inv_t);
    let tv = teacher[base + c];
    if (!is_masked(tv)) { st = push(st, tv * P.inv_t); }
  }
  let l = reduce_lse(lid, vec4<f32>(ss, st));
  let lse_s = l.x + log(l.y);
  let lse_t = l.z + log(l.w);

  // 2. The divergence (x), <p_s, g> (y), <p_t, h> (z) and the reverse-kl infinity flag (w).
  var acc = vec4<f32>(0.0);
  for (var c = lid; c < cols; c += WG) {
    let ls = student[base + c] * P.inv_t - lse_s;
    let ps = exp(ls);
    let tv = teacher[base + c];
    let masked = is_masked(tv);
    var lt = 0.0;
    var pt = 0.0;
    if (!masked) { lt = tv * P.inv_t - lse_t; pt = exp(lt); }
    if (mode == 0u) {
      if (pt > 0.0) { acc.x += pt * (lt - ls); }
    } else if (mode == 1u) {
      if (masked) {
        if (!is_masked(student[base + c])) { acc.w = 1.0; }
      } else if (ps > 0.0) {
        acc.x += ps * (ls - lt);
      }
    } else {
      let a_ok = beta > 0.0 && !masked;
      let b_ok = beta < 1.0;
      if (a_ok || b_ok) {
        let lm = log_add(a_ok, log(beta) + lt, b_ok, log(1.0 - beta) + ls);
        if (beta > 0.0 && pt > 0.0) {
          let h = beta * (lt - lm);
          acc.x += pt * h;
          acc.z += pt * h;
        }
        if (beta < 1.0 && ps > 0.0) {
          let g = (1.0 - beta) * (ls - lm);
          acc.x += ps * g;
          acc.y += ps * g;
        }
      }
    }
  }
  let tot = reduce_sum(lid, acc);
  let infinite = mode == 1u && tot.w > 0.0;
  let empty = l.w == 0.0; // every teacher class masked
  if (lid == 0u) {
    if (empty) {
      row_loss[row] = 0.0;
    } else if (infinite) {
      row_loss[row] = pos_inf();
    } else {
      row_loss[row] = P.t2 * tot.x;
    }
  }

  // 3. Scaled gradients.
  let want_s = (P.flags & 1u) != 0u;
  let want_t = (P.flags & 2u) != 0u;
  if (!want_s && !want_t) { return; }
  let T = P.t;
  for (var c = lid; c < cols; c += WG) {
    var gs = 0.0;
    var gt = 0.0;
    if (!infinite && !empty) {
      let ls = student[base + c] * P.inv_t - lse_s;
      let ps = exp(ls);
      let tv = teacher[base + c];
      let masked = is_masked(tv);
      var lt = 0.0;
      var pt = 0.0;
      if (!masked) { lt = tv * P.inv_t - lse_t; pt = exp(lt); }
      if (mode == 0u) {
        gs = T * (ps - pt);
        if (pt > 0.0) { gt = T * pt * (lt - ls - tot.x); }
      } else if (mode == 1u) {
        if (!masked && ps > 0.0) { gs = T * ps * (ls - lt - tot.x); }
        if (!masked) { gt = T * (pt - ps); }
      } else {
        let a_ok = beta > 0.0 && !masked;
        let b_ok = beta < 1.0;
        if (a_ok || b_ok) {
          let lm = log_add(a_ok, log(beta) + lt, b_ok, log(1.0 - beta) + ls);
          if (ps > 0.0) {
            var g = 0.0;
            if (beta < 1.0) { g = (1.0 - beta) * (ls - lm); }
            gs = T * ps * (g - tot.y);
          }
          if (pt > 0.0) {
            var h = 0.0;
            if (beta > 0.0) { h = beta * (lt - lm); }
            gt = T * pt * (h - tot.z);
          }
        }
      }
    }
    if (want_s) { grad_s[base + c] = P.s_scale * gs; }
    if (want_t) { grad_t[base + c] = P.t_scale * gt; }
  }
}
