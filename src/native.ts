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
 * Every argument is checked here first, by the checks shared with `kd-kernels/webgpu`
 * (src/kernels/raw_args.ts): an unknown option key is a TypeError naming it and listing the
 * accepted ones, a wrong type or a missing field a TypeError, a wrong length or value a RangeError,
 * each naming the argument and the expected length. The addon checks again and never crashes.
 * Outputs must not overlap inputs or each other. A gradient is computed when its output is given;
 * its scale (default 1) is read only then.
 * Math: DESIGN.md and src/backends/backend.ts; the semantics match the `cpu` backend.
 */
import type { Divergence } from './backends/backend.js';
import { addonLoadError, loadAddon } from './backends/native/addon.js';
import { resolveDivergence } from './kernels/divergence.js';
import { defaultChunkSize } from './backends/fused_linear.js';
import { fusedLinearKdArrays } from './backends/native/fused_linear.js';
import { checkRawOptions, type ArrayHost, type RawFunction } from './kernels/raw_args.js';
import { describe } from './kernels/validate.js';

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
  /** Default 1; > 0 and a normal float32 (1e-300 or 1e39 are RangeErrors). */
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
  /** Token mask [rows]: a row whose label equals ignoreIndex gets loss 0 and zero gradient rows. */
  labels?: Int32Array | null;
  /** Default -100. */
  ignoreIndex?: number;
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
  /** K weights >= 0 summing to 1 (within 1e-5). Default uniform 1 / K. */
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
  /** Token mask [rows], as in softmaxKL. */
  labels?: Int32Array | null;
  /** Default -100. */
  ignoreIndex?: number;
}

/**
 * Fused linear + KD, chunked (Liger's fused-linear JSD / KL): per row i, z_s = h_s W_s^T + b_s and
 * z_t = h_t W_t^T + b_t, computed chunkSize rows at a time (never [rows, vocab] at once);
 * softRow_i = T^2 D(z_t || z_s) as softmaxKL, hardRow_i = cross-entropy of z_s against labels (when
 * hardRow is given); masked rows (label == ignoreIndex) give 0. Gradients w.r.t. the student:
 * softGradScale * d(sum softRow) + hardGradScale * d(sum hardRow); gradHidden is written, gradWeight and
 * gradBias are ADDED to (zero them first, or accumulate over micro-batches). The teacher gets none.
 */
export interface FusedLinearKdOptions<GH extends Out = Out, GW extends Out = Out, GB extends Out = Out> {
  studentHidden: F32; // [rows, studentDim]
  studentWeight: F32; // [vocab, studentDim]
  studentBias?: F32 | null; // [vocab]
  teacherHidden: F32; // [rows, teacherDim]
  teacherWeight: F32; // [vocab, teacherDim]
  teacherBias?: F32 | null; // [vocab]
  rows: number;
  vocab: number;
  studentDim: number;
  teacherDim: number;
  /** [rows]: the token mask, and the cross-entropy targets when hardRow is given. */
  labels?: Int32Array | null;
  ignoreIndex?: number;
  temperature?: number;
  divergence?: Divergence;
  beta?: number;
  /** Rows per chunk; 0 or omitted: chunk x vocab <= 2^25 floats. */
  chunkSize?: number;
  /** [rows] output (allocated when omitted). */
  softRow?: F32;
  /** [rows] output; giving it adds the cross-entropy term (needs labels). */
  hardRow?: F32;
  gradHidden?: GH;
  gradWeight?: GW;
  gradBias?: GB;
  /** Default 1 (e.g. alpha / valid rows). */
  softGradScale?: number;
  /** Default 1 (e.g. (1 - alpha) / valid rows). */
  hardGradScale?: number;
}

