/**
 * Fuzz of the native addon's loss entry points, called on the raw addon object directly (no
 * TypeScript validation in front): wrong types, short/long arrays, NaN / negative temperature,
 * labels out of range, aliased outputs, missing arguments. Every bad call must throw a TypeError or
 * a RangeError (never crash, never write through); the valid call must still work afterwards.
 * Also checks that the `kd-kernels/native` layer rejects the same mistakes in TypeScript.
 * Skipped, with the reason printed, when the addon is not built.
 */
import { describe, expect, it } from 'vitest';
import { addonLoadError, tryLoadAddon, type NativeAddon } from '../../src/backends/native/addon.js';
import { native } from '../../src/native.js';

const addon = tryLoadAddon();
if (!addon) console.log(`[skip] native-fuzz: ${addonLoadError()?.message.split('\n')[0]}`);

// Deterministic RNG (xorshift32).
let seed = 0x9e3779b9;
const rnd = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
const f32 = (n: number, scale = 3): Float32Array => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);

type Kind = 'in' | 'optIn' | 'out' | 'optOut' | 'i32' | 'f64' | 'dim' | 'temp' | 'unit' | 'div' | 'scale' | 'index' | 'arrF32' | 'arrOptF32' | 'labels';

interface Entry {
  name: keyof NativeAddon & string;
  kinds: Kind[];
  valid: () => unknown[];
  /** Extra bad argument lists that a per-argument mutation does not produce. */
  extra: (v: unknown[]) => unknown[][];
}

const R = 3;
const C = 7;
const N = R * C;
const labelsOk = () => Int32Array.from([1, -100, 6]);

const entries: Entry[] = [
  {
    name: 'softmaxKL',
    kinds: ['in', 'in', 'dim', 'dim', 'temp', 'div', 'unit', 'out', 'optOut', 'optOut', 'scale', 'scale'],
    valid: () => [f32(N), f32(N), R, C, 2, 0, 0.5, new Float32Array(R), new Float32Array(N), new Float32Array(N), 1 / R, 1 / R],
    extra: (v) => [
      // aliasing: output over an input, outputs over each other, a subarray view of an input
      Object.assign([...v], { 7: (v[0] as Float32Array).subarray(0, R) }),
      Object.assign([...v], { 8: v[0] }),
      Object.assign([...v], { 9: v[8] }),
      Object.assign([...v], { 8: v[1] }),
      Object.assign([...v], { 2: R + 1 }),
      Object.assign([...v], { 3: C - 1 }),
    ],
  },
  {
    name: 'crossEntropy',
    kinds: ['in', 'labels', 'dim', 'dim', 'unit', 'index', 'optIn', 'out', 'optOut', 'scale'],
    valid: () => [f32(N), labelsOk(), R, C, 0.1, -100, f32(C, 1).map(Math.abs), new Float32Array(R), new Float32Array(N), 1 / 2],
    extra: (v) => [
      Object.assign([...v], { 1: Int32Array.from([0, C, 1]) }),
      Object.assign([...v], { 1: Int32Array.from([0, -1, 1]) }),
      Object.assign([...v], { 5: 7 }), // -100 now out of range
      Object.assign([...v], { 6: Float32Array.from({ length: C }, () => NaN) }),
      Object.assign([...v], { 8: v[0] }),
      Object.assign([...v], { 7: v[8] }),
    ],
  },
  {
    name: 'hinton',
    kinds: ['in', 'in', 'labels', 'dim', 'dim', 'temp', 'unit', 'index', 'optIn', 'out', 'out', 'optOut', 'scale', 'scale'],
    valid: () => [f32(N), f32(N), labelsOk(), R, C, 4, 0, -100, null, new Float32Array(R), new Float32Array(R), new Float32Array(N), 0.3, 0.2],
    extra: (v) => [
      Object.assign([...v], { 2: Int32Array.from([0, 99, 1]) }),
      Object.assign([...v], { 9: v[10] }),
      Object.assign([...v], { 11: v[1] }),
    ],
  },
  {
    name: 'multiTeacherKL',
    kinds: ['in', 'arrF32', 'f64', 'dim', 'dim', 'temp', 'out', 'optOut', 'arrOptF32', 'scale', 'f64'],
    valid: () => [
      f32(N), [f32(N), f32(N)], Float64Array.from([0.6, 0.4]), R, C, 2, new Float32Array(R), new Float32Array(N),
      [new Float32Array(N), null], 1, Float64Array.from([1, 1]),
    ],
    extra: (v) => [
      Object.assign([...v], { 1: [] }),
      Object.assign([...v], { 1: [f32(N)] }), // K mismatch with weights
      Object.assign([...v], { 2: Float64Array.from([0.5, NaN]) }),
      Object.assign([...v], { 2: Float64Array.from([1.5, -0.5]) }),
      Object.assign([...v], { 8: [v[0], null] }),
      Object.assign([...v], { 8: [(v[1] as Float32Array[])[0], null] }),
      Object.assign([...v], { 8: [new Float32Array(N)] }),
      Object.assign([...v], { 10: Float64Array.from([Infinity, 1]) }),
      Object.assign([...v], { 7: (v[8] as Float32Array[])[0] }),
    ],
  },
  {
    name: 'gramSimilarity',
    kinds: ['in', 'in', 'dim', 'dim', 'dim', 'out', 'optOut', 'optOut', 'scale', 'scale'],
    valid: () => [f32(4 * 5), f32(4 * 3), 4, 5, 3, new Float32Array(1), new Float32Array(20), new Float32Array(12), 1, 1],
    extra: (v) => [
      Object.assign([...v], { 2: 0 }),
      Object.assign([...v], { 6: v[0] }),
      Object.assign([...v], { 5: (v[6] as Float32Array).subarray(3, 4) }),
    ],
  },
  {
    name: 'mse',
    kinds: ['in', 'in', 'dim', 'out', 'optOut', 'optOut', 'scale', 'scale'],
    valid: () => [f32(N), f32(N), N, new Float32Array(1), new Float32Array(N), new Float32Array(N), 1 / N, 1 / N],
    extra: (v) => [
      Object.assign([...v], { 4: v[1] }),
      Object.assign([...v], { 5: v[4] }),
      Object.assign([...v], { 3: (v[0] as Float32Array).subarray(5, 6) }),
    ],
  },
];

