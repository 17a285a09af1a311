/**
 * FSP distillation ("flow of solution procedure", Yim et al., CVPR 2017, "A Gift from Knowledge
 * Distillation").
 *
 * The FSP matrix of two feature maps F1 [b, c1, h, w] and F2 [b, c2, h, w] of one network is, per sample,
 *
 *   G[n, i, j] = sum_{s < h*w} F1[n, i, s] * F2[n, j, s] / (h * w)          -> [b, c1, c2]
 *
 * and the loss over K matching layer pairs (student pair k and teacher pair k give G_s^k, G_t^k of the
 * same [c1, c2] shape; h, w may differ between student and teacher) is
 *
 *   loss = sum_k weights[k] * sum_{n,i,j} (G_s^k - G_t^k)[n, i, j]^2 / b   ('mean', default: mean over the batch)
 *   loss = sum_k weights[k] * sum_{n,i,j} (G_s^k - G_t^k)[n, i, j]^2       ('sum')
 *
 * (weights default to 1, Yim's lambda_i.) An entry may also be the FSP matrix [b, c1, c2] itself, from
 * fspMatrix: a frozen teacher's matrices can be cached over a data set, a student's regressed. Gradients flow to every map that requires one, teacher
 * maps included. NaN or Infinity in any map makes the loss NaN, as in PyTorch.
 *
 * No kernel of its own: the FSP matrix is a grouped convolution, one group per sample, whose kernel is
 * the whole h x w map of F1 and which slides down F2's channels viewed as one tall [c2 * h, w] image
 * (stride h), so it runs with its gradients on every backend's conv2d; the distance is hintLoss's.
 */
import type { Tensor } from '../tensor.js';
import { checkNumber, checkOneOf, checkOptions, checkSameBackend, checkTensor, describe, fmtShape } from '../kernels/validate.js';
import { conv2d } from '../ops/conv.js';
import { add, mul } from '../ops/arithmetic.js';
import { reshape } from '../ops/shape.js';
import { hintLoss } from './hint.js';

export type FspPair = readonly [Tensor, Tensor];
/** A pair of maps, or their FSP matrix [b, c1, c2]. */
export type FspEntry = FspPair | Tensor;

export interface FspLossOptions {
  /** One weight (>= 0) per pair; default 1 each. */
  weights?: readonly number[];
  /** 'mean' (default): summed squared distance / batch size; 'sum': not divided. */
  reduction?: 'mean' | 'sum';
}

/** The FSP matrices [b, c1, c2] of two maps [b, c1, h, w] and [b, c2, h, w] (with gradients). */
export function fspMatrix(f1: Tensor, f2: Tensor, names: readonly [string, string] = ['f1', 'f2']): Tensor {
  checkTensor(f1, names[0], { dtype: 'float32', rank: 4 });
  checkTensor(f2, names[1], { dtype: 'float32', rank: 4 });
  checkSameBackend([f1, f2], names);
  const [b, c1, h, w] = f1.shape;
  const [b2, c2, h2, w2] = f2.shape;
  if (b2 !== b || h2 !== h || w2 !== w) {
    throw new RangeError(`${names[1]} must have the batch size and spatial size of ${names[0]} [${b}, c2, ${h}, ${w}], got ${fmtShape(f2.shape)}`);
  }
  if (b * c1 * c2 * h * w === 0) throw new RangeError(`${names[0]} ${fmtShape(f1.shape)} and ${names[1]} ${fmtShape(f2.shape)} must not be empty`);
  // y[0, n*c1 + i, j, 0] = sum_{kh, kw} F2[n, j, kh, kw] * F1[n, i, kh, kw]
  const g = conv2d(reshape(f2, [1, b, c2 * h, w]), reshape(f1, [b * c1, 1, h, w]), null, { stride: h, groups: b });
  return mul(reshape(g, [b, c1, c2]), 1 / (h * w));
}

function checkPairs(v: unknown, name: string, count?: number): FspEntry[] {
  if (!Array.isArray(v)) throw new TypeError(`${name} must be an Array of [Tensor, Tensor] pairs, got ${describe(v)}`);
  if (v.length === 0) throw new RangeError(`${name} must hold at least one pair`);
  if (count !== undefined && v.length !== count) throw new RangeError(`${name} must hold ${count} pairs (one per student pair), got ${v.length}`);
  v.forEach((p, k) => {
    if (!Array.isArray(p)) checkTensor(p, `${name}[${k}]`, { dtype: 'float32', rank: 3 });
    else if (p.length !== 2) throw new TypeError(`${name}[${k}] must be a pair [Tensor, Tensor] or an FSP matrix [b, c1, c2], got ${describe(p)}`);
  });
  return v as FspEntry[];
}

/** The FSP loss of K student pairs against K teacher pairs (see the top of this file). */
export function fspLoss(studentPairs: readonly FspEntry[], teacherPairs: readonly FspEntry[], opts: FspLossOptions = {}): Tensor {
  checkOptions(opts, 'options', ['weights', 'reduction']);
  const sp = checkPairs(studentPairs, 'studentPairs');
  const tp = checkPairs(teacherPairs, 'teacherPairs', sp.length);
  const reduction = checkOneOf(opts.reduction ?? 'mean', 'reduction', ['mean', 'sum'] as const);
  let weights: number[];
  if (opts.weights === undefined) weights = sp.map(() => 1);
  else {
    if (!Array.isArray(opts.weights)) throw new TypeError(`weights must be an Array of ${sp.length} numbers (one per pair), got ${describe(opts.weights)}`);
    if (opts.weights.length !== sp.length) throw new RangeError(`weights must have ${sp.length} entries (one per pair), got ${opts.weights.length}`);
    weights = opts.weights.map((x, k) => checkNumber(x, `weights[${k}]`, { min: 0 }));
  }
  let total: Tensor | null = null;
  for (let k = 0; k < sp.length; k++) {
    const matrix = (e: FspEntry, name: string) =>
      Array.isArray(e) ? fspMatrix(e[0], e[1], [`${name}[${k}][0]`, `${name}[${k}][1]`]) : (e as Tensor);
    const gs = matrix(sp[k], 'studentPairs');
    const gt = matrix(tp[k], 'teacherPairs');
    if (gt.shape[0] !== gs.shape[0] || gt.shape[1] !== gs.shape[1] || gt.shape[2] !== gs.shape[2]) {
      throw new RangeError(
        `teacherPairs[${k}] must give FSP matrices of the student's shape [b, c1, c2] = ${fmtShape(gs.shape)} ` +
        `(same batch and channel counts), got ${fmtShape(gt.shape)}`,
      );
    }
    checkSameBackend([gs, gt], [`studentPairs[${k}]`, `teacherPairs[${k}]`]);
    const scale = weights[k] / (reduction === 'mean' ? gs.shape[0] : 1);
    const term = mul(hintLoss(gs, gt, { reduction: 'sum' }), scale);
    total = total ? add(total, term) : term;
  }
  return total as Tensor;
}
