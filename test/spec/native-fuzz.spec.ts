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