/** Values that are wrong for an argument of this kind (given the valid value v). */
function badValues(kind: Kind, v: unknown): unknown[] {
  const len = ArrayBuffer.isView(v) ? (v as Float32Array).length : kind === 'optIn' ? C : 0;
  const common = ['x', {}, true, Symbol('s'), () => 0, 10n];
  switch (kind) {
    case 'in':
    case 'out':
      return [undefined, null, ...common, 1, [1, 2, 3], new Float64Array(len), new Int32Array(len),
        new Float32Array(Math.max(0, len - 1)), new Float32Array(len + 1), new ArrayBuffer(len * 4)];
    case 'optIn':
    case 'optOut':
      return [...common, 1, [1, 2], new Float64Array(len), new Float32Array(Math.max(0, len - 1)), new Float32Array(len + 3)];
    case 'labels':
    case 'i32':
      return [undefined, null, ...common, new Float32Array(len), new Uint32Array(len), new Int32Array(len + 1), [0, 1, 2]];
    case 'f64':
      return [undefined, null, ...common, new Float32Array(len), new Float64Array(len + 1), [0.5, 0.5]];
    case 'dim':
      return [undefined, null, ...common, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, '3'];
    case 'temp':
      return [undefined, null, ...common, 0, -1, NaN, Infinity, -Infinity, '2'];
    case 'unit':
      return [undefined, null, ...common, -0.1, 1.1, NaN, Infinity];
    case 'div':
      return [undefined, null, ...common, -1, 3, 0.5, NaN, 'jsd'];
    case 'scale':
      return [undefined, null, ...common, NaN, Infinity, -Infinity, '1'];
    case 'index':
      return [undefined, null, ...common, 1.5, NaN, 2 ** 40, Infinity];
    case 'arrF32':
      return [undefined, null, ...common, f32(N), [new Float64Array(N)], [f32(N - 1), f32(N)], [null, f32(N)]];
    case 'arrOptF32':
      return [...common, f32(N), [new Float64Array(N), null], [new Float32Array(N - 1), null], [null]];
  }
}

