/**
 * The one set of argument checks of the two raw kernel APIs: `kd-kernels/native` (typed arrays)
 * and `kd-kernels/webgpu` createKernels (GPUBuffers). RAW_OPTIONS holds one table per function: every
 * option it accepts, in the order they are checked, with its kind (a dimension, a temperature, a
 * probability, a grad scale, an input or output array and its element count, ...). checkRawOptions()
 * reads each option once, rejects unknown keys (TypeError naming the key and listing the accepted
 * ones), wrong types (TypeError) and wrong values or lengths (RangeError), fills the defaults, and
 * returns the values the kernel is called with. The two APIs differ only in their ArrayHost: what an
 * array is (a Float32Array of exactly n elements / a GPUBuffer of at least 4n bytes), whether an
 * omitted output is allocated, and what "shares memory" means.
 *
 * Adding an option to a raw function: one line in its table (and the kernel call that reads it).
 */
import { checkNumber, checkOneOf, checkOptions, checkTemperature, checkTeacherWeights, describe } from './validate.js';

/** The values checked so far (earlier entries of the table), by option name, plus K (teacher count). */
export type RawValues = Record<string, unknown>;
type Count = (v: RawValues) => number;
type Shape = (v: RawValues) => string;

/** in: required input; optIn: input or null; out: output (native allocates it when omitted); optOut: computed only when given. */
export type Io = 'in' | 'optIn' | 'out' | 'optOut';
export type ArgSpec =
  | { kind: 'dim'; min: number; max?: number; lengthOf?: string }
  | { kind: 'temperature' }
  | { kind: 'number'; default: number; min?: number; max?: number; integer?: boolean }
  | { kind: 'oneOf'; values: readonly string[]; default?: string }
  | { kind: 'bool' }
  | { kind: 'array'; dtype: 'float32' | 'int32'; io: Io; count: Count; shape: Shape }
  | { kind: 'arrays'; io: 'in' | 'optOut'; count: Count; shape: Shape }
  | { kind: 'weights' }
  | { kind: 'scales' };
type Spec = ArgSpec & { only?: 'native' | 'webgpu' };

// ---- the tables -------------------------------------------------------------------------------

const INT31 = 2147483647;
const dim = (min: number, max?: number): Spec => ({ kind: 'dim', min, max });
const temperature: Spec = { kind: 'temperature' };
const unit = (d: number): Spec => ({ kind: 'number', default: d, min: 0, max: 1 });
const scale: Spec = { kind: 'number', default: 1 };
const index: Spec = { kind: 'number', default: -100, min: -2147483648, max: INT31, integer: true };
const rc: Count = (v) => (v.rows as number) * (v.cols as number);
const rcShape: Shape = (v) => `[rows, cols] = [${v.rows}, ${v.cols}]`;
const rows: Count = (v) => v.rows as number;
const rowsShape: Shape = (v) => `[rows] = [${v.rows}]`;
const one: Count = () => 1;
const oneShape: Shape = () => '[1]';
const f32 = (io: Io, count: Count, shape: Shape): Spec => ({ kind: 'array', dtype: 'float32', io, count, shape });
const labels: Spec = { kind: 'array', dtype: 'int32', io: 'in', count: rows, shape: rowsShape };
const weight = f32('optIn', (v) => v.cols as number, (v) => `[cols] = [${v.cols}]`);
/** Token mask: rows whose label equals ignoreIndex get loss 0 and zero gradients. */
const maskLabels: Spec = { kind: 'array', dtype: 'int32', io: 'optIn', count: rows, shape: rowsShape };
const divergence: Spec = { kind: 'oneOf', values: ['forward-kl', 'reverse-kl', 'jsd'], default: 'forward-kl' };
const byDim = (d: string): Count => (v) => (v.rows as number) * (v[d] as number);
const byDimShape = (d: string): Shape => (v) => `[rows, ${d}] = [${v.rows}, ${v[d]}]`;
const vocabBy = (d: string): Count => (v) => (v.vocab as number) * (v[d] as number);
const vocabByShape = (d: string): Shape => (v) => `[vocab, ${d}] = [${v.vocab}, ${v[d]}]`;
const vocab: Count = (v) => v.vocab as number;
const vocabShape: Shape = (v) => `[vocab] = [${v.vocab}]`;

