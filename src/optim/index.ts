/**
 * Optimisers with PyTorch's update rules (torch.optim.SGD, Adam, AdamW), one fused backend kernel
 * per parameter per step. Parameters without a gradient are skipped, as in PyTorch.
 */
import type { Storage } from '../backends/backend.js';
import type { Tensor } from '../tensor.js';
import { checkNumber, checkOptions, isTensor } from '../kernels/validate.js';

export abstract class Optimizer {
  readonly params: Tensor[];
  lr: number;
  constructor(params: Tensor[], lr: number) {
    if (!Array.isArray(params) || params.length === 0) throw new TypeError('params must be a non-empty array of Tensors');
    params.forEach((p, i) => {
      if (!isTensor(p)) throw new TypeError(`params[${i}] is not a Tensor`);
      if (!p.requiresGrad) throw new TypeError(`params[${i}] does not require grad`);
    });
    this.params = params;
    this.lr = checkNumber(lr, 'lr', { min: 0 });
  }
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }
  abstract step(): void;
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private buffers = new Map<Tensor, Storage>();
  constructor(params: Tensor[], opts: SGDOptions) {
    checkOptions(opts, 'options', ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay']);
    super(params, opts?.lr);
    this.momentum = checkNumber(opts.momentum ?? 0, 'momentum', { min: 0 });
    this.dampening = checkNumber(opts.dampening ?? 0, 'dampening', { min: 0, max: 1 });
    this.nesterov = !!opts.nesterov;
    this.weightDecay = checkNumber(opts.weightDecay ?? 0, 'weightDecay', { min: 0 });
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError('nesterov needs momentum > 0 and dampening 0 (as PyTorch)');
    }
  }
  step(): void {
    for (const p of this.params) {
      if (!p.grad) continue;
      const be = p.backend;
      let buf = this.buffers.get(p) ?? null;
      const hasMomentumBuffer = buf !== null;
      if (this.momentum !== 0 && !buf) this.buffers.set(p, (buf = be.zeros(p.size, 'float32')));
      be.sgdStep(p.storage, p.grad.storage, buf, p.size, {
        lr: this.lr, momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov,
        weightDecay: this.weightDecay, hasMomentumBuffer,
      });
    }
  }
}

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  protected decoupled = false;
  private state = new Map<Tensor, { m: Storage; v: Storage; step: number }>();
  constructor(params: Tensor[], opts: AdamOptions = {}, defaultWeightDecay = 0) {
    checkOptions(opts, 'options', ['lr', 'betas', 'eps', 'weightDecay']);
    super(params, opts.lr ?? 1e-3);
    const [b1, b2] = opts.betas ?? [0.9, 0.999];
    this.beta1 = checkNumber(b1, 'betas[0]', { min: 0, max: 1 });
    this.beta2 = checkNumber(b2, 'betas[1]', { min: 0, max: 1 });
    if (this.beta1 >= 1 || this.beta2 >= 1) throw new RangeError('betas must be in [0, 1)');
    this.eps = checkNumber(opts.eps ?? 1e-8, 'eps', { min: 0 });
    this.weightDecay = checkNumber(opts.weightDecay ?? defaultWeightDecay, 'weightDecay', { min: 0 });
  }
  step(): void {
    for (const p of this.params) {
      if (!p.grad) continue;
      const be = p.backend;
      let s = this.state.get(p);
      if (!s) this.state.set(p, (s = { m: be.zeros(p.size, 'float32'), v: be.zeros(p.size, 'float32'), step: 0 }));
      s.step++;
      be.adamStep(p.storage, p.grad.storage, s.m, s.v, p.size, {
        lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay,
        decoupled: this.decoupled, step: s.step,
      });
    }
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter); default weightDecay 0.01 as PyTorch. */
export class AdamW extends Adam {
  constructor(params: Tensor[], opts: AdamOptions = {}) {
    super(params, opts, 0.01);
    this.decoupled = true;
  }
}