function expectRejects(fnName: string, call: () => unknown, what: string): void {
  let err: unknown = null;
  try {
    call();
  } catch (e) {
    err = e;
  }
  if (err === null) throw new Error(`${fnName}: expected a TypeError/RangeError for ${what}, but the call succeeded`);
  const name = (err as Error).name;
  if (name !== 'TypeError' && name !== 'RangeError') {
    throw new Error(`${fnName}: expected a TypeError/RangeError for ${what}, got ${name}: ${(err as Error).message}`);
  }
  expect((err as Error).message.length).toBeGreaterThan(10);
}

describe.skipIf(!addon)('native addon fuzz (raw entry points)', () => {
  const a = addon as NativeAddon;
  const call = (name: string, args: unknown[]) => (a[name] as (...x: unknown[]) => unknown)(...args);

  for (const e of entries) {
    it(`${e.name}: every bad argument throws TypeError/RangeError, then a valid call still works`, () => {
      let bad = 0;
      // 1. One argument wrong at a time.
      e.kinds.forEach((kind, i) => {
        for (const b of badValues(kind, e.valid()[i])) {
          const args = e.valid();
          args[i] = b;
          expectRejects(e.name, () => call(e.name, args), `argument ${i} (${kind}) = ${String(typeof b === 'symbol' ? 'symbol' : ArrayBuffer.isView(b) ? `${b.constructor.name}(${(b as Float32Array).length})` : b)}`);
          bad++;
        }
      });
      // 2. Hand-written cases: aliasing, labels out of range, shape mismatches.
      e.extra(e.valid()).forEach((args, j) => {
        expectRejects(e.name, () => call(e.name, args), `extra case ${j}`);
        bad++;
      });
      // 3. Missing trailing arguments (every prefix of the valid list that drops a required one).
      const v = e.valid();
      for (let n = 0; n < v.length; n++) {
        const args = v.slice(0, n);
        // A prefix is valid only if everything it drops is optional (null outputs / unread scales).
        const dropped = e.kinds.slice(n);
        if (dropped.every((k) => k === 'optOut' || k === 'optIn' || k === 'arrOptF32' || k === 'scale' || k === 'f64')) continue;
        expectRejects(e.name, () => call(e.name, args), `only ${n} arguments`);
        bad++;
      }
      // 4. Random combinations of two or three wrong arguments.
      for (let t = 0; t < 60; t++) {
        const args = e.valid();
        const k = 2 + Math.floor(rnd() * 2);
        for (let m = 0; m < k; m++) {
          const i = Math.floor(rnd() * e.kinds.length);
          args[i] = pick(badValues(e.kinds[i], e.valid()[i]));
        }
        expectRejects(e.name, () => call(e.name, args), `random combination ${t}`);
        bad++;
      }
      // 5. The valid call works and writes finite numbers.
      const ok = e.valid();
      call(e.name, ok);
      const out = ok[e.kinds.indexOf('out')] as Float32Array;
      expect(Array.from(out).every(Number.isFinite)).toBe(true);
      expect(bad).toBeGreaterThan(40);
    });
  }

  it('optional outputs may be null or undefined, and scales are then not read', () => {
    const s = f32(N);
    const t = f32(N);
    const l1 = new Float32Array(R);
    const l2 = new Float32Array(R);
    a.softmaxKL(s, t, R, C, 2, 2, 0.3, l1, null, null, NaN, NaN);
    (a.softmaxKL as (...x: unknown[]) => void)(s, t, R, C, 2, 2, 0.3, l2);
    expect(Array.from(l1)).toEqual(Array.from(l2));
    expect(Array.from(l1).every(Number.isFinite)).toBe(true);
  });

  it('info() names the ISA in use and the supported ones', () => {
    const i = a.info();
    expect(i.isasSupported).toContain('scalar');
    expect(i.isasSupported).toContain(i.isa);
    expect(i.threads).toBeGreaterThanOrEqual(1);
  });
});

