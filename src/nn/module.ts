/** Module: parameters, train/eval mode, state dicts (PyTorch's nn.Module, minimal). */
import type { Tensor } from '../tensor.js';
import { fmtShape } from '../kernels/validate.js';

export type StateDict = Record<string, { shape: number[]; data: Float32Array }>;

export abstract class Module {
  training = true;
  /** Named parameters of this module alone (children are walked by namedParameters()). */
  protected params = new Map<string, Tensor>();
  protected children = new Map<string, Module>();

  abstract forward(x: Tensor): Tensor;

  /** Call forward: `model.call(x)` (or model.forward(x)). */
  call(x: Tensor): Tensor {
    return this.forward(x);
  }

  protected registerParameter(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    this.params.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.params) out.push([prefix + n, p]);
    for (const [n, c] of this.children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Number of scalar parameters. */
  numParameters(): number {
    return this.parameters().reduce((a, p) => a + p.size, 0);
  }

  train(mode = true): this {
    this.training = mode;
    for (const c of this.children.values()) c.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Copies of every parameter's values, by dotted name. */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [n, p] of this.namedParameters()) out[n] = { shape: [...p.shape], data: p.dataSync() as Float32Array };
    return out;
  }

  /** Async stateDict (works on webgpu). */
  async stateDictAsync(): Promise<StateDict> {
    const out: StateDict = {};
    for (const [n, p] of this.namedParameters()) out[n] = { shape: [...p.shape], data: (await p.data()) as Float32Array };
    return out;
  }

  /** Replace parameter values; every name must be present with the same shape. */
  loadStateDict(sd: StateDict): void {
    const named = this.namedParameters();
    const missing = named.filter(([n]) => !(n in sd)).map(([n]) => n);
    if (missing.length) throw new RangeError(`loadStateDict: missing parameters ${missing.join(', ')}`);
    const unexpected = Object.keys(sd).filter((k) => !named.some(([n]) => n === k));
    if (unexpected.length) throw new RangeError(`loadStateDict: unexpected parameters ${unexpected.join(', ')}`);
    for (const [n, p] of named) {
      const e = sd[n];
      const same = e.shape.length === p.shape.length && e.shape.every((d, i) => d === p.shape[i]);
      if (!same || e.data.length !== p.size) {
        throw new RangeError(`loadStateDict: ${n} must have shape ${fmtShape(p.shape)}, got ${fmtShape(e.shape)}`);
      }
    }
    for (const [n, p] of named) p.assign(p.backend.upload(Float32Array.from(sd[n].data)));
  }
}