export const RAW_OPTIONS = {
  softmaxKL: {
    rows: dim(0), cols: dim(1), student: f32('in', rc, rcShape), teacher: f32('in', rc, rcShape), temperature,
    divergence, beta: unit(0.5),
    rowLoss: f32('out', rows, rowsShape), gradStudent: f32('optOut', rc, rcShape), gradTeacher: f32('optOut', rc, rcShape),
    studentGradScale: scale, teacherGradScale: scale, labels: maskLabels, ignoreIndex: index,
  },
  crossEntropy: {
    rows: dim(0), cols: dim(1), logits: f32('in', rc, rcShape), labels, labelSmoothing: unit(0), ignoreIndex: index,
    weight, rowLoss: f32('out', rows, rowsShape), grad: f32('optOut', rc, rcShape), gradScale: scale,
  },
  hinton: {
    rows: dim(0), cols: dim(1), student: f32('in', rc, rcShape), teacher: f32('in', rc, rcShape), labels, temperature,
    labelSmoothing: unit(0), ignoreIndex: index, weight, softRow: f32('out', rows, rowsShape),
    hardRow: f32('out', rows, rowsShape), grad: f32('optOut', rc, rcShape), softGradScale: scale, hardGradScale: scale,
  },
  multiTeacherKL: {
    rows: dim(0), cols: dim(1), student: f32('in', rc, rcShape), teachers: { kind: 'arrays', io: 'in', count: rc, shape: rcShape },
    weights: { kind: 'weights' }, temperature, rowLoss: f32('out', rows, rowsShape), gradStudent: f32('optOut', rc, rcShape),
    gradTeachers: { kind: 'arrays', io: 'optOut', count: rc, shape: rcShape }, studentGradScale: scale,
    teacherGradScales: { kind: 'scales' }, labels: maskLabels, ignoreIndex: index,
  },
  fusedLinearKdLoss: {
    rows: dim(0), vocab: dim(1), studentDim: dim(1), teacherDim: dim(1),
    studentHidden: f32('in', byDim('studentDim'), byDimShape('studentDim')),
    studentWeight: f32('in', vocabBy('studentDim'), vocabByShape('studentDim')), studentBias: f32('optIn', vocab, vocabShape),
    teacherHidden: f32('in', byDim('teacherDim'), byDimShape('teacherDim')),
    teacherWeight: f32('in', vocabBy('teacherDim'), vocabByShape('teacherDim')), teacherBias: f32('optIn', vocab, vocabShape),
    labels: maskLabels, ignoreIndex: index, temperature, divergence, beta: unit(0.5),
    chunkSize: { kind: 'number', default: 0, min: 0, max: INT31, integer: true },
    softRow: f32('out', rows, rowsShape), hardRow: f32('optOut', rows, rowsShape),
    gradHidden: f32('optOut', byDim('studentDim'), byDimShape('studentDim')),
    gradWeight: f32('optOut', vocabBy('studentDim'), vocabByShape('studentDim')), gradBias: f32('optOut', vocab, vocabShape),
    softGradScale: scale, hardGradScale: scale,
  },
  gramSimilarity: {
    b: dim(1, 65536), ds: dim(1), dt: dim(1),
    student: f32('in', (v) => (v.b as number) * (v.ds as number), (v) => `[b, ds] = [${v.b}, ${v.ds}]`),
    teacher: f32('in', (v) => (v.b as number) * (v.dt as number), (v) => `[b, dt] = [${v.b}, ${v.dt}]`),
    loss: { ...f32('out', one, oneShape), only: 'webgpu' },
    gradStudent: f32('optOut', (v) => (v.b as number) * (v.ds as number), (v) => `[b, ds] = [${v.b}, ${v.ds}]`),
    gradTeacher: f32('optOut', (v) => (v.b as number) * (v.dt as number), (v) => `[b, dt] = [${v.b}, ${v.dt}]`),
    studentGradScale: scale, teacherGradScale: scale,
  },
  mse: {
    size: { kind: 'dim', min: 0, lengthOf: 'a' },
    a: f32('in', (v) => v.size as number, (v) => `[size] = [${v.size}]`),
    b: f32('in', (v) => v.size as number, (v) => `[size] = [${v.size}]`),
    sumSq: { ...f32('out', one, oneShape), only: 'webgpu' },
    gradA: f32('optOut', (v) => v.size as number, (v) => `[size] = [${v.size}]`),
    gradB: f32('optOut', (v) => v.size as number, (v) => `[size] = [${v.size}]`),
    aGradScale: scale, bGradScale: scale,
  },
  matmul: {
    m: dim(1), k: dim(1), n: dim(1), transA: { kind: 'bool' }, transB: { kind: 'bool' },
    a: f32('in', (v) => (v.m as number) * (v.k as number), (v) => (v.transA ? `[k, m] = [${v.k}, ${v.m}]` : `[m, k] = [${v.m}, ${v.k}]`)),
    b: f32('in', (v) => (v.k as number) * (v.n as number), (v) => (v.transB ? `[n, k] = [${v.n}, ${v.k}]` : `[k, n] = [${v.k}, ${v.n}]`)),
    c: f32('out', (v) => (v.m as number) * (v.n as number), (v) => `[m, n] = [${v.m}, ${v.n}]`),
  },
  sum: {
    rows: dim(1), cols: dim(1), axis: { kind: 'oneOf', values: ['rows', 'cols', 'all'] },
    x: f32('in', rc, rcShape),
    out: f32('out', (v) => (v.axis === 'rows' ? (v.cols as number) : v.axis === 'cols' ? (v.rows as number) : 1),
      (v) => (v.axis === 'rows' ? `[cols] = [${v.cols}]` : v.axis === 'cols' ? `[rows] = [${v.rows}]` : '[1]')),
    scale,
  },
} satisfies Record<string, Record<string, Spec>>;

