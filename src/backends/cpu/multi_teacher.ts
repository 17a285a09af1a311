/**
 * Multi-teacher distillation (reference cpu kernel): forward KL from the student to a weighted
 * mixture of the teachers' softened distributions.
 *
 *   p_s = softmax(s / T),  p_k = softmax(t_k / T),  q = sum_k w_k p_k
 *   rowLoss = T^2 sum_j q_j (log q_j - log p_s_j)                 (q_j = 0 terms contribute 0)
 *   d/ds    = T (p_s - q)
 *   d/dt_k  = w_k T p_k ⊙ (g - <p_k, g>),  g_j = log q_j - log p_s_j  (g_j = 0 where q_j = 0)
 *
 * log q is computed as a log-sum-exp over the teachers (log w_k + log p_k), so masked classes
 * (-Infinity logits) and weights of 0 are exact. A row where q is 0 everywhere (every teacher
 * fully masked) gives rowLoss 0 and zero gradients. A NaN or +Infinity logit (student or any
 * teacher) makes the row's loss and gradient rows NaN. The gradients written are
 * `scale * d(rowLoss_i)/d(input)` for each non-null scale. Rows masked by `rowMask` are skipped
 * (loss 0, gradients 0).
 */
import type { MultiTeacherArgs, MultiTeacherResult } from '../backend.js';
import { f32, wrap } from './storage.js';
import { forwardKLRow, isMaskedRow, logSoftmaxRow, maskedRows } from './softmax_kl.js';

export function multiTeacherKL(a: MultiTeacherArgs): MultiTeacherResult {
  const { rows, cols, temperature: T, weights } = a;
  const K = a.teachers.length;
  const s = f32(a.student);
  const teachers = a.teachers.map(f32);
  const rowLoss = new Float32Array(rows);
  const gradS = a.studentGradScale === null ? null : new Float32Array(rows * cols);
  const gradT = a.teacherGradScales.map((sc) => (sc === null ? null : new Float32Array(rows * cols)));

  const logW = weights.map((w) => (w > 0 ? Math.log(w) : -Infinity));
  const logPs = new Float64Array(cols);
  const logPk = Array.from({ length: K }, () => new Float64Array(cols));
  const logQ = new Float64Array(cols);
  const gLog = new Float64Array(cols); // g_j = log q_j - log p_s_j
  const gs = gradS ? new Float64Array(cols) : null;
  const gk = new Float64Array(cols);

  const mask = maskedRows(a.rowMask);
  for (let i = 0; i < rows; i++) {
    // 0. A masked row (token) keeps rowLoss 0 and zero gradient rows.
    if (mask?.(i)) continue;
    const off = i * cols;
    // 1. Log-probabilities of the student and of every teacher at temperature T.
    logSoftmaxRow(s, off, cols, T, logPs);
    for (let k = 0; k < K; k++) logSoftmaxRow(teachers[k], off, cols, T, logPk[k]);
    // 2. log q_j = log sum_k w_k p_k_j as a log-sum-exp over the teachers (zero terms are exact).
    for (let j = 0; j < cols; j++) {
      let hi = -Infinity;
      for (let k = 0; k < K; k++) hi = Math.max(hi, logW[k] + logPk[k][j]);
      if (hi === -Infinity) {
        logQ[j] = -Infinity;
        continue;
      }
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(logW[k] + logPk[k][j] - hi);
      logQ[j] = hi + Math.log(sum);
    }
    // 3. Loss and student gradient: forward KL with q as the target distribution.
    gs?.fill(0);
    rowLoss[i] = forwardKLRow(logPs, logQ, cols, T, gs, a.studentGradScale ?? 0, null, 0);
    if (gradS && gs) gradS.set(gs, off);
    if (Number.isNaN(rowLoss[i])) {
      for (const out of gradT) out?.fill(NaN, off, off + cols); // a NaN or +Infinity logit in the row
      continue;
    }
    if (isMaskedRow(logQ, cols)) continue;
    // 4. Teacher gradients: w_k T p_k (g - <p_k, g>), g = log q - log p_s (0 where q = 0).
    for (let j = 0; j < cols; j++) gLog[j] = logQ[j] === -Infinity ? 0 : logQ[j] - logPs[j];
    for (let k = 0; k < K; k++) {
      const out = gradT[k];
      if (!out) continue;
      const scale = (a.teacherGradScales[k] ?? 0) * weights[k] * T;
      let dot = 0;
      for (let j = 0; j < cols; j++) {
        const p = Math.exp(logPk[k][j]);
        if (p > 0) dot += p * gLog[j];
      }
      for (let j = 0; j < cols; j++) {
        const p = Math.exp(logPk[k][j]);
        gk[j] = p > 0 ? scale * p * (gLog[j] - dot) : 0;
      }
      out.set(gk, off);
    }
  }

  const result: MultiTeacherResult = { rowLoss: wrap(rowLoss) };
  if (gradS) result.gradStudent = wrap(gradS);
  if (a.teacherGradScales.some((sc) => sc !== null)) {
    result.gradTeachers = gradT.map((g) => (g ? wrap(g) : undefined));
  }
  return result;
}
