// Shared by the fused loss shaders (prepended by shaders.ts after the workgroup reductions).
//
// Non-finite values are recognised by their bits: the shader compiler may assume finite math, so
// x != x is no NaN test. A shader that includes this file declares `P` with an `inf_bits: u32`
// field holding 0x7f800000 (a constant infinity is a WGSL error, so it comes in as data).
//
// Log-probabilities are formed as (x - m) / T - log S, with m the row max of the raw logits and
// S = sum_c exp((x_c - m) / T): x - m is exact near the max, so logits of +-1e4 keep their
// precision, and x / T is never formed (it overflows at +-3e38 with T < 1). Log-ratios between
// two rows go through q4(x) = x / 4 (exact), so (t - m_t) - (s - m_s) cannot overflow at +-3e38.

// NaN or +Infinity: PyTorch's policy makes the row's loss NaN and its gradient non-finite.
fn is_bad(x: f32) -> bool {
  let b = bitcast<u32>(x);
  return (b & 0x7fffffffu) > 0x7f800000u || b == 0x7f800000u;
}

// -Infinity: a masked class.
fn is_ninf(x: f32) -> bool {
  return bitcast<u32>(x) == 0xff800000u;
}

fn pinf() -> f32 { return bitcast<f32>(P.inf_bits); }
fn ninf() -> f32 { return bitcast<f32>(P.inf_bits | 0x80000000u); }
fn nan() -> f32 { return bitcast<f32>(P.inf_bits | 0x00400000u); }

fn q4(x: f32) -> f32 { return 0.25 * x; }

// A partial sum s of exp((x - m_old) * inv_t), re-expressed relative to m_new >= m_old
// (an empty part, s = 0, stays 0 whatever its max).
fn lse_rescale(s: f32, m_old: f32, m_new: f32, inv_t: f32) -> f32 {
  if (s == 0.0) { return 0.0; }
  return s * exp((m_old - m_new) * inv_t);
}

// Adds a finite x to an online (max, sum of exp((x - max) * it)) pair `a` (empty: (-inf, 0)).
// Returns exp((x - max) * it) after the update, and the shift q4(new max) - q4(old max) that a
// mean of q4(.. - max) terms kept alongside must take (0 when the max stays or was -inf).
fn lse_push(a: ptr<function, vec2<f32>>, x: f32, it: f32) -> vec2<f32> {
  let m = (*a).x;
  if (x > m) {
    var shift = 0.0;
    if (!is_ninf(m)) {
      (*a).y *= exp((m - x) * it);
      shift = q4(x) - q4(m);
    }
    *a = vec2<f32>(x, (*a).y + 1.0);
    return vec2<f32>(1.0, shift);
  }
  let e = exp((x - m) * it);
  (*a).y += e;
  return vec2<f32>(e, 0.0);
}

// A weighted running mean: mean += w (v - mean) / total, total already including w (> 0).
fn mean_push(mean: f32, w: f32, v: f32, total: f32) -> f32 {
  return mean + w * (v - mean) / total;
}

// The row of a workgroup in a one-workgroup-per-row dispatch spread over x and y.
fn flat_row(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.y * nwg.x + wid.x;
}
