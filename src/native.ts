/**
 * `kd-kernels/native`: the raw fused loss kernels of the C++ addon for other trainers. No Tensor,
 * no autograd: synchronous functions on Float32Array / Int32Array that write the loss and the
 * gradients into caller-provided arrays (zero copy; omitted outputs are allocated and returned).
 *
 *   import { native } from 'kd-kernels/native';
 *   const rowLoss = new Float32Array(B), grad = new Float32Array(B * C);
 *   native.softmaxKL({ student, teacher, rows: B, cols: C, temperature: 4, rowLoss,
 *                      gradStudent: grad, studentGradScale: 1 / B });   // batchmean gradient
 *
 * Every argument is checked here first (TypeError for a wrong type or a missing field, RangeError
 * for a wrong length or value, each naming the argument and the expected length); the addon checks
 * again and never crashes. Outputs must not overlap inputs or each other.
 * Math: DESIGN.md and src/backends/backend.ts; the semantics match the `cpu` backend.
 */
import type { Divergence } from './backends/backend.js';
import { addonLoadError, loadAddon } from './backends/native/addon.js';
import { resolveDivergence } from './kernels/divergence.js';

type F32 = Float32Array;
/**
 * An optional output array. Each function is generic over the ones you pass, so its result types
 * them as the arrays you passed (`gradStudent: Float32Array`) and those you left out as `undefined`
 * (not computed): no `| undefined` to check for the outputs you asked for.
 */
type Out = F32 | undefined;

/** The ISA variants of the addon: one is picked at load (KD_ISA overrides). */
export type Isa = 'scalar' | 'avx2' | 'avx512' | 'neon';

export interface NativeInfo {
  /** The variant in use. */
  isa: Isa;
  /** The thread pool's size (KD_NUM_THREADS overrides). */
  threads: number;
  /** The variants this CPU can run. */
  isasSupported: Isa[];
}

export interface SoftmaxKLOptions<GS extends Out = Out, GT extends Out = Out> {
  student: F32; // [rows, cols] logits
  teacher: F32; // [rows, cols] logits; -Infinity marks a masked class
  rows: number;
  cols: number;
  /** Default 1. */
  temperature?: number;
  /** Default 'forward-kl'. */
  divergence?: Divergence;
  /** JSD teacher weight in m = beta p_t + (1 - beta) p_s. Default 0.5. 0 is forward KL, 1 reverse KL (TRL, Liger). */
  beta?: number;
  /** [rows] output: T^2 * divergence per row. Allocated when omitted. */
  rowLoss?: F32;
  /** [rows, cols] output: studentGradScale * d(rowLoss)/d(student). Not computed when omitted. */
  gradStudent?: GS;
  /** [rows, cols] output: teacherGradScale * d(rowLoss)/d(teacher). Not computed when omitted. */
  gradTeacher?: GT;
  /** Default 1 (use 1/rows for a batchmean loss). */
  studentGradScale?: number;
  teacherGradScale?: number;
}

export interface CrossEntropyOptions<G extends Out = Out> {
  logits: F32; // [rows, cols]
  labels: Int32Array; // [rows], each in [0, cols) or === ignoreIndex
  rows: number;
  cols: number;
  /** PyTorch semantics, in [0, 1]. Default 0. */
  labelSmoothing?: number;
  /** Default -100. */
  ignoreIndex?: number;
  /** [cols] class weights. */
  weight?: F32 | null;
  /** [rows] output (0 on ignored rows). */
  rowLoss?: F32;
  /** [rows, cols] output: gradScale * d(rowLoss)/d(logits). */
  grad?: G;
  /** Default 1. */
  gradScale?: number;
}

export interface HintonOptions<G extends Out = Out> {
  student: F32;
  teacher: F32;
  labels: Int32Array;
  rows: number;
  cols: number;
  temperature?: number;
  labelSmoothing?: number;
  ignoreIndex?: number;
  weight?: F32 | null;
  /** [rows] output: T^2 KL(p_t || p_s) (forward KL at T). */
  softRow?: F32;
  /** [rows] output: cross-entropy at T = 1. */
  hardRow?: F32;
  /** [rows, cols] output: softGradScale * dsoft/ds + hardGradScale * dhard/ds. */
  grad?: G;
  /** e.g. alpha / rows. Default 1. */
  softGradScale?: number;
  /** e.g. (1 - alpha) / (non-ignored rows). Default 1. */
  hardGradScale?: number;
}