describe.skipIf(!addon)('kd-kernels/native layer validates in TypeScript', () => {
  const s = f32(N);
  const t = f32(N);
  const cases: [string, () => unknown, 'TypeError' | 'RangeError'][] = [
    ['no options', () => (native.softmaxKL as (x?: unknown) => unknown)(), 'TypeError'],
    ['short student', () => native.softmaxKL({ student: s.subarray(1), teacher: t, rows: R, cols: C }), 'RangeError'],
    ['Float64 teacher', () => native.softmaxKL({ student: s, teacher: new Float64Array(N) as unknown as Float32Array, rows: R, cols: C }), 'TypeError'],
    ['NaN temperature', () => native.softmaxKL({ student: s, teacher: t, rows: R, cols: C, temperature: NaN }), 'RangeError'],
    ['negative temperature', () => native.softmaxKL({ student: s, teacher: t, rows: R, cols: C, temperature: -1 }), 'RangeError'],
    ['bad divergence', () => native.softmaxKL({ student: s, teacher: t, rows: R, cols: C, divergence: 'kl' as never }), 'RangeError'],
    ['aliased grad', () => native.softmaxKL({ student: s, teacher: t, rows: R, cols: C, gradStudent: s }), 'RangeError'],
    ['label out of range', () => native.crossEntropy({ logits: s, labels: Int32Array.from([0, 1, C]), rows: R, cols: C }), 'RangeError'],
    ['labels as Float32Array', () => native.crossEntropy({ logits: s, labels: new Float32Array(R) as never, rows: R, cols: C }), 'TypeError'],
    ['missing teachers', () => native.multiTeacherKL({ student: s, rows: R, cols: C } as never), 'TypeError'],
    ['weights length', () => native.multiTeacherKL({ student: s, teachers: [t], weights: [0.5, 0.5], rows: R, cols: C }), 'RangeError'],
    ['mse b short', () => native.mse({ a: s, b: t.subarray(2) }), 'RangeError'],
    ['gram b = 0', () => native.gramSimilarity({ student: s, teacher: t, b: 0, ds: C, dt: C }), 'RangeError'],
  ];
  for (const [what, fn, kind] of cases) {
    it(`${what} -> ${kind}`, () => {
      expect(fn).toThrow(kind === 'TypeError' ? TypeError : RangeError);
    });
  }

  it('valid calls write into the caller arrays (zero copy)', () => {
    const rowLoss = new Float32Array(R);
    const grad = new Float32Array(N);
    const r = native.softmaxKL({ student: s, teacher: t, rows: R, cols: C, temperature: 2, rowLoss, gradStudent: grad, studentGradScale: 1 / R });
    expect(r.rowLoss).toBe(rowLoss);
    expect(r.gradStudent).toBe(grad);
    expect(rowLoss.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
    // Gradient rows of a softmax-KL sum to 0.
    for (let i = 0; i < R; i++) expect(Math.abs(grad.subarray(i * C, (i + 1) * C).reduce((p, q) => p + q, 0))).toBeLessThan(1e-6);
    const ce = native.crossEntropy({ logits: s, labels: labelsOk(), rows: R, cols: C, labelSmoothing: 0.1 });
    expect(ce.rowLoss[1]).toBe(0);
    const h = native.hinton({ student: s, teacher: t, labels: labelsOk(), rows: R, cols: C, temperature: 4, grad: new Float32Array(N) });
    expect(h.hardRow[1]).toBe(0);
    const m = native.multiTeacherKL({ student: s, teachers: [t, f32(N)], rows: R, cols: C, gradTeachers: [new Float32Array(N), null] });
    expect(m.gradTeachers?.[1]).toBeNull();
    expect(native.mse({ a: s, b: s.slice() }).sumSq).toBe(0);
    expect(native.gramSimilarity({ student: s, teacher: s.slice(), b: R, ds: C, dt: C }).loss).toBeLessThan(1e-6);
    expect(native.info().isasSupported).toContain(native.info().isa);
  });
});

// ---- random fuzz of every entry point -----------------------------------------------------------
//
// Each entry point has a builder of a random valid call (small random shapes; data with NaN, +-Inf
// and huge values now and then). A round mutates 0 to 3 arguments at random (wrong types, wrong or
// detached or shrunk buffers, SharedArrayBuffer views, aliasing views, NaN / Inf / huge / fractional
// numbers, arrays with getters that detach, dropped or extra arguments) and calls the raw addon:
// an unmutated call must succeed, any other must succeed or throw a TypeError / RangeError, and the
// process must not crash (under .ci/sanitize.sh: no AddressSanitizer / UBSan report either).
// KD_FUZZ_SECONDS=n runs rounds until n seconds have passed (the sanitizer job); otherwise
// KD_FUZZ_ROUNDS (default 150) rounds per entry point. KD_FUZZ_SEED picks the seed (printed).

const FUZZ_SEED = Number(process.env.KD_FUZZ_SEED ?? 0x5eed) >>> 0;
let fz = FUZZ_SEED || 1;
const fr = (): number => {
  fz ^= fz << 13;
  fz ^= fz >>> 17;
  fz ^= fz << 5;
  return (fz >>> 0) / 4294967296;
};
const int = (lo: number, hi: number): number => lo + Math.floor(fr() * (hi - lo + 1));
const choose = <T>(xs: readonly T[]): T => xs[Math.floor(fr() * xs.length)];

/** Random float32 data: mostly N(0, 3)-ish, sometimes NaN, +-Inf, +-3e38 or -Inf runs (masked classes). */
function data(n: number): Float32Array {
  const x = Float32Array.from({ length: n }, () => (fr() * 2 - 1) * 3);
  if (n > 0 && fr() < 0.3) for (let k = int(1, 3); k > 0; k--) x[int(0, n - 1)] = choose([NaN, Infinity, -Infinity, 3e38, -3e38, 1e4]);
  return x;
}
const zeros = (n: number): Float32Array => new Float32Array(n);
const maybe = <T>(x: T): T | null => (fr() < 0.3 ? null : x);

function detached(n: number): Float32Array {
  const x = new Float32Array(n);
  structuredClone(x.buffer, { transfer: [x.buffer] });
  return x;
}
const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize?(n: number): void };
function shrunk(n: number): Float32Array {
  const buf = new Resizable(n * 4, { maxByteLength: n * 4 + 4 });
  const x = new Float32Array(buf);
  buf.resize?.(0);
  return x;
}
function shared<T extends Float32Array | Int32Array>(x: T): T {
  const y = new (x.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(x.byteLength));
  if (x.byteLength) y.set(x as never); // (an earlier mutation may have detached x)
  return y;
}

