/**
 * Fused linear + KD for large vocabularies (Liger-Kernel's LigerFusedLinearJSDLoss /
 * FusedLinearKLDivLoss): the student's and teacher's final linear layers and the distillation loss
 * run `chunkSize` rows (tokens) at a time, so the [N, V] logits are never held whole:
 *
 *   z_s = h_s W_s^T + b_s,  z_t = h_t W_t^T + b_t
 *   soft = kdLoss(z_s, z_t, { temperature, divergence, beta, labels, ignoreIndex })   (T^2-scaled)
 *   hard = crossEntropy(z_s, labels)                                                  (T = 1)
 *   loss = alpha * soft + (1 - alpha) * hard     (alpha defaults to 1: soft only; alpha < 1 needs labels)
 *
 * Rows whose label is ignoreIndex are masked in both terms. Reductions: 'batchmean' (default; sum /
 * shape[0], or with labels / the non-ignored rows), 'mean' (soft: sum / (rows*V), with labels as
 * 'batchmean'; hard: over non-ignored rows), 'sum' (divided by `normalizer` when given).
 * Gradients flow to studentHidden, studentWeight and studentBias, accumulated chunk by chunk in the
 * same pass; the teacher is frozen (no gradient), as in Liger.
 */
import type { Divergence } from '../backends/backend.js';
import type { Tensor } from '../tensor.js';
import { type Reduction, reductionScale, rowReduction } from '../kernels/reduction.js';
import { DIVERGENCES, resolveDivergence } from '../kernels/divergence.js';
import { defaultChunkSize } from '../backends/fused_linear.js';
import {
  checkNumber, checkOneOf, checkOptions, checkSameBackend, checkTemperature, checkTensor, fmtShape,
} from '../kernels/validate.js';
import { blend, reduceRows, wantsGrad, withFusedGrad } from './fused.js';
import { tokenMask } from './mask.js';

export interface FusedLinearKdOptions {
  studentBias?: Tensor;
  teacherBias?: Tensor;
  temperature?: number;
  divergence?: Divergence;
  beta?: number;
  labels?: Tensor;
  ignoreIndex?: number;
  alpha?: number;
  reduction?: Exclude<Reduction, 'none'>;
  normalizer?: number;
  chunkSize?: number;
}

const OPTIONS = [
  'studentBias', 'teacherBias', 'temperature', 'divergence', 'beta', 'labels', 'ignoreIndex', 'alpha',
  'reduction', 'normalizer', 'chunkSize',
] as const;

/** [..., dim] hidden states and a [vocab, dim] weight (+ [vocab] bias) of one model. */
function checkLinear(h: Tensor, hName: string, w: Tensor, wName: string, b: Tensor | undefined, bName: string, lead?: readonly number[]) {
  checkTensor(h, hName, { dtype: 'float32' });
  if (h.rank < 2) throw new RangeError(`${hName} must be [..., hidden] with at least 2 dimensions, got shape ${fmtShape(h.shape)}`);
  const dim = h.shape[h.rank - 1];
  if (lead && (h.rank - 1 !== lead.length || lead.some((d, i) => d !== h.shape[i]))) {
    throw new RangeError(`${hName} must have the leading shape ${fmtShape(lead)} of studentHidden, got ${fmtShape(h.shape)}`);
  }
  checkTensor(w, wName, { dtype: 'float32' });
  if (w.rank !== 2 || w.shape[1] !== dim) throw new RangeError(`${wName} must be [vocab, ${dim}], got shape ${fmtShape(w.shape)}`);
  const vocab = w.shape[0];
  if (b !== undefined) {
    checkTensor(b, bName, { dtype: 'float32' });
    if (b.rank !== 1 || b.shape[0] !== vocab) throw new RangeError(`${bName} must be [${vocab}], got shape ${fmtShape(b.shape)}`);
  }
  return { lead: h.shape.slice(0, -1), dim, vocab };
}