/** softRow (and hardRow when passed) [rows]; the gradients you passed. */
export interface FusedLinearKdResult<GH extends Out = Out, GW extends Out = Out, GB extends Out = Out> {
  softRow: F32;
  hardRow: F32 | undefined;
  gradHidden: GH;
  gradWeight: GW;
  gradBias: GB;
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
  /** Elements of a and b. Default a.length. */
  size?: number;
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

// ---- validation: the raw-API table (src/kernels/raw_args.ts) on typed arrays ---------------------

type Typed = Float32Array | Int32Array;

function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer || a.byteLength === 0 || b.byteLength === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

const host: ArrayHost<Typed> = {
  api: 'native',
  array(name, x, dtype, count, shape) {
    const Type = dtype === 'float32' ? Float32Array : Int32Array;
    if (!(x instanceof Type)) throw new TypeError(`${name} must be a ${Type.name} of shape ${shape} (length ${count}), got ${describe(x)}`);
    if (x.length !== count) throw new RangeError(`${name} must have length ${count} (shape ${shape}), got length ${x.length}`);
    return x;
  },
  alloc: (dtype, count) => (dtype === 'float32' ? new Float32Array(count) : new Int32Array(count)),
  length: (x) => (x instanceof Float32Array ? x.length : null),
  sharesMemory: overlaps,
};

/**
 * The checked options: every key present, defaults filled; an omitted optional array is null. The
 * 'out' arrays (rowLoss, softRow, hardRow) are allocated when omitted: never null (hence the `!`).
 */
type Checked<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends ArrayBufferView | readonly (ArrayBufferView | null)[]
    ? NonNullable<T[K]> | ({} extends Pick<T, K> ? null : never)
    : NonNullable<T[K]> extends readonly number[] | Float64Array ? number[] : NonNullable<T[K]>;
};

function check<T>(fn: RawFunction, o: unknown): Checked<T> {
  return checkRawOptions(host, fn, o) as Checked<T>;
}

/** Labels in [0, cols) or equal to ignoreIndex (the addon checks again, on its own copy). */
function labelsInRange(fn: string, labels: Int32Array, cols: number, ignoreIndex: number): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y !== ignoreIndex && (y < 0 || y >= cols)) {
      throw new RangeError(`native.${fn}: 'labels[${i}]' = ${y} is outside [0, cols = ${cols}) and is not ignoreIndex (${ignoreIndex})`);
    }
  }
}

const DIV: Record<Divergence, number> = { 'forward-kl': 0, 'reverse-kl': 1, jsd: 2 };

// ---- the raw kernels -------------------------------------------------------------------------

function softmaxKL<GS extends Out = undefined, GT extends Out = undefined>(o: SoftmaxKLOptions<GS, GT>): SoftmaxKLResult<GS, GT> {
  const v = check<SoftmaxKLOptions>('softmaxKL', o);
  const { gradStudent: gs, gradTeacher: gt } = v;
  const rowLoss = v.rowLoss!;
  loadAddon().softmaxKL(v.student, v.teacher, v.rows, v.cols, v.temperature, DIV[resolveDivergence(v.divergence, v.beta)], v.beta, rowLoss, gs, gt,
    v.studentGradScale, v.teacherGradScale, v.labels, v.ignoreIndex);
  return { rowLoss, ...(gs ? { gradStudent: gs } : {}), ...(gt ? { gradTeacher: gt } : {}) } as SoftmaxKLResult<GS, GT>;
}

function crossEntropy<G extends Out = undefined>(o: CrossEntropyOptions<G>): CrossEntropyResult<G> {
  const v = check<CrossEntropyOptions>('crossEntropy', o);
  const { grad } = v;
  const rowLoss = v.rowLoss!;
  labelsInRange('crossEntropy', v.labels, v.cols, v.ignoreIndex);
  loadAddon().crossEntropy(v.logits, v.labels, v.rows, v.cols, v.labelSmoothing, v.ignoreIndex, v.weight, rowLoss, grad, v.gradScale);
  return { rowLoss, ...(grad ? { grad } : {}) } as CrossEntropyResult<G>;
}

function hinton<G extends Out = undefined>(o: HintonOptions<G>): HintonResult<G> {
  const v = check<HintonOptions>('hinton', o);
  const { grad } = v;
  const softRow = v.softRow!;
  const hardRow = v.hardRow!;
  labelsInRange('hinton', v.labels, v.cols, v.ignoreIndex);
  loadAddon().hinton(v.student, v.teacher, v.labels, v.rows, v.cols, v.temperature, v.labelSmoothing, v.ignoreIndex, v.weight,
    softRow, hardRow, grad, v.softGradScale, v.hardGradScale);
  return { softRow, hardRow, ...(grad ? { grad } : {}) } as HintonResult<G>;
}