/** A wrong (or odd but valid) value in place of v; `others` are the call's other arguments (for aliasing views). */
function mutate(v: unknown, others: unknown[]): unknown {
  const junk = [undefined, null, 'x', '3', {}, true, Symbol('s'), () => 1, 10n, [1, 2, 3]];
  if (v instanceof Float32Array || v instanceof Int32Array) {
    const n = v.length;
    const views = others.filter((o): o is Float32Array => o instanceof Float32Array && o !== v && o.length > 0);
    const Same = v.constructor as new (n: number) => Float32Array | Int32Array;
    return choose<() => unknown>([
      () => choose(junk),
      () => new Same(n + 1),
      () => new Same(Math.max(0, n - 1)),
      () => new Float64Array(n),
      () => (v instanceof Float32Array ? new Int32Array(n) : new Float32Array(n)),
      () => detached(n),
      () => shrunk(n),
      () => shared(v),
      () => (views.length ? choose(views).subarray(0, Math.min(n, choose(views).length)) : new Same(n)),
      () => (v instanceof Int32Array ? Int32Array.from(v, () => choose([-1, 2 ** 31 - 1, -(2 ** 31), 1e6, -100])) : data(n).fill(NaN)),
      () => new Uint8Array(n * 4),
      () => new DataView(new ArrayBuffer(n * 4)),
    ])();
  }
  if (v instanceof Float64Array) {
    return choose([() => new Float64Array(v.length + 1), () => Float64Array.from(v, () => choose([NaN, -1, Infinity, 0.5])), () => new Float32Array(v.length), () => Array.from(v), () => choose(junk)])();
  }
  if (Array.isArray(v)) {
    return choose<() => unknown>([
      () => [],
      () => v.slice(0, -1),
      () => [...v, v[0]],
      () => v.map(() => choose(junk)),
      () => v.map((x) => (x instanceof Float32Array ? detached(x.length) : x)),
      () => {
        // an element getter that detaches the first array before the second is read
        const arr = [...v];
        if (arr.length > 1 && arr[0] instanceof Float32Array) {
          const first = arr[0] as Float32Array;
          const second = arr[1];
          Object.defineProperty(arr, 1, { enumerable: true, get: () => (structuredClone(first.buffer, { transfer: [first.buffer] }), second) });
        }
        return arr;
      },
      () => Object.assign(new Array(v.length), { 0: v[0] }), // holes
      () => choose(junk),
    ])();
  }
  if (typeof v === 'number') {
    return choose([NaN, Infinity, -Infinity, -1, 0, 1, 1.5, -0.5, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 53, 2 ** 62, 1e-300, 1e39, 65537, v + 1, v - 1, ...junk]);
  }
  if (typeof v === 'boolean') return choose([0, 1, 'true', null, undefined, !v]);
  if (v === null) return choose([new Float32Array(int(0, 50)), new Float64Array(3), 'x', 0, {}, detached(4)]);
  return choose(junk);
}

