/**
 * In-place parameter updates on the `cpu` backend: gradient accumulation and the exact update rules
 * of torch.optim.SGD and torch.optim.Adam / AdamW (single-tensor path, maximize = False,
 * amsgrad = False). Per element, every intermediate is a float64 number computed from the float32
 * inputs; param and the optimiser state are rounded to float32 once when stored.
 *
 * addInPlace: dst += src.
 *
 * SGD (https://pytorch.org/docs/stable/generated/torch.optim.SGD.html), per element:
 *   1. g = grad + weightDecay * p                                   (when weightDecay != 0)
 *   2. when momentum != 0:
 *        buf = hasMomentumBuffer ? momentum * buf + (1 - dampening) * g : g   (first step: buf = g)
 *        g   = nesterov ? g + momentum * buf : buf
 *   3. p = p - lr * g
 *
 * Adam / AdamW (https://pytorch.org/docs/stable/generated/torch.optim.Adam.html, .../AdamW.html),
 * per element, t = step (1-based):
 *   1. Adam:  g = grad + weightDecay * p;   AdamW: p = p * (1 - lr * weightDecay), g = grad
 *   2. m = beta1 * m + (1 - beta1) * g
 *   3. v = beta2 * v + (1 - beta2) * g^2
 *   4. p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *      (= p - lr * mhat / (sqrt(vhat) + eps) with mhat = m / (1 - beta1^t), vhat = v / (1 - beta2^t);
 *      this is PyTorch's order of operations)
 */
import type { AdamParams, SgdParams, Storage } from '../backend.js';
import { f32 } from './storage.js';

export function addInPlace(dst: Storage, src: Storage, size: number): void {
  const D = f32(dst);
  const S = f32(src);
  for (let i = 0; i < size; i++) D[i] += S[i];
}

export function sgdStep(
  param: Storage, grad: Storage, momentumBuf: Storage | null, size: number, p: SgdParams,
): void {
  const P = f32(param);
  const G = f32(grad);
  const useMomentum = p.momentum !== 0;
  if (useMomentum && !momentumBuf) throw new TypeError('sgdStep: momentum != 0 needs a momentum buffer');
  const M = useMomentum ? f32(momentumBuf!) : null;
  for (let i = 0; i < size; i++) {
    // 1. L2 weight decay, added to the gradient.
    let g = G[i];
    if (p.weightDecay !== 0) g += p.weightDecay * P[i];
    // 2. Momentum (buffer initialised to the gradient on the first step), optionally Nesterov.
    if (M) {
      const buf = p.hasMomentumBuffer ? p.momentum * M[i] + (1 - p.dampening) * g : g;
      M[i] = buf;
      g = p.nesterov ? g + p.momentum * buf : buf;
    }
    // 3. Descend.
    P[i] = P[i] - p.lr * g;
  }
}

export function adamStep(
  param: Storage, grad: Storage, m: Storage, v: Storage, size: number, p: AdamParams,
): void {
  const P = f32(param);
  const G = f32(grad);
  const M = f32(m);
  const V = f32(v);
  const biasCorrection1 = 1 - Math.pow(p.beta1, p.step);
  const biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(p.beta2, p.step));
  const stepSize = p.lr / biasCorrection1;
  const decay = 1 - p.lr * p.weightDecay; // AdamW's decoupled factor
  for (let i = 0; i < size; i++) {
    // 1. Weight decay: coupled (Adam, into the gradient) or decoupled (AdamW, on the parameter).
    let g = G[i];
    let value = P[i];
    if (p.weightDecay !== 0) {
      if (p.decoupled) value *= decay;
      else g += p.weightDecay * value;
    }
    // 2-3. First and second moment estimates.
    const mi = p.beta1 * M[i] + (1 - p.beta1) * g;
    const vi = p.beta2 * V[i] + (1 - p.beta2) * g * g;
    M[i] = mi;
    V[i] = vi;
    // 4. Bias-corrected step.
    P[i] = value - (stepSize * mi) / (Math.sqrt(vi) / biasCorrection2Sqrt + p.eps);
  }
}