function multiTeacherKL<GS extends Out = undefined, GTs extends (F32 | null)[] | undefined = undefined>(
  o: MultiTeacherOptions<GS, GTs>,
): MultiTeacherResult<GS, GTs> {
  const v = check<MultiTeacherOptions>('multiTeacherKL', o);
  const { gradStudent: gs, gradTeachers: gts } = v;
  const rowLoss = v.rowLoss!;
  loadAddon().multiTeacherKL(v.student, v.teachers, Float64Array.from(v.weights), v.rows, v.cols, v.temperature, rowLoss, gs,
    gts, v.studentGradScale, gts ? Float64Array.from(v.teacherGradScales) : null, v.labels, v.ignoreIndex);
  return { rowLoss, ...(gs ? { gradStudent: gs } : {}), ...(gts ? { gradTeachers: gts } : {}) } as MultiTeacherResult<GS, GTs>;
}

function gramSimilarity<GS extends Out = undefined, GT extends Out = undefined>(o: GramSimilarityOptions<GS, GT>): GramSimilarityResult<GS, GT> {
  const v = check<GramSimilarityOptions>('gramSimilarity', o);
  const { gradStudent: gs, gradTeacher: gt } = v;
  const loss = new Float32Array(1);
  loadAddon().gramSimilarity(v.student, v.teacher, v.b, v.ds, v.dt, loss, gs, gt, v.studentGradScale, v.teacherGradScale);
  return { loss: loss[0], ...(gs ? { gradStudent: gs } : {}), ...(gt ? { gradTeacher: gt } : {}) } as GramSimilarityResult<GS, GT>;
}

function mse<GA extends Out = undefined, GB extends Out = undefined>(o: MseOptions<GA, GB>): MseResult<GA, GB> {
  const v = check<MseOptions>('mse', o);
  const { gradA: ga, gradB: gb } = v;
  const sumSq = new Float32Array(1);
  loadAddon().mse(v.a, v.b, v.size, sumSq, ga, gb, v.aGradScale, v.bGradScale);
  return { sumSq: sumSq[0], ...(ga ? { gradA: ga } : {}), ...(gb ? { gradB: gb } : {}) } as MseResult<GA, GB>;
}

function fusedLinearKdLoss<GH extends Out = undefined, GW extends Out = undefined, GB extends Out = undefined>(
  o: FusedLinearKdOptions<GH, GW, GB>,
): FusedLinearKdResult<GH, GW, GB> {
  const v = check<FusedLinearKdOptions>('fusedLinearKdLoss', o);
  if (v.hardRow) {
    if (!v.labels) throw new TypeError("native.fusedLinearKdLoss: 'hardRow' (the cross-entropy term) needs 'labels'");
    labelsInRange('fusedLinearKdLoss', v.labels, v.vocab, v.ignoreIndex);
  }
  loadAddon();
  const { softRow, hardRow, gradHidden, gradWeight, gradBias } = v;
  fusedLinearKdArrays(v as Parameters<typeof fusedLinearKdArrays>[0], {
    rows: v.rows, vocab: v.vocab, studentDim: v.studentDim, teacherDim: v.teacherDim, ignoreIndex: v.ignoreIndex,
    temperature: v.temperature, divergence: resolveDivergence(v.divergence, v.beta), beta: v.beta,
    chunkSize: v.chunkSize || defaultChunkSize(v.rows, v.vocab), softGradScale: v.softGradScale, hardGradScale: v.hardGradScale,
  });
  return {
    softRow: softRow!, ...(hardRow ? { hardRow } : {}), ...(gradHidden ? { gradHidden } : {}),
    ...(gradWeight ? { gradWeight } : {}), ...(gradBias ? { gradBias } : {}),
  } as FusedLinearKdResult<GH, GW, GB>;
}

/** The raw native kernels. Every function throws the addon's load error when it is not built. */
export const native = {
  softmaxKL,
  crossEntropy,
  hinton,
  multiTeacherKL,
  fusedLinearKdLoss,
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
