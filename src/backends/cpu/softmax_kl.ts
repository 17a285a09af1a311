/**
 * Fused softmax-KL (reference cpu kernel): forward and gradient in one pass per row.
 *
 * With T the temperature, p_s = softmax(s / T), p_t = softmax(t / T) (row max subtracted,
 * log-sum-exp in float64), each row i gets
 *
 *   forward-kl:  rowLoss = T^2 * sum_j p_t (log p_t - log p_s)                     = T^2 KL(p_t || p_s)
 *                d/ds = T (p_s - p_t)
 *                d/dt = T p_t (log p_t - log p_s - KL),           KL = rowLoss / T^2
 *   reverse-kl:  rowLoss = T^2 * sum_j p_s (log p_s - log p_t)                     = T^2 KL(p_s || p_t)
 *                d/ds = T p_s (log p_s - log p_t - KLrev)
 *                d/dt = T (p_t - p_s)
 *   jsd(beta):   m = beta p_t + (1 - beta) p_s
 *                rowLoss = T^2 (beta KL(p_t || m) + (1 - beta) KL(p_s || m))
 *                dL/dp_s = T^2 (1 - beta) log(p_s / m),  dL/dp_t = T^2 beta log(p_t / m)
 *                and through the softmax at temperature T: dL/dz_j = (1/T) p_j (g_j - sum_k p_k g_k).
 *                A term whose coefficient (beta or 1 - beta) is 0 is skipped, so beta = 0 or 1
 *                never evaluates 0 * inf (both give rowLoss 0, gradients 0). Callers map those
 *                endpoints to forward / reverse KL before calling (src/kernels/divergence.ts).
 *
 * The gradient written is `scale * d(rowLoss_i)/d(input)`, in float32, for each input whose
 * scale is not null. Rows masked by `rowMask` (label == ignoreIndex) are skipped: loss 0, gradients 0.
 *
 * Non-finite inputs (PyTorch's policy): a NaN or +Infinity logit in a row makes that row's loss
 * NaN and its gradient rows NaN; other rows are untouched.
 *
 * Masked classes (teacher logit -Infinity, so p_t = 0 exactly): such a term contributes 0 to the
 * loss and 0 to every gradient (0 * log 0 = 0, never NaN), also where the student is -Infinity
 * there too. Special cases:
 * - A row whose teacher logits are all -Infinity: rowLoss 0, gradients 0 (all divergences).
 * - reverse-kl with a masked teacher class where the student has mass (student log-prob finite,
 *   even if p_s underflows to 0 in float64): KL(p_s || p_t) = +Infinity, as in PyTorch. The kernel
 *   writes rowLoss = +Infinity and 0 for that row's gradients (PyTorch's would be NaN/inf).
 *
 * References: Hinton et al. 2015 (T^2 scaling); torch.nn.functional.kl_div; TRL's
 * generalized_jsd_loss (the jsd mixture; its beta = 0 / 1 special cases are mapped by the caller).
 */
import type { Divergence, RowMask, SoftmaxKLArgs, SoftmaxKLResult } from '../backend.js';
import { f32, i32, wrap } from './storage.js';

/** Whether row i is masked out (its label is ignoreIndex), or null without a mask. */
export function maskedRows(m: RowMask | null | undefined): ((i: number) => boolean) | null {
  if (!m) return null;
  const y = i32(m.labels);
  return (i) => y[i] === m.ignoreIndex;
}

/**
 * log-softmax of x[off .. off + cols) / T into out[0 .. cols), in float64:
 * out_j = (x_j / T - max) - log(sum_k exp(x_k / T - max)). A row of all -Infinity gives all -Infinity;
 * a row with a NaN or +Infinity gives all NaN (PyTorch's log_softmax).
 */
export function logSoftmaxRow(
  x: Float32Array, off: number, cols: number, temperature: number, out: Float64Array,
): void {
  // 1. Row max of x / T (NaN if the row holds one, so that it reaches every output).
  let max = -Infinity;
  for (let j = 0; j < cols; j++) {
    const z = x[off + j] / temperature;
    if (z > max || Number.isNaN(z)) max = z;
  }
  if (max === -Infinity) {
    out.fill(-Infinity, 0, cols);
    return;
  }
  // 2. log sum exp of the shifted row (every term <= 1, one term == 1).
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += Math.exp(x[off + j] / temperature - max);
  const logSum = Math.log(sum);
  // 3. Shifted logits minus log-sum.
  for (let j = 0; j < cols; j++) out[j] = x[off + j] / temperature - max - logSum;
}

/**
 * PyTorch's non-finite policy: a row whose log-probabilities are NaN (a NaN or +Infinity logit, see
 * logSoftmaxRow) has a NaN loss and NaN gradient rows. Fills gs and gt (either may be null) with
 * NaN and returns true for such a row; returns false otherwise.
 */