export interface MultiTeacherOptions<GS extends Out = Out, GTs extends (F32 | null)[] | undefined = (F32 | null)[] | undefined> {
  student: F32;
  teachers: F32[]; // K x [rows, cols]
  /** K weights >= 0 (summing to 1). Default uniform 1 / K. */
  weights?: number[] | Float64Array;
  rows: number;
  cols: number;
  temperature?: number;
  rowLoss?: F32;
  gradStudent?: GS;
  /** K entries, each a [rows, cols] output or null (no gradient for that teacher). */
  gradTeachers?: GTs;
  studentGradScale?: number;
  /** K scales (default 1 each), read where gradTeachers[k] is given. */
  teacherGradScales?: number[] | Float64Array;
}

export interface GramSimilarityOptions<GS extends Out = Out, GT extends Out = Out> {
  student: F32; // [b, ds]
  teacher: F32; // [b, dt]
  b: number;
  ds: number;
  dt: number;
  gradStudent?: GS;
  gradTeacher?: GT;
  studentGradScale?: number;
  teacherGradScale?: number;
}

export interface MseOptions<GA extends Out = Out, GB extends Out = Out> {
  a: F32;
  b: F32;
  /** Outputs: aGradScale * 2 (a - b) and bGradScale * 2 (b - a). */
  gradA?: GA;
  gradB?: GB;
  aGradScale?: number;
  bGradScale?: number;
}

/** rowLoss [rows]; the gradients you passed (undefined: not computed). */
export interface SoftmaxKLResult<GS extends Out = Out, GT extends Out = Out> {
  rowLoss: F32;
  gradStudent: GS;
  gradTeacher: GT;
}

/** rowLoss [rows]; grad when you passed it. */
export interface CrossEntropyResult<G extends Out = Out> {
  rowLoss: F32;
  grad: G;
}

/** softRow, hardRow [rows]; grad when you passed it. */
export interface HintonResult<G extends Out = Out> {
  softRow: F32;
  hardRow: F32;
  grad: G;
}

/** rowLoss [rows]; the gradients you passed. */
export interface MultiTeacherResult<GS extends Out = Out, GTs extends (F32 | null)[] | undefined = (F32 | null)[] | undefined> {
  rowLoss: F32;
  gradStudent: GS;
  gradTeachers: GTs;
}

/** the loss; the gradients you passed. */
export interface GramSimilarityResult<GS extends Out = Out, GT extends Out = Out> {
  loss: number;
  gradStudent: GS;
  gradTeacher: GT;
}

/** sum of squares; the gradients you passed. */
export interface MseResult<GA extends Out = Out, GB extends Out = Out> {
  sumSq: number;
  gradA: GA;
  gradB: GB;
}

// ---- validation (TypeError: type / missing; RangeError: length / value) ------------------------

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

function opts<T>(fn: string, o: unknown): T {
  if (!isObj(o)) throw new TypeError(`native.${fn}: expected an options object, got ${describe(o)}`);
  return o as T;
}