interface Fuzz {
  name: string;
  build: () => unknown[];
}

const T = (): number => choose([0.5, 1, 2, 4, 1e-3, 1e3]);
const scaleV = (): number => choose([1, 0.25, -1, 0, 1e-3]);
const labelsFor = (rows: number, cols: number): Int32Array => Int32Array.from({ length: rows }, () => (fr() < 0.2 ? -100 : int(0, cols - 1)));
const convDims = () => {
  const groups = int(1, 2);
  const cIn = groups * int(1, 2);
  const cOut = groups * int(1, 2);
  const n = int(0, 2);
  const h = int(1, 6);
  const w = int(1, 6);
  const padding = int(0, 1);
  const kh = int(1, Math.min(3, h + 2 * padding));
  const kw = int(1, Math.min(3, w + 2 * padding));
  const stride = int(1, 2);
  const hOut = Math.floor((h + 2 * padding - kh) / stride) + 1;
  const wOut = Math.floor((w + 2 * padding - kw) / stride) + 1;
  return { shape: [n, cIn, h, w, cOut, kh, kw, stride, padding, groups, hOut, wOut], n, cIn, h, w, cOut, kh, kw, groups, hOut, wOut };
};
const poolDims = () => {
  const n = int(0, 2);
  const c = int(1, 3);
  const h = int(1, 6);
  const w = int(1, 6);
  const kernel = int(1, Math.min(h, w, 3));
  const stride = int(1, 2);
  const hOut = Math.floor((h - kernel) / stride) + 1;
  const wOut = Math.floor((w - kernel) / stride) + 1;
  return { shape: [n, c, h, w, kernel, stride, hOut, wOut], inLen: n * c * h * w, outLen: n * c * hOut * wOut, plane: h * w, planeOut: hOut * wOut };
};