export type RawFunction = keyof typeof RAW_OPTIONS;

// ---- the check --------------------------------------------------------------------------------

/** What an array is in one API. */
export interface ArrayHost<A> {
  api: 'native' | 'webgpu';
  /** x as an array of `count` elements of dtype; TypeError / RangeError (naming `name`) otherwise. */
  array(name: string, x: unknown, dtype: 'float32' | 'int32', count: number, shape: string): A;
  /** An omitted 'out' array: allocated (native), or null when the caller must pass it (webgpu). */
  alloc(dtype: 'float32' | 'int32', count: number): A | null;
  /** Its element count, for a dimension that defaults to an array's length (native mse size). */
  length(x: unknown): number | null;
  sharesMemory(a: A, b: A): boolean;
}

/**
 * Checks the options object `o` of raw function `fn` (see the file comment). Arrays come back as
 * the host's type (null for an absent optional one), lists of arrays as arrays, K as `K`.
 */
export function checkRawOptions<A>(host: ArrayHost<A>, fn: RawFunction, o: unknown): RawValues {
  const where = `${host.api}.${fn}`;
  const table: Record<string, Spec> = RAW_OPTIONS[fn];
  const accepted = Object.keys(table).filter((k) => !table[k].only || table[k].only === host.api);
  if (typeof o !== 'object' || o === null) throw new TypeError(`${where}: expected an options object, got ${describe(o)}`);
  checkOptions(o, `${where} options`, accepted);
  const src = o as Record<string, unknown>;
  const v: RawValues = {};
  const inputs: [string, A][] = [];
  const outputs: [string, A][] = [];
  for (const key of accepted) {
    const spec = table[key];
    const x = src[key];
    const name = `${where}: '${key}'`;
    switch (spec.kind) {
      case 'dim': {
        const n = x === undefined && spec.lengthOf ? host.length(src[spec.lengthOf]) : null;
        const what = spec.lengthOf && host.api === 'native' ? `${name} (default: the length of '${spec.lengthOf}')` : name;
        v[key] = n ?? checkNumber(x, what, { integer: true, min: spec.min, max: spec.max ?? INT31 });
        break;
      }
      case 'temperature':
        v[key] = checkTemperature(x === undefined ? 1 : x, name);
        break;
      case 'number':
        v[key] = checkNumber(x === undefined ? spec.default : x, name, spec);
        break;
      case 'oneOf':
        if (x === undefined && spec.default === undefined) throw new TypeError(`${name} is missing (one of ${spec.values.join(', ')})`);
        v[key] = checkOneOf(x === undefined ? spec.default : x, name, spec.values);
        break;
      case 'bool':
        if (x !== undefined && typeof x !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(x)}`);
        v[key] = x === true;
        break;
      case 'array': {
        const count = spec.count(v);
        let a: A | null = null;
        if (x !== undefined && x !== null) a = host.array(name, x, spec.dtype, count, spec.shape(v));
        else if (spec.io === 'in') a = host.array(name, x, spec.dtype, count, spec.shape(v)); // throws: missing
        else if (spec.io === 'out') a = host.alloc(spec.dtype, count) ?? host.array(name, x, spec.dtype, count, spec.shape(v));
        v[key] = a;
        if (a !== null) (spec.io === 'in' || spec.io === 'optIn' ? inputs : outputs).push([key, a]);
        break;
      }
      case 'arrays': {
        if (x === undefined || x === null) {
          if (spec.io === 'in') throw new TypeError(`${name} must be an Array of arrays of shape ${spec.shape(v)}, got ${describe(x)}`);
          v[key] = null;
          break;
        }
        if (!Array.isArray(x)) throw new TypeError(`${name} must be an Array of arrays of shape ${spec.shape(v)}, got ${describe(x)}`);
        const items = Array.from(x as unknown[]); // each element read once
        if (spec.io === 'in') {
          if (items.length < 1 || items.length > 4096) throw new RangeError(`${name} must hold 1 to 4096 arrays, got ${items.length}`);
          v.K = items.length;
        } else if (items.length !== v.K) {
          throw new RangeError(`${name} must have K = ${v.K} entries (one per teacher), got ${items.length}`);
        }
        v[key] = items.map((item, k) => {
          if (spec.io === 'optOut' && (item === undefined || item === null)) return null;
          const a = host.array(`${where}: '${key}[${k}]'`, item, 'float32', spec.count(v), spec.shape(v));
          (spec.io === 'in' ? inputs : outputs).push([`${key}[${k}]`, a]);
          return a;
        });
        break;
      }
      case 'weights':
        v[key] = checkTeacherWeights(x, name, v.K as number);
        break;
      case 'scales': {
        const K = v.K as number;
        if (x === undefined) { v[key] = new Array<number>(K).fill(1); break; }
        if (!Array.isArray(x) && !(x instanceof Float64Array)) {
          throw new TypeError(`${name} must be an Array or Float64Array of K = ${K} numbers, got ${describe(x)}`);
        }
        if (x.length !== K) throw new RangeError(`${name} must have K = ${K} entries (one per teacher), got ${x.length}`);
        v[key] = Array.from(x as ArrayLike<unknown>, (s, k) => checkNumber(s, `${where}: '${key}[${k}]'`));
        break;
      }
    }
  }
  // Every output apart from every input and from the other outputs.
  outputs.forEach(([on, out], i) => {
    for (const [inName, a] of inputs) {
      if (host.sharesMemory(out, a)) throw new RangeError(`${where}: output '${on}' must not share memory with input '${inName}'`);
    }
    for (const [on2, out2] of outputs.slice(i + 1)) {
      if (host.sharesMemory(out, out2)) throw new RangeError(`${where}: output '${on}' must not share memory with output '${on2}'`);
    }
  });
  return v;
}
