/**
 * The Tensor facade: a shape, a dtype, a backend and its storage, plus the autograd fields.
 * Ops are both functions (src/ops) and methods here.
 */
import type { Backend, BackendName, DType, DTypeArray, Storage } from './backends/backend.js';
import { backendByName, getBackend } from './backends/registry.js';
import type { Node } from './autograd/node.js';
import { runBackward } from './autograd/tape.js';
import { fmtShape, describe } from './kernels/validate.js';
import { pcg } from './kernels/rng.js';
import * as ops from './ops/index.js';

/** Storage shared by a tensor and its views (reshape), freed when the last one lets go. */
class SharedStorage {
  refs = 1;
  constructor(public readonly backend: Backend, public storage: Storage) {}
  release(): void {
    if (--this.refs === 0) this.backend.dispose(this.storage);
  }
}

// Dropped tensors are reclaimed. Host memory (cpu, native) is freed by the garbage collector itself;
// device memory (webgpu) goes back to the backend when its tensor is collected. Only device storage is
// registered: a registry holds its values strongly until its callback runs between tasks, so host
// storage registered here would stay alive through a synchronous training loop.
const reclaim = new FinalizationRegistry<SharedStorage>((s) => s.release());
function track(t: Tensor<DType>, s: SharedStorage): void {
  if (!s.backend.sync) reclaim.register(t, s, t);
}

export type NestedArray = number | NestedArray[];
export type TensorData = Float32Array | Int32Array | number[] | NestedArray[];

export interface TensorOptions<D extends DType = DType> {
  requiresGrad?: boolean;
  dtype?: D;
  backend?: BackendName;
}

/** Options of tensor(): those of zeros() & co. plus `copy`. */
export interface TensorDataOptions<D extends DType = DType> extends TensorOptions<D> {
  /**
   * Default true: the tensor gets its own copy of `data`. `false` (cpu and native; a Float32Array,
   * or an Int32Array for int32): the tensor adopts the caller's array without copying it. The caller
   * must not write to the array while the tensor lives: a write changes the tensor's values behind
   * autograd's back (gradients computed from them are then wrong). On webgpu the data is always
   * copied to the GPU, so `false` changes nothing there.
   */
  copy?: boolean;
}

/**
 * A tensor of dtype D: `Tensor` is float32, `Tensor<'int32'>` holds labels. `data()` and
 * `dataSync()` return the dtype's array (Float32Array or Int32Array).
 */
export class Tensor<D extends DType = 'float32'> {
  readonly __kdTensor = true;
  readonly shape: readonly number[];
  readonly dtype: D;
  readonly backend: Backend;
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf tensor after backward(). */
  grad: Tensor | null = null;
  /** The autograd node that made this tensor (null for leaves). */
  node: Node | null = null;
  private shared: SharedStorage | null;
  /** Host copy of int32 tensors (labels), used for validation and CE denominators. */
  private readonly hostInts: Int32Array | null;

  /** @internal use tensor(), zeros(), ... */
  constructor(backend: Backend, storage: Storage, shape: readonly number[], opts: { requiresGrad?: boolean; hostInts?: Int32Array; shared?: SharedStorage } = {}) {
    this.backend = backend;
    this.shape = Object.freeze([...shape]);
    this.dtype = storage.dtype as D;
    this.requiresGrad = opts.requiresGrad ?? false;
    this.hostInts = opts.hostInts ?? null;
    if (opts.shared) {
      opts.shared.refs++;
      this.shared = opts.shared;
    } else {
      this.shared = new SharedStorage(backend, storage);
    }
    track(this, this.shared);
  }

  get storage(): Storage {
    if (!this.shared) throw new Error(`tensor of shape ${fmtShape(this.shape)} has been disposed`);
    return this.shared.storage;
  }