function describe(x: unknown): string {
  if (x === undefined) return 'undefined (missing?)';
  if (x === null) return 'null';
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name} of length ${(x as unknown as { length: number }).length}`;
  if (Array.isArray(x)) return 'an Array';
  if (typeof x === 'number') return `the number ${x}`;
  return `a ${typeof x}`;
}

function f32(fn: string, name: string, x: unknown, len: number, shape: string): F32 {
  if (!(x instanceof Float32Array)) {
    throw new TypeError(`native.${fn}: '${name}' must be a Float32Array of shape ${shape} (length ${len}), got ${describe(x)}`);
  }
  if (x.length !== len) {
    throw new RangeError(`native.${fn}: '${name}' must have length ${len} (shape ${shape}), got length ${x.length}`);
  }
  return x;
}

function optF32(fn: string, name: string, x: unknown, len: number, shape: string): F32 | null {
  return x === undefined || x === null ? null : f32(fn, name, x, len, shape);
}

function outF32(fn: string, name: string, x: unknown, len: number, shape: string): F32 {
  return x === undefined || x === null ? new Float32Array(len) : f32(fn, name, x, len, shape);
}

function i32(fn: string, name: string, x: unknown, len: number, shape: string): Int32Array {
  if (!(x instanceof Int32Array)) {
    throw new TypeError(`native.${fn}: '${name}' must be an Int32Array of shape ${shape} (length ${len}), got ${describe(x)}`);
  }
  if (x.length !== len) {
    throw new RangeError(`native.${fn}: '${name}' must have length ${len} (shape ${shape}), got length ${x.length}`);
  }
  return x;
}

function num(fn: string, name: string, x: unknown, dflt?: number): number {
  if (x === undefined && dflt !== undefined) return dflt;
  if (typeof x !== 'number') throw new TypeError(`native.${fn}: '${name}' must be a number, got ${describe(x)}`);
  if (!Number.isFinite(x)) throw new RangeError(`native.${fn}: '${name}' must be finite, got ${x}`);
  return x;
}

function dim(fn: string, name: string, x: unknown, min = 0): number {
  const v = num(fn, name, x);
  if (!Number.isInteger(v) || v < min || v > 2147483647) {
    throw new RangeError(`native.${fn}: '${name}' must be an integer in [${min}, 2^31 - 1], got ${v}`);
  }
  return v;
}

function positive(fn: string, name: string, x: unknown, dflt: number): number {
  const v = num(fn, name, x, dflt);
  if (!(v > 0)) throw new RangeError(`native.${fn}: '${name}' must be > 0, got ${v}`);
  return v;
}

function unit(fn: string, name: string, x: unknown, dflt: number): number {
  const v = num(fn, name, x, dflt);
  if (v < 0 || v > 1) throw new RangeError(`native.${fn}: '${name}' must be in [0, 1], got ${v}`);
  return v;
}

function intIndex(fn: string, name: string, x: unknown, dflt: number): number {
  const v = num(fn, name, x, dflt);
  if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
    throw new RangeError(`native.${fn}: '${name}' must be a 32-bit integer, got ${v}`);
  }
  return v;
}

function labelsInRange(fn: string, labels: Int32Array, cols: number, ignoreIndex: number): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y !== ignoreIndex && (y < 0 || y >= cols)) {
      throw new RangeError(`native.${fn}: 'labels[${i}]' = ${y} is outside [0, cols = ${cols}) and is not ignoreIndex (${ignoreIndex})`);
    }
  }
}

function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer || a.byteLength === 0 || b.byteLength === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** Every output disjoint from every input and from the other outputs. */
function noAlias(fn: string, inputs: [string, ArrayBufferView | null][], outputs: [string, ArrayBufferView | null][]): void {
  for (let i = 0; i < outputs.length; i++) {
    const [on, o] = outputs[i];
    if (!o) continue;
    for (const [inName, x] of inputs) {
      if (x && overlaps(o, x)) throw new RangeError(`native.${fn}: output '${on}' must not share memory with input '${inName}'`);
    }
    for (let j = i + 1; j < outputs.length; j++) {
      const [on2, o2] = outputs[j];
      if (o2 && overlaps(o, o2)) throw new RangeError(`native.${fn}: output '${on}' must not share memory with output '${on2}'`);
    }
  }
}

const DIV: Record<Divergence, number> = { 'forward-kl': 0, 'reverse-kl': 1, jsd: 2 };

// ---- the raw kernels -------------------------------------------------------------------------

function softmaxKL<GS extends Out = undefined, GT extends Out = undefined>(o: SoftmaxKLOptions<GS, GT>): SoftmaxKLResult<GS, GT> {
  const fn = 'softmaxKL';
  const a = opts<SoftmaxKLOptions>(fn, o);
  const rows = dim(fn, 'rows', a.rows);
  const cols = dim(fn, 'cols', a.cols, 1);
  const n = rows * cols;
  const sh = `[rows, cols] = [${rows}, ${cols}]`;
  const student = f32(fn, 'student', a.student, n, sh);
  const teacher = f32(fn, 'teacher', a.teacher, n, sh);
  const temperature = positive(fn, 'temperature', a.temperature, 1);
  const divergence = a.divergence ?? 'forward-kl';
  if (!(divergence in DIV)) {
    throw new RangeError(`native.${fn}: 'divergence' must be 'forward-kl', 'reverse-kl' or 'jsd', got ${JSON.stringify(divergence)}`);
  }
  const beta = unit(fn, 'beta', a.beta, 0.5);
  const rowLoss = outF32(fn, 'rowLoss', a.rowLoss, rows, `[rows] = [${rows}]`);
  const gs = optF32(fn, 'gradStudent', a.gradStudent, n, sh);
  const gt = optF32(fn, 'gradTeacher', a.gradTeacher, n, sh);
  const ss = num(fn, 'studentGradScale', a.studentGradScale, 1);
  const ts = num(fn, 'teacherGradScale', a.teacherGradScale, 1);
  noAlias(fn, [['student', student], ['teacher', teacher]], [['rowLoss', rowLoss], ['gradStudent', gs], ['gradTeacher', gt]]);
  loadAddon().softmaxKL(student, teacher, rows, cols, temperature, DIV[resolveDivergence(divergence, beta)], beta, rowLoss, gs, gt, ss, ts);
  return { rowLoss, ...(gs ? { gradStudent: gs } : {}), ...(gt ? { gradTeacher: gt } : {}) } as SoftmaxKLResult<GS, GT>;
}

function crossEntropy<G extends Out = undefined>(o: CrossEntropyOptions<G>): CrossEntropyResult<G> {
  const fn = 'crossEntropy';
  const a = opts<CrossEntropyOptions>(fn, o);
  const rows = dim(fn, 'rows', a.rows);
  const cols = dim(fn, 'cols', a.cols, 1);
  const sh = `[rows, cols] = [${rows}, ${cols}]`;
  const logits = f32(fn, 'logits', a.logits, rows * cols, sh);
  const labels = i32(fn, 'labels', a.labels, rows, `[rows] = [${rows}]`);
  const labelSmoothing = unit(fn, 'labelSmoothing', a.labelSmoothing, 0);
  const ignoreIndex = intIndex(fn, 'ignoreIndex', a.ignoreIndex, -100);
  const weight = optF32(fn, 'weight', a.weight, cols, `[cols] = [${cols}]`);
  const rowLoss = outF32(fn, 'rowLoss', a.rowLoss, rows, `[rows] = [${rows}]`);
  const grad = optF32(fn, 'grad', a.grad, rows * cols, sh);
  const gradScale = num(fn, 'gradScale', a.gradScale, 1);
  labelsInRange(fn, labels, cols, ignoreIndex);
  noAlias(fn, [['logits', logits], ['labels', labels], ['weight', weight]], [['rowLoss', rowLoss], ['grad', grad]]);
  loadAddon().crossEntropy(logits, labels, rows, cols, labelSmoothing, ignoreIndex, weight, rowLoss, grad, gradScale);
  return { rowLoss, ...(grad ? { grad } : {}) } as CrossEntropyResult<G>;
}

function hinton<G extends Out = undefined>(o: HintonOptions<G>): HintonResult<G> {
  const fn = 'hinton';
  const a = opts<HintonOptions>(fn, o);
  const rows = dim(fn, 'rows', a.rows);
  const cols = dim(fn, 'cols', a.cols, 1);
  const sh = `[rows, cols] = [${rows}, ${cols}]`;
  const sr = `[rows] = [${rows}]`;
  const student = f32(fn, 'student', a.student, rows * cols, sh);
  const teacher = f32(fn, 'teacher', a.teacher, rows * cols, sh);
  const labels = i32(fn, 'labels', a.labels, rows, sr);
  const temperature = positive(fn, 'temperature', a.temperature, 1);
  const labelSmoothing = unit(fn, 'labelSmoothing', a.labelSmoothing, 0);
  const ignoreIndex = intIndex(fn, 'ignoreIndex', a.ignoreIndex, -100);
  const weight = optF32(fn, 'weight', a.weight, cols, `[cols] = [${cols}]`);
  const softRow = outF32(fn, 'softRow', a.softRow, rows, sr);
  const hardRow = outF32(fn, 'hardRow', a.hardRow, rows, sr);
  const grad = optF32(fn, 'grad', a.grad, rows * cols, sh);
  const softGradScale = num(fn, 'softGradScale', a.softGradScale, 1);
  const hardGradScale = num(fn, 'hardGradScale', a.hardGradScale, 1);
  labelsInRange(fn, labels, cols, ignoreIndex);
  noAlias(
    fn,
    [['student', student], ['teacher', teacher], ['labels', labels], ['weight', weight]],
    [['softRow', softRow], ['hardRow', hardRow], ['grad', grad]],
  );
  loadAddon().hinton(
    student, teacher, labels, rows, cols, temperature, labelSmoothing, ignoreIndex, weight, softRow, hardRow,
    grad, softGradScale, hardGradScale,
  );
  return { softRow, hardRow, ...(grad ? { grad } : {}) } as HintonResult<G>;
}

function multiTeacherKL<GS extends Out = undefined, GTs extends (F32 | null)[] | undefined = undefined>(
  o: MultiTeacherOptions<GS, GTs>,
): MultiTeacherResult<GS, GTs> {
  const fn = 'multiTeacherKL';
  const a = opts<MultiTeacherOptions>(fn, o);
  const rows = dim(fn, 'rows', a.rows);
  const cols = dim(fn, 'cols', a.cols, 1);
  const n = rows * cols;
  const sh = `[rows, cols] = [${rows}, ${cols}]`;
  const student = f32(fn, 'student', a.student, n, sh);
  if (!Array.isArray(a.teachers)) throw new TypeError(`native.${fn}: 'teachers' must be an Array of Float32Array, got ${describe(a.teachers)}`);
  const K = a.teachers.length;
  if (K < 1 || K > 4096) throw new RangeError(`native.${fn}: 'teachers' must hold 1 to 4096 arrays, got ${K}`);
  const teachers = a.teachers.map((t, k) => f32(fn, `teachers[${k}]`, t, n, sh));
  const vec = (name: string, x: unknown, dflt: number): Float64Array => {
    if (x === undefined) return new Float64Array(K).fill(dflt);
    if (!Array.isArray(x) && !(x instanceof Float64Array)) {
      throw new TypeError(`native.${fn}: '${name}' must be an Array or Float64Array of length K = ${K}, got ${describe(x)}`);
    }
    if (x.length !== K) throw new RangeError(`native.${fn}: '${name}' must have length K = ${K}, got length ${x.length}`);
    return Float64Array.from(x as ArrayLike<number>, (v, k) => num(fn, `${name}[${k}]`, v));
  };
  const weights = vec('weights', a.weights, 1 / K);
  weights.forEach((w, k) => {
    if (w < 0) throw new RangeError(`native.${fn}: 'weights[${k}]' must be >= 0, got ${w}`);
  });
  const temperature = positive(fn, 'temperature', a.temperature, 1);
  const rowLoss = outF32(fn, 'rowLoss', a.rowLoss, rows, `[rows] = [${rows}]`);
  const gs = optF32(fn, 'gradStudent', a.gradStudent, n, sh);
  let gts: (F32 | null)[] | null = null;
  if (a.gradTeachers !== undefined && a.gradTeachers !== null) {
    if (!Array.isArray(a.gradTeachers)) {
      throw new TypeError(`native.${fn}: 'gradTeachers' must be an Array of (Float32Array | null), got ${describe(a.gradTeachers)}`);
    }
    if (a.gradTeachers.length !== K) {
      throw new RangeError(`native.${fn}: 'gradTeachers' must have K = ${K} entries, got ${a.gradTeachers.length}`);
    }
    gts = a.gradTeachers.map((g, k) => optF32(fn, `gradTeachers[${k}]`, g, n, sh));
  }
  const ss = num(fn, 'studentGradScale', a.studentGradScale, 1);
  const tscales = vec('teacherGradScales', a.teacherGradScales, 1);
  noAlias(
    fn,
    [['student', student], ...teachers.map((t, k): [string, F32] => [`teachers[${k}]`, t])],
    [['rowLoss', rowLoss], ['gradStudent', gs], ...(gts ?? []).map((g, k): [string, F32 | null] => [`gradTeachers[${k}]`, g])],
  );
  loadAddon().multiTeacherKL(student, teachers, weights, rows, cols, temperature, rowLoss, gs, gts, ss, gts ? tscales : null);
  return { rowLoss, ...(gs ? { gradStudent: gs } : {}), ...(gts ? { gradTeachers: gts } : {}) } as MultiTeacherResult<GS, GTs>;
}

function gramSimilarity<GS extends Out = undefined, GT extends Out = undefined>(o: GramSimilarityOptions<GS, GT>): GramSimilarityResult<GS, GT> {
  const fn = 'gramSimilarity';
  const a = opts<GramSimilarityOptions>(fn, o);
  const b = dim(fn, 'b', a.b, 1);
  const ds = dim(fn, 'ds', a.ds, 1);
  const dt = dim(fn, 'dt', a.dt, 1);
  if (b > 65536) throw new RangeError(`native.${fn}: 'b' must be <= 65536, got ${b}`);
  const student = f32(fn, 'student', a.student, b * ds, `[b, ds] = [${b}, ${ds}]`);
  const teacher = f32(fn, 'teacher', a.teacher, b * dt, `[b, dt] = [${b}, ${dt}]`);
  const gs = optF32(fn, 'gradStudent', a.gradStudent, b * ds, `[b, ds] = [${b}, ${ds}]`);
  const gt = optF32(fn, 'gradTeacher', a.gradTeacher, b * dt, `[b, dt] = [${b}, ${dt}]`);
  const ss = num(fn, 'studentGradScale', a.studentGradScale, 1);
  const ts = num(fn, 'teacherGradScale', a.teacherGradScale, 1);
  noAlias(fn, [['student', student], ['teacher', teacher]], [['gradStudent', gs], ['gradTeacher', gt]]);
  const loss = new Float32Array(1);
  loadAddon().gramSimilarity(student, teacher, b, ds, dt, loss, gs, gt, ss, ts);
  return { loss: loss[0], ...(gs ? { gradStudent: gs } : {}), ...(gt ? { gradTeacher: gt } : {}) } as GramSimilarityResult<GS, GT>;
}

function mse<GA extends Out = undefined, GB extends Out = undefined>(o: MseOptions<GA, GB>): MseResult<GA, GB> {
  const fn = 'mse';
  const x = opts<MseOptions>(fn, o);
  if (!(x.a instanceof Float32Array)) throw new TypeError(`native.${fn}: 'a' must be a Float32Array, got ${describe(x.a)}`);
  const size = x.a.length;
  const sh = `[size] = [${size}]`;
  const a = x.a;
  const b = f32(fn, 'b', x.b, size, sh);
  const ga = optF32(fn, 'gradA', x.gradA, size, sh);
  const gb = optF32(fn, 'gradB', x.gradB, size, sh);
  const as = num(fn, 'aGradScale', x.aGradScale, 1);
  const bs = num(fn, 'bGradScale', x.bGradScale, 1);
  noAlias(fn, [['a', a], ['b', b]], [['gradA', ga], ['gradB', gb]]);
  const sumSq = new Float32Array(1);
  loadAddon().mse(a, b, size, sumSq, ga, gb, as, bs);
  return { sumSq: sumSq[0], ...(ga ? { gradA: ga } : {}), ...(gb ? { gradB: gb } : {}) } as MseResult<GA, GB>;
}

/** The raw native kernels. Every function throws the addon's load error when it is not built. */
export const native = {
  softmaxKL,
  crossEntropy,
  hinton,
  multiTeacherKL,
  gramSimilarity,
  mse,
  /** { isa, threads, isasSupported }: the SIMD variant in use (KD_ISA overrides), the pool size. */
  info(): NativeInfo {
    return loadAddon().info() as NativeInfo;
  },
  /** True when the addon loads. */
  isAvailable(): boolean {
    return addonLoadError() === null;
  },
  /** Why the addon did not load (paths tried, how to build it), or null. */
  loadError(): Error | null {
    return addonLoadError();
  },
};

export type NativeKernels = typeof native;
export default native;