export function nanRow(
  logPs: Float64Array, logPt: Float64Array, cols: number, gs: Float64Array | null, gt: Float64Array | null,
): boolean {
  if (!Number.isNaN(logPs[0]) && !Number.isNaN(logPt[0])) return false;
  gs?.fill(NaN, 0, cols);
  gt?.fill(NaN, 0, cols);
  return true;
}

/** True when every log-probability of the row is -Infinity (a fully masked teacher row). */
export function isMaskedRow(logP: Float64Array, cols: number): boolean {
  for (let j = 0; j < cols; j++) if (logP[j] !== -Infinity) return false;
  return true;
}

/** log(exp(a) + exp(b)) without overflow; -Infinity operands are exact. */
function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const hi = Math.max(a, b);
  return hi + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * Forward KL of one row from log-probabilities at temperature T. Adds
 * sScale * d(rowLoss)/ds into gs and tScale * d(rowLoss)/dt into gt (either may be null) and
 * returns rowLoss = T^2 KL(p_t || p_s). Shared by softmaxKL, hinton and multiTeacherKL.
 */
export function forwardKLRow(
  logPs: Float64Array, logPt: Float64Array, cols: number, temperature: number,
  gs: Float64Array | null, sScale: number, gt: Float64Array | null, tScale: number,
): number {
  const T = temperature;
  if (nanRow(logPs, logPt, cols, gs, gt)) return NaN;
  if (isMaskedRow(logPt, cols)) return 0;
  // 1. KL = sum_j p_t (log p_t - log p_s); terms with p_t = 0 are 0.
  let kl = 0;
  for (let j = 0; j < cols; j++) {
    const pt = Math.exp(logPt[j]);
    if (pt > 0) kl += pt * (logPt[j] - logPs[j]);
  }
  // 2. d/ds_j = T (p_s_j - p_t_j).
  if (gs) {
    for (let j = 0; j < cols; j++) gs[j] += sScale * T * (Math.exp(logPs[j]) - Math.exp(logPt[j]));
  }
  // 3. d/dt_j = T p_t_j (log p_t_j - log p_s_j - KL); 0 where p_t_j = 0.
  if (gt) {
    for (let j = 0; j < cols; j++) {
      const pt = Math.exp(logPt[j]);
      if (pt > 0) gt[j] += tScale * T * pt * (logPt[j] - logPs[j] - kl);
    }
  }
  return T * T * kl;
}

/** Reverse KL of one row; same conventions as forwardKLRow. */
export function reverseKLRow(
  logPs: Float64Array, logPt: Float64Array, cols: number, temperature: number,
  gs: Float64Array | null, sScale: number, gt: Float64Array | null, tScale: number,
): number {
  const T = temperature;
  if (nanRow(logPs, logPt, cols, gs, gt)) return NaN;
  if (isMaskedRow(logPt, cols)) return 0;
  // 1. KLrev = sum_j p_s (log p_s - log p_t); student mass on a masked class makes it +Infinity
  //    (gradients of that row stay 0).
  let kl = 0;
  for (let j = 0; j < cols; j++) {
    if (logPs[j] === -Infinity) continue;
    if (logPt[j] === -Infinity) return Infinity;
    kl += Math.exp(logPs[j]) * (logPs[j] - logPt[j]);
  }
  // 2. d/ds_j = T p_s_j (log p_s_j - log p_t_j - KLrev); 0 where p_s_j = 0.
  if (gs) {
    for (let j = 0; j < cols; j++) {
      const ps = Math.exp(logPs[j]);
      if (ps > 0) gs[j] += sScale * T * ps * (logPs[j] - logPt[j] - kl);
    }
  }
  // 3. d/dt_j = T (p_t_j - p_s_j).
  if (gt) {
    for (let j = 0; j < cols; j++) gt[j] += tScale * T * (Math.exp(logPt[j]) - Math.exp(logPs[j]));
  }
  return T * T * kl;
}

/**
 * Adds scale * (1/T) p_j (g_j - sum_k p_k g_k) into out: the chain rule from dL/dp (g) to the
 * logits through softmax(z / T). Terms with p_j = 0 are skipped (their g_j may be infinite).
 */
function softmaxChainRow(
  logP: Float64Array, g: Float64Array, cols: number, temperature: number, out: Float64Array, scale: number,
): void {
  let dot = 0;
  for (let j = 0; j < cols; j++) {
    const p = Math.exp(logP[j]);
    if (p > 0) dot += p * g[j];
  }
  for (let j = 0; j < cols; j++) {
    const p = Math.exp(logP[j]);
    if (p > 0) out[j] += (scale / temperature) * p * (g[j] - dot);
  }
}