const FUZZ: Fuzz[] = [
  { name: 'softmaxKL', build: () => { const r = int(0, 5), c = int(1, 40), n = r * c; return [data(n), data(n), r, c, T(), int(0, 2), fr(), zeros(r), maybe(zeros(n)), maybe(zeros(n)), scaleV(), scaleV(), maybe(labelsFor(r, c)), -100]; } },
  { name: 'crossEntropy', build: () => { const r = int(0, 5), c = int(1, 40), n = r * c; return [data(n), labelsFor(r, c), r, c, fr() * 0.3, -100, maybe(Float32Array.from({ length: c }, () => fr())), zeros(r), maybe(zeros(n)), scaleV()]; } },
  { name: 'hinton', build: () => { const r = int(0, 5), c = int(1, 40), n = r * c; return [data(n), data(n), labelsFor(r, c), r, c, T(), fr() * 0.3, -100, maybe(Float32Array.from({ length: c }, () => fr())), zeros(r), zeros(r), maybe(zeros(n)), scaleV(), scaleV()]; } },
  {
    name: 'multiTeacherKL',
    build: () => {
      const r = int(0, 5), c = int(1, 30), n = r * c, K = int(1, 3);
      const w = Float64Array.from({ length: K }, () => 1 / K);
      const gts = fr() < 0.5 ? Array.from({ length: K }, () => maybe(zeros(n))) : null;
      return [
        data(n), Array.from({ length: K }, () => data(n)), w, r, c, T(), zeros(r), maybe(zeros(n)), gts, scaleV(),
        gts ? new Float64Array(K).fill(1) : null, maybe(labelsFor(r, c)), -100,
      ];
    },
  },
  { name: 'gramSimilarity', build: () => { const b = int(1, 6), ds = int(1, 9), dt = int(1, 9); return [data(b * ds), data(b * dt), b, ds, dt, zeros(1), maybe(zeros(b * ds)), maybe(zeros(b * dt)), scaleV(), scaleV()]; } },
  { name: 'mse', build: () => { const s = int(0, 50); return [data(s), data(s), s, zeros(1), maybe(zeros(s)), maybe(zeros(s)), scaleV(), scaleV()]; } },
  { name: 'matmul', build: () => { const m = int(0, 9), k = int(0, 9), n = int(0, 9); return [data(m * k), data(k * n), m, k, n, fr() < 0.5, fr() < 0.5, zeros(m * n)]; } },
  {
    name: 'binary',
    build: () => {
      const rows = int(0, 6), cols = int(0, 6);
      const strides = (): [number, number] => choose<[number, number]>([[cols, 1], [0, 1], [1, 0], [0, 0], [1, rows]]);
      const need = (rs: number, cs: number) => (rows && cols ? (rows - 1) * rs + (cols - 1) * cs + 1 : 0);
      const [ars, acs] = strides();
      const [brs, bcs] = strides();
      return [int(0, 6), data(need(ars, acs) + int(0, 2)), ars, acs, data(need(brs, bcs) + int(0, 2)), brs, bcs, rows, cols, zeros(rows * cols)];
    },
  },
  { name: 'unary', build: () => { const s = int(0, 40); return [int(0, 6), data(s), s, zeros(s)]; } },
  { name: 'affine', build: () => { const s = int(0, 40); return [data(s), s, fr() * 4 - 2, fr(), zeros(s)]; } },
  { name: 'addInPlace', build: () => { const s = int(0, 40); return [zeros(s), data(s), s]; } },
  { name: 'sum', build: () => { const r = int(0, 6), c = int(0, 6), axis = int(0, 2); return [data(r * c), r, c, axis, scaleV(), zeros(axis === 0 ? c : axis === 1 ? r : 1)]; } },
  { name: 'softmax', build: () => { const r = int(0, 6), c = int(0, 9); return [data(r * c), r, c, fr() < 0.5, zeros(r * c)]; } },
  { name: 'softmaxBackward', build: () => { const r = int(0, 6), c = int(0, 9); return [data(r * c), data(r * c), r, c, fr() < 0.5, zeros(r * c)]; } },
  { name: 'transpose', build: () => { const r = int(0, 6), c = int(0, 9); return [data(r * c), r, c, zeros(r * c)]; } },
  { name: 'dropout', build: () => { const s = int(0, 40); return [data(s), s, fr(), int(0, 2 ** 32 - 1), zeros(s), zeros(s)]; } },
  { name: 'fakeQuantize', build: () => { const s = int(0, 40); return [data(s), s, choose([0.013, 0.1, 1]), int(-3, 3), -128, 127, zeros(s), zeros(s)]; } },
  {
    name: 'conv2d',
    build: () => {
      const d = convDims();
      return [data(d.n * d.cIn * d.h * d.w), data(d.cOut * (d.cIn / d.groups) * d.kh * d.kw), maybe(data(d.cOut)), zeros(d.n * d.cOut * d.hOut * d.wOut), ...d.shape];
    },
  },
  {
    name: 'conv2dBackward',
    build: () => {
      const d = convDims();
      const xLen = d.n * d.cIn * d.h * d.w, wLen = d.cOut * (d.cIn / d.groups) * d.kh * d.kw;
      return [data(d.n * d.cOut * d.hOut * d.wOut), data(xLen), data(wLen), maybe(zeros(xLen)), maybe(zeros(wLen)), maybe(zeros(d.cOut)), ...d.shape];
    },
  },
  { name: 'maxPool2d', build: () => { const d = poolDims(); return [data(d.inLen), zeros(d.outLen), new Int32Array(d.outLen), ...d.shape]; } },
  {
    name: 'maxPool2dBackward',
    build: () => {
      const d = poolDims();
      const argmax = Int32Array.from({ length: d.outLen }, (_, o) => Math.floor(o / d.planeOut) * d.plane + int(0, d.plane - 1));
      return [data(d.outLen), argmax, zeros(d.inLen), ...d.shape];
    },
  },
  {
    name: 'sgdStep',
    build: () => {
      const s = int(0, 40), momentum = choose([0, 0.9]);
      return [data(s), data(s), momentum ? zeros(s) : maybe(zeros(s)), s, 0.1, momentum, 0, fr() < 0.5, choose([0, 1e-4]), fr() < 0.5];
    },
  },
  { name: 'adamStep', build: () => { const s = int(0, 40); return [data(s), data(s), zeros(s), zeros(s), s, 1e-3, 0.9, 0.999, 1e-8, choose([0, 0.01]), fr() < 0.5, int(1, 100)]; } },
  { name: 'info', build: () => [] },
];