export function fusedLinearKdLoss(
  studentHidden: Tensor, studentWeight: Tensor, teacherHidden: Tensor, teacherWeight: Tensor, opts: FusedLinearKdOptions = {},
): Tensor {
  checkOptions(opts, 'options', OPTIONS);
  const s = checkLinear(studentHidden, 'studentHidden', studentWeight, 'studentWeight', opts.studentBias, 'studentBias');
  const t = checkLinear(teacherHidden, 'teacherHidden', teacherWeight, 'teacherWeight', opts.teacherBias, 'teacherBias', s.lead);
  if (t.vocab !== s.vocab) throw new RangeError(`teacherWeight must have ${s.vocab} rows (the student's vocabulary), got ${t.vocab}`);
  const inputs = [studentHidden, studentWeight, teacherHidden, teacherWeight];
  const names = ['studentHidden', 'studentWeight', 'teacherHidden', 'teacherWeight'];
  if (opts.studentBias) (inputs.push(opts.studentBias), names.push('studentBias'));
  if (opts.teacherBias) (inputs.push(opts.teacherBias), names.push('teacherBias'));
  checkSameBackend(inputs, names);
  const rows = s.lead.reduce((a, b) => a * b, 1);
  const V = s.vocab;
  const temperature = checkTemperature(opts.temperature ?? 1, 'temperature');
  const beta = checkNumber(opts.beta ?? 0.5, 'beta', { min: 0, max: 1 });
  const divergence = resolveDivergence(checkOneOf(opts.divergence ?? 'forward-kl', 'divergence', DIVERGENCES), beta);
  const alpha = checkNumber(opts.alpha ?? 1, 'alpha', { min: 0, max: 1 });
  const chunkSize = checkNumber(opts.chunkSize ?? defaultChunkSize(rows, V), 'chunkSize', { min: 1, integer: true });
  const mask = tokenMask(opts, studentHidden, s.lead, V);
  if (alpha < 1 && !mask) throw new RangeError(`alpha < 1 weights a cross-entropy term against labels: pass labels (alpha = ${alpha})`);
  // Reductions: soft as kdLoss (with labels over the non-ignored rows), hard as crossEntropy.
  const { reduction, scale: softScale } = rowReduction(opts, 'batchmean', ['sum', 'mean', 'batchmean'] as const,
    mask?.denominators ?? { batch: s.lead[0], mean: rows * V });
  const hardScale = reduction === 'sum' ? softScale : reductionScale('mean', mask?.denominators ?? { batch: 1, mean: 1 });
  const hard = mask !== null && alpha < 1;

  const be = studentHidden.backend;
  const grads = {
    hidden: wantsGrad(studentHidden), weight: wantsGrad(studentWeight), bias: !!opts.studentBias && wantsGrad(opts.studentBias),
  };
  const r = be.fusedLinearKd({
    studentHidden: studentHidden.storage, studentWeight: studentWeight.storage, studentBias: opts.studentBias?.storage ?? null,
    teacherHidden: teacherHidden.storage, teacherWeight: teacherWeight.storage, teacherBias: opts.teacherBias?.storage ?? null,
    rows, vocab: V, studentDim: s.dim, teacherDim: t.dim, labels: mask?.rowMask.labels ?? null,
    ignoreIndex: mask?.rowMask.ignoreIndex ?? -100, chunkSize,
    temperature, divergence, beta, softGradScale: alpha * softScale, hardGradScale: hard ? (1 - alpha) * hardScale : null, grads,
  });
  const soft = reduceRows(be, r.softRow, s.lead, 'sum', softScale);
  let value = soft;
  if (r.hardRow) {
    const hardT = reduceRows(be, r.hardRow, s.lead, 'sum', hardScale);
    value = blend(be, soft, hardT, alpha);
    soft.dispose();
    hardT.dispose();
  }
  return withFusedGrad('fusedLinearKdLoss', value, [studentHidden, studentWeight, ...(opts.studentBias ? [opts.studentBias] : [])],
    [r.gradHidden, r.gradWeight, r.gradBias]);
}