/** Generalised Jensen-Shannon divergence of one row; `work` holds 2 * cols float64 scratch. */
export function jsdRow(
  logPs: Float64Array, logPt: Float64Array, cols: number, temperature: number, beta: number,
  gs: Float64Array | null, sScale: number, gt: Float64Array | null, tScale: number,
  work: Float64Array,
): number {
  const T = temperature;
  if (nanRow(logPs, logPt, cols, gs, gt)) return NaN;
  if (isMaskedRow(logPt, cols)) return 0;
  const logM = work.subarray(0, cols);
  const g = work.subarray(cols, 2 * cols);
  // 1. log m_j = log(beta p_t_j + (1 - beta) p_s_j), each side skipped when its weight is 0.
  const logBeta = beta > 0 ? Math.log(beta) : -Infinity;
  const log1mBeta = beta < 1 ? Math.log(1 - beta) : -Infinity;
  for (let j = 0; j < cols; j++) {
    const a = beta > 0 ? logBeta + logPt[j] : -Infinity;
    const b = beta < 1 ? log1mBeta + logPs[j] : -Infinity;
    logM[j] = logAddExp(a, b);
  }
  // 2. loss = T^2 (beta KL(p_t || m) + (1 - beta) KL(p_s || m)); p = 0 terms are 0.
  let klT = 0;
  let klS = 0;
  for (let j = 0; j < cols; j++) {
    const pt = Math.exp(logPt[j]);
    const ps = Math.exp(logPs[j]);
    if (beta > 0 && pt > 0) klT += pt * (logPt[j] - logM[j]);
    if (beta < 1 && ps > 0) klS += ps * (logPs[j] - logM[j]);
  }
  const loss = T * T * ((beta > 0 ? beta * klT : 0) + (beta < 1 ? (1 - beta) * klS : 0));
  // 3. Student: g_j = T^2 (1 - beta) log(p_s_j / m_j), then through softmax(s / T).
  if (gs && beta < 1) {
    for (let j = 0; j < cols; j++) g[j] = T * T * (1 - beta) * (logPs[j] - logM[j]);
    softmaxChainRow(logPs, g, cols, T, gs, sScale);
  }
  // 4. Teacher: g_j = T^2 beta log(p_t_j / m_j), then through softmax(t / T).
  if (gt && beta > 0) {
    for (let j = 0; j < cols; j++) g[j] = T * T * beta * (logPt[j] - logM[j]);
    softmaxChainRow(logPt, g, cols, T, gt, tScale);
  }
  return loss;
}

export function softmaxKL(a: SoftmaxKLArgs): SoftmaxKLResult {
  const { rows, cols, temperature, divergence, beta } = a;
  const s = f32(a.student);
  const t = f32(a.teacher);
  const rowLoss = new Float32Array(rows);
  const gradS = a.studentGradScale === null ? null : new Float32Array(rows * cols);
  const gradT = a.teacherGradScale === null ? null : new Float32Array(rows * cols);
  const logPs = new Float64Array(cols);
  const logPt = new Float64Array(cols);
  const gs = gradS ? new Float64Array(cols) : null;
  const gt = gradT ? new Float64Array(cols) : null;
  const work = divergence === 'jsd' ? new Float64Array(2 * cols) : new Float64Array(0);
  const sScale = a.studentGradScale ?? 0;
  const tScale = a.teacherGradScale ?? 0;

  const mask = maskedRows(a.rowMask);
  for (let i = 0; i < rows; i++) {
    // 0. A masked row (token) keeps rowLoss 0 and zero gradient rows.
    if (mask?.(i)) continue;
    const off = i * cols;
    // 1. Log-probabilities of both rows at temperature T.
    logSoftmaxRow(s, off, cols, temperature, logPs);
    logSoftmaxRow(t, off, cols, temperature, logPt);
    gs?.fill(0);
    gt?.fill(0);
    // 2. Row loss and scaled gradients in float64.
    rowLoss[i] = divergenceRow(divergence, logPs, logPt, cols, temperature, beta, gs, sScale, gt, tScale, work);
    // 3. Write the float32 results.
    if (gradS && gs) gradS.set(gs, off);
    if (gradT && gt) gradT.set(gt, off);
  }

  const result: SoftmaxKLResult = { rowLoss: wrap(rowLoss) };
  if (gradS) result.gradStudent = wrap(gradS);
  if (gradT) result.gradTeacher = wrap(gradT);
  return result;
}

function divergenceRow(
  divergence: Divergence, logPs: Float64Array, logPt: Float64Array, cols: number, temperature: number,
  beta: number, gs: Float64Array | null, sScale: number, gt: Float64Array | null, tScale: number,
  work: Float64Array,
): number {
  switch (divergence) {
    case 'forward-kl':
      return forwardKLRow(logPs, logPt, cols, temperature, gs, sScale, gt, tScale);
    case 'reverse-kl':
      return reverseKLRow(logPs, logPt, cols, temperature, gs, sScale, gt, tScale);
    case 'jsd':
      return jsdRow(logPs, logPt, cols, temperature, beta, gs, sScale, gt, tScale, work);
    default:
      throw new RangeError(`unknown divergence '${divergence as string}'`);
  }
}