describe.skipIf(!addon)('native conv2d scratch bound', () => {
  // A 3x3 input with padding 2^16 and stride 2^17 has a 2x2 output but a padded plane of 1.7e10
  // floats: refused before any kernel allocates (the random fuzz once found it under ASan).
  const shape = [1, 1, 3, 3, 1, 3, 3, 2 ** 17, 2 ** 16, 1, 2, 2];
  const f = (n: number) => new Float32Array(n).fill(0.5);
  it('conv2d and conv2dBackward refuse a shape whose scratch is past 2^28 floats, naming padding', () => {
    const a = addon as NativeAddon;
    const conv = a.conv2d as (...x: unknown[]) => void;
    const back = a.conv2dBackward as (...x: unknown[]) => void;
    expect(() => conv(f(9), f(9), null, f(4), ...shape)).toThrow(/padding.*scratch/);
    expect(() => conv(f(9), f(9), null, f(4), ...shape)).toThrow(RangeError);
    expect(() => back(f(4), f(9), f(9), f(9), f(9), null, ...shape)).toThrow(RangeError);
    // The same input and kernel with padding 1 and stride 1 (a 3x3 output) still runs.
    const y = new Float32Array(9);
    conv(f(9), f(9), null, y, 1, 1, 3, 3, 1, 3, 3, 1, 1, 1, 3, 3);
    expect(y[4]).toBe(9 * 0.25);
  });
});

describe.skipIf(!addon)('native addon random fuzz (every entry point)', () => {
  const a = addon as NativeAddon;
  const seconds = Number(process.env.KD_FUZZ_SECONDS ?? 0);
  const rounds = Number(process.env.KD_FUZZ_ROUNDS ?? 150);

  it('covers every function the addon exports', () => {
    expect(Object.keys(a).filter((k) => typeof a[k] === 'function').sort()).toEqual(FUZZ.map((f) => f.name).sort());
  });

  it(`random valid and mutated calls: success or TypeError / RangeError, never a crash (seed ${FUZZ_SEED})`, () => {
    const counts = new Map(FUZZ.map((f) => [f.name, { ok: 0, rejected: 0 }]));
    const deadline = seconds > 0 ? Date.now() + seconds * 1000 : Infinity;
    for (let round = 0; seconds > 0 ? Date.now() < deadline : round < rounds; round++) {
      for (const f of FUZZ) {
        const args = f.build();
        const k = fr() < 0.25 ? 0 : int(1, 3);
        const what: string[] = [];
        for (let m = 0; m < k; m++) {
          if (fr() < 0.1) {
            const cut = int(0, args.length);
            args.length = cut;
            what.push(`cut to ${cut} args`);
          } else if (fr() < 0.05) {
            args.push(choose([1, null, zeros(3)]));
            what.push('an extra arg');
          } else if (args.length) {
            const i = int(0, args.length - 1);
            try {
              args[i] = mutate(args[i], args);
            } catch {
              args[i] = undefined; // a view of a buffer an earlier mutation detached
            }
            what.push(`arg ${i}`);
          }
        }
        const c = counts.get(f.name)!;
        try {
          (a[f.name] as (...x: unknown[]) => unknown)(...args);
          c.ok++;
        } catch (e) {
          const name = (e as Error)?.name;
          if (k === 0 || (name !== 'TypeError' && name !== 'RangeError')) {
            throw new Error(`${f.name} round ${round} (seed ${FUZZ_SEED}, mutated: ${what.join(', ') || 'nothing'}): ${name}: ${(e as Error)?.message}`);
          }
          c.rejected++;
        }
      }
    }
    console.log(`native fuzz (seed ${FUZZ_SEED}${seconds ? `, ${seconds} s` : `, ${rounds} rounds`}): ` +
      [...counts].map(([n, c]) => `${n} ${c.ok} ok / ${c.rejected} rejected`).join('; '));
    for (const [, c] of counts) expect(c.ok).toBeGreaterThan(0);
  }, seconds > 0 ? (seconds + 120) * 1000 : undefined);
});