  get isDisposed(): boolean {
    return this.shared === null;
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** A copy of the values, the caller's to keep and modify (on webgpu: the one readback). */
  async data(): Promise<DTypeArray<D>> {
    return (await this.backend.read(this.storage)) as DTypeArray<D>;
  }

  /** A copy of the values, synchronously (cpu and native backends only). */
  dataSync(): DTypeArray<D> {
    this.checkHost('dataSync()', 'await tensor.data()');
    return this.backend.readSync(this.storage) as DTypeArray<D>;
  }

  /**
   * The tensor's own host memory, without a copy (cpu and native backends only), like PyTorch's
   * `Tensor.numpy()`. Treat it as read-only. It shows the tensor's current values: it changes when
   * the tensor is written in place (`optimizer.step()` on a parameter, gradient accumulation into a
   * leaf's `.grad` by a later `backward()`); `loadStateDict()` gives the tensor new memory and leaves
   * the view with the old values. It stays readable after `dispose()` (kd-kernels then never reuses
   * that memory). Copy it (`dataSync()`) to keep values across such writes.
   */
  hostView(): DTypeArray<D> {
    this.checkHost('hostView()', 'await tensor.data() (a copy)');
    return this.backend.readView(this.storage) as DTypeArray<D>;
  }

  private checkHost(what: string, instead: string): void {
    if (!this.backend.sync) throw new Error(`${what} is not available on the ${this.backend.name} backend: use ${instead}`);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    this.checkScalar('item()');
    return (await this.data())[0];
  }

  itemSync(): number {
    this.checkScalar('itemSync()');
    return this.dataSync()[0];
  }

  private checkScalar(what: string): void {
    if (this.size !== 1) throw new RangeError(`${what} needs a one-element tensor, got shape ${fmtShape(this.shape)}`);
  }

  /** @internal the host labels of an int32 tensor. */
  hostInt32(): Int32Array {
    if (this.hostInts) return this.hostInts;
    if (this.dtype === 'int32' && this.backend.sync) return this.backend.readSync(this.storage) as Int32Array;
    throw new TypeError('this int32 tensor has no host copy: create labels with tensor(Int32Array, shape, { dtype: "int32" })');
  }

  /** Back-propagate from this tensor; a non-scalar needs an explicit upstream gradient. */
  backward(this: Tensor, grad?: Tensor): void {
    runBackward(this, grad);
  }

  zeroGrad(): void {
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** Free the storage now (GPU memory above all). Views made by reshape keep theirs alive. */
  dispose(): void {
    if (!this.shared) return;
    reclaim.unregister(this);
    this.shared.release();
    this.shared = null;
    this.node = null;
  }

  /** @internal give this tensor new storage of the same size (loadStateDict); views keep the old. */
  assign(storage: Storage): void {
    if (storage.size !== this.size || storage.dtype !== this.dtype) throw new RangeError('assign: storage of another size or dtype');
    const old = this.shared!;
    reclaim.unregister(this);
    this.shared = new SharedStorage(this.backend, storage);
    track(this, this.shared);
    old.release();
  }

  /** A copy on another backend. */
  async to(name: BackendName): Promise<Tensor<D>> {
    const target = backendByName(name);
    if (target === this.backend) return this;
    const d = await this.data();
    return new Tensor<D>(target, target.upload(d), this.shape, { requiresGrad: this.requiresGrad, hostInts: this.hostInts ?? undefined });
  }

  /** @internal a tensor sharing this one's storage with another shape. */
  view(shape: readonly number[]): Tensor<D> {
    return new Tensor<D>(this.backend, this.storage, shape, { shared: this.shared!, hostInts: this.hostInts ?? undefined });
  }

  toString(): string {
    return `Tensor(shape=${fmtShape(this.shape)}, dtype=${this.dtype}, backend=${this.backend.name}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // ---- ops as methods --------------------------------------------------------------------------
  add(this: Tensor, b: Tensor | number): Tensor { return ops.add(this, b); }
  sub(this: Tensor, b: Tensor | number): Tensor { return ops.sub(this, b); }
  mul(this: Tensor, b: Tensor | number): Tensor { return ops.mul(this, b); }
  div(this: Tensor, b: Tensor | number): Tensor { return ops.div(this, b); }
  neg(this: Tensor): Tensor { return ops.neg(this); }
  matmul(this: Tensor, b: Tensor): Tensor { return ops.matmul(this, b); }
  relu(this: Tensor): Tensor { return ops.relu(this); }
  exp(this: Tensor): Tensor { return ops.exp(this); }
  log(this: Tensor): Tensor { return ops.log(this); }
  square(this: Tensor): Tensor { return ops.square(this); }
  sum(this: Tensor, axis?: number): Tensor { return ops.sum(this, axis); }
  mean(this: Tensor, axis?: number): Tensor { return ops.mean(this, axis); }
  reshape(shape: readonly number[]): Tensor<D> { return ops.reshape(this, shape); }
  flatten(startDim = 1): Tensor<D> { return ops.flatten(this, startDim); }
  transpose(this: Tensor): Tensor { return ops.transpose(this); }
  softmax(this: Tensor): Tensor { return ops.softmax(this); }
  logSoftmax(this: Tensor): Tensor { return ops.logSoftmax(this); }
  detach(): Tensor<D> { return ops.detach(this); }
  fakeQuantize(this: Tensor, scale: number, opts?: ops.FakeQuantizeOptions): Tensor { return ops.fakeQuantize(this, scale, opts); }
}

// ---- creation ----------------------------------------------------------------------------------

function flattenNested(data: NestedArray[], shape: number[], out: number[], depth: number, name: string): void {
  if (depth === shape.length - 1) {
    for (const v of data) {
      if (typeof v !== 'number') throw new TypeError(`${name}: ragged nested array (expected numbers at depth ${depth})`);
      out.push(v);
    }
    return;
  }
  for (const row of data) {
    if (!Array.isArray(row) || row.length !== shape[depth + 1]) {
      throw new TypeError(`${name}: ragged nested array (expected arrays of length ${shape[depth + 1]} at depth ${depth + 1})`);
    }
    flattenNested(row, shape, out, depth + 1, name);
  }
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let x: NestedArray = data;
  while (Array.isArray(x)) {
    shape.push(x.length);
    x = x[0];
  }
  return shape;
}

function checkShape(shape: unknown, name = 'shape'): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${name} must be an array of non-negative integers, got ${describe(shape)}`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new RangeError(`${name} must hold non-negative integers, got ${fmtShape(shape as number[])}`);
    }
  }
  return shape as number[];
}

/**
 * Make a tensor from a Float32Array, Int32Array, number[] or nested arrays.
 * `tensor(data, [B, C], { requiresGrad: true })`; `tensor(labels, [B], { dtype: 'int32' })`.
 * The dtype is `opts.dtype`, else int32 for an Int32Array, else float32. `{ copy: false }` adopts a
 * typed array of that dtype instead of copying it (see TensorDataOptions.copy).
 */
export function tensor(data: TensorData, shape: readonly number[] | undefined, opts: TensorDataOptions<'int32'> & { dtype: 'int32' }): Tensor<'int32'>;
export function tensor(data: Int32Array, shape?: readonly number[], opts?: TensorDataOptions<'int32'>): Tensor<'int32'>;
export function tensor(data: TensorData, shape?: readonly number[], opts?: TensorDataOptions<'float32'>): Tensor;
export function tensor(data: TensorData, shape?: readonly number[], opts?: TensorDataOptions): Tensor<DType>;
export function tensor(data: TensorData, shape?: readonly number[], opts: TensorDataOptions = {}): Tensor<DType> {
  const dtype: DType = opts.dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
  if (dtype !== 'float32' && dtype !== 'int32') throw new RangeError(`dtype must be 'float32' or 'int32', got ${describe(dtype)}`);
  const copy = opts.copy ?? true;
  if (typeof copy !== 'boolean') throw new TypeError(`copy must be a boolean, got ${describe(copy)}`);
  const Arr = dtype === 'int32' ? Int32Array : Float32Array;
  if (!copy && !(data instanceof Arr)) {
    throw new TypeError(`tensor(data, shape, { copy: false }) adopts a ${Arr.name} for dtype '${dtype}', got ${describe(data)}`);
  }
  let flat: Float32Array | Int32Array;
  let inferred: number[];
  if (data instanceof Float32Array || data instanceof Int32Array) {
    flat = data instanceof Arr ? data : Arr.from(data);
    inferred = [data.length];
  } else if (Array.isArray(data)) {
    inferred = inferShape(data as NestedArray);
    const out: number[] = [];
    if (inferred.length <= 1) {
      for (const v of data) {
        if (typeof v !== 'number') throw new TypeError('tensor data must hold numbers');
        out.push(v);
      }
    } else flattenNested(data as NestedArray[], inferred, out, 0, 'tensor data');
    if (dtype === 'int32' && out.some((v) => !Number.isInteger(v))) throw new TypeError('int32 tensor data must hold integers');
    flat = Arr.from(out);
  } else {
    throw new TypeError(`tensor data must be a Float32Array, Int32Array or (nested) number array, got ${describe(data)}`);
  }
  const s = shape ? checkShape(shape) : inferred;
  const n = s.reduce((a, b) => a * b, 1);
  if (n !== flat.length) throw new RangeError(`tensor data has ${flat.length} elements but shape ${fmtShape(s)} needs ${n}`);
  if (opts.requiresGrad && dtype !== 'float32') throw new TypeError('only float32 tensors can require grad');
  const backend = opts.backend ? backendByName(opts.backend) : getBackend();
  // Arrays made here are ours already: adopt them rather than copy them again.
  const adopt = !copy || flat !== data;
  const hostInts = dtype === 'int32' ? (adopt ? flat : flat.slice()) as Int32Array : undefined;
  return new Tensor<DType>(backend, backend.upload(flat, !adopt), s, { requiresGrad: opts.requiresGrad, hostInts });
}

export function zeros<D extends DType = 'float32'>(shape: readonly number[], opts: TensorOptions<D> = {}): Tensor<D> {
  const s = checkShape(shape);
  const backend = opts.backend ? backendByName(opts.backend) : getBackend();
  const n = s.reduce((a, b) => a * b, 1);
  return new Tensor<D>(backend, backend.zeros(n, opts.dtype ?? 'float32'), s, { requiresGrad: opts.requiresGrad });
}

export function full<D extends DType = 'float32'>(shape: readonly number[], value: number, opts: TensorOptions<D> = {}): Tensor<D> {
  const s = checkShape(shape);
  const n = s.reduce((a, b) => a * b, 1);
  return tensor(new Float32Array(n).fill(value), s, opts) as Tensor<DType> as Tensor<D>;
}

export function ones<D extends DType = 'float32'>(shape: readonly number[], opts: TensorOptions<D> = {}): Tensor<D> {
  return full(shape, 1, opts);
}

let globalSeed = 0x2545f491;
let draws = 0;

/** Seed randn()/rand() and everything that draws from them (init, dropout seeds). */
export function manualSeed(seed: number): void {
  globalSeed = seed >>> 0;
  draws = 0;
}

/** The next 32-bit seed from the global stream (for dropout and init). */
export function nextSeed(): number {
  return pcg((globalSeed + Math.imul(++draws, 0x9e3779b9)) >>> 0);
}

/** Uniform [0, 1) floats from a counter-based stream: deterministic for a seed. */
export function uniformArray(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  const base = pcg(seed >>> 0);
  for (let i = 0; i < n; i++) out[i] = (pcg((base + i) >>> 0) >>> 8) * 5.9604644775390625e-8;
  return out;
}

/** Standard normal samples (Box-Muller on the counter-based stream), seeded. */
export function randnArray(n: number, seed: number): Float32Array {
  const u = uniformArray(2 * Math.ceil(n / 2), seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u[i]));
    const th = 2 * Math.PI * u[i + 1];
    out[i] = r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

export function randn(shape: readonly number[], opts: TensorOptions & { seed?: number; mean?: number; std?: number } = {}): Tensor {
  const s = checkShape(shape);
  const n = s.reduce((a, b) => a * b, 1);
  const x = randnArray(n, opts.seed ?? nextSeed());
  const std = opts.std ?? 1;
  const mean = opts.mean ?? 0;
  if (std !== 1 || mean !== 0) for (let i = 0; i < n; i++) x[i] = x[i] * std + mean;
  return tensor(x, s, { requiresGrad: opts.requiresGrad, backend: opts.backend });
}

export function rand(shape: readonly number[], opts: TensorOptions & { seed?: number; low?: number; high?: number } = {}): Tensor {
  const s = checkShape(shape);
  const n = s.reduce((a, b) => a * b, 1);
  const x = uniformArray(n, opts.seed ?? nextSeed());
  const lo = opts.low ?? 0;
  const hi = opts.high ?? 1;
  for (let i = 0; i < n; i++) x[i] = lo + (hi - lo) * x[i];
  return tensor(x, s, { requiresGrad: opts.requiresGrad, backend: opts.backend });
}

/** @internal wrap a backend storage produced by a kernel. */
export function fromStorage(backend: Backend, storage: Storage, shape: readonly number[]): Tensor {
  return new Tensor(backend, storage, shape);
}
