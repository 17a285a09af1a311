/**
 * The native addon never dereferences memory a caller can change during the call (issue 8):
 *   1. labels in a SharedArrayBuffer that a worker thread rewrites during many crossEntropy / hinton
 *      calls (valid labels, ignoreIndex and out-of-range values): no crash, and every call either
 *      throws a RangeError or returns, row by row, the result of one of the valid labels (loss and
 *      gradient from the same label: the addon checks and uses one snapshot);
 *   2. array elements that are getters detaching (or shrinking) a buffer the addon has already seen:
 *      a RangeError naming the detached argument, never a read or write through a stale pointer.
 * Both through the raw positional addon (no TypeScript checks in front) and `kd-kernels/native`.
 * Skipped, with the reason printed, when the addon is not built (fails under KD_REQUIRE_NATIVE=1).
 */
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { addonLoadError, tryLoadAddon, type NativeAddon } from '../../src/backends/native/addon.js';
import { native } from '../../src/native.js';

const addon = tryLoadAddon();
const required = process.env.KD_REQUIRE_NATIVE === '1';
if (!addon && !required) console.log(`[skip] native-memory-safety: ${addonLoadError()?.message.split('\n')[0]}`);
const d = addon || required ? describe : describe.skip;

let seed = 0x2545f491;
const rnd = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const f32 = (n: number, scale = 3): Float32Array => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);

// ---- 1. labels shared with a writer thread ------------------------------------------------------

const ROWS = 1024;
const COLS = 96;
const IGNORE = -100;
/** The valid values a row's label takes; the writer also stores out-of-range ones briefly. */
const VALID = [0, 1, COLS - 1, IGNORE];
const INVALID = [COLS, 1 << 30, -(1 << 30), -1];

// Runs in the worker: sets every label to a random valid value, then repeatedly stores an invalid
// value in a random row for a moment and puts a valid one back, until ctrl[0] is set.
const WRITER = `
const { workerData, parentPort } = require('node:worker_threads');
const labels = new Int32Array(workerData.labels);
const ctrl = new Int32Array(workerData.ctrl);
const { valid, invalid } = workerData;
let x = 0x1234567;
const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
parentPort.postMessage('ready');
while (Atomics.load(ctrl, 0) === 0) {
  for (let k = 0; k < 256; k++) labels[next() % labels.length] = valid[next() % valid.length];
  const i = next() % labels.length;
  labels[i] = invalid[next() % invalid.length];
  for (let spin = next() % 200; spin > 0; spin--) Atomics.load(ctrl, 1);
  labels[i] = valid[next() % valid.length];
}
`;

async function withWriter(labels: Int32Array, body: () => void): Promise<void> {
  const ctrl = new Int32Array(new SharedArrayBuffer(8));
  const w = new Worker(WRITER, { eval: true, workerData: { labels: labels.buffer, ctrl: ctrl.buffer, valid: VALID, invalid: INVALID } });
  await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  try {
    body();
  } finally {
    Atomics.store(ctrl, 0, 1);
    await w.terminate();
  }
}

/** Per row: the index in VALID of the label whose reference matches (loss and gradient), else -1. */
function matchRows(loss: Float32Array, grad: Float32Array, refLoss: Float32Array[], refGrad: Float32Array[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < ROWS; i++) {
    let hit = -1;
    for (let v = 0; v < VALID.length && hit < 0; v++) {
      if (!close(loss[i], refLoss[v][i])) continue;
      let ok = true;
      for (let j = i * COLS; j < (i + 1) * COLS && ok; j++) ok = close(grad[j], refGrad[v][j]);
      if (ok) hit = v;
    }
    out.push(hit);
  }
  return out;
}
const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

d('labels in a SharedArrayBuffer written by another thread during the call', () => {
  const a = addon as NativeAddon;
  const CALLS = 400;
  const logits = f32(ROWS * COLS);
  const teacher = f32(ROWS * COLS);

  interface Case {
    name: string;
    /** Runs one call on these labels; returns [loss (label dependent), grad]. */
    run: (labels: Int32Array) => [Float32Array, Float32Array];
  }
  const ce = (labels: Int32Array): [Float32Array, Float32Array] => {
    const rowLoss = new Float32Array(ROWS);
    const grad = new Float32Array(ROWS * COLS);
    a.crossEntropy(logits, labels, ROWS, COLS, 0, IGNORE, null, rowLoss, grad, 1);
    return [rowLoss, grad];
  };
  const hinton = (labels: Int32Array): [Float32Array, Float32Array] => {
    const soft = new Float32Array(ROWS);
    const hard = new Float32Array(ROWS);
    const grad = new Float32Array(ROWS * COLS);
    a.hinton(logits, teacher, labels, ROWS, COLS, 2, 0, IGNORE, null, soft, hard, grad, 0.5, 0.5);
    return [hard, grad];
  };
  const cases: Case[] = [
    { name: 'addon.crossEntropy (raw, positional)', run: ce },
    { name: 'addon.hinton (raw, positional)', run: hinton },
    {
      name: 'native.crossEntropy (kd-kernels/native)',
      run: (labels) => {
        const r = native.crossEntropy({ logits, labels, rows: ROWS, cols: COLS, grad: new Float32Array(ROWS * COLS) });
        return [r.rowLoss, r.grad!];
      },
    },
    {
      name: 'native.hinton (kd-kernels/native)',
      run: (labels) => {
        const r = native.hinton({
          student: logits, teacher, labels, rows: ROWS, cols: COLS, temperature: 2, grad: new Float32Array(ROWS * COLS),
          softGradScale: 0.5, hardGradScale: 0.5,
        });
        return [r.hardRow, r.grad!];
      },
    },
  ];

  for (const c of cases) {
    it(`${c.name}: no crash; each call throws RangeError or is right for one valid label per row`, async () => {
      // References: every row at each valid label, on private labels.
      const refs = VALID.map((v) => c.run(new Int32Array(ROWS).fill(v)));
      const labels = new Int32Array(new SharedArrayBuffer(ROWS * 4)).fill(0);
      let returned = 0;
      let rejected = 0;
      await withWriter(labels, () => {
        for (let k = 0; k < CALLS; k++) {
          let r: [Float32Array, Float32Array];
          try {
            r = c.run(labels);
          } catch (e) {
            expect((e as Error).name, (e as Error).message).toBe('RangeError');
            expect((e as Error).message).toMatch(/labels/);
            rejected++;
            continue;
          }
          const hits = matchRows(r[0], r[1], refs.map((x) => x[0]), refs.map((x) => x[1]));
          const bad = hits.indexOf(-1);
          if (bad >= 0) throw new Error(`call ${k}: row ${bad} (loss ${r[0][bad]}) matches no valid label`);
          returned++;
        }
      });
      console.log(`${c.name}: ${returned} calls returned, ${rejected} threw RangeError`);
      expect(returned + rejected).toBe(CALLS);
    });
  }
});

// ---- 2. getters in array arguments that detach or shrink buffers --------------------------------

const R = 4;
const C = 33;
const N = R * C;

/** Detaches x's buffer (a transfer moves its memory away; x then has length 0). */
function detach(x: Float32Array): void {
  structuredClone(x.buffer, { transfer: [x.buffer] });
}

/** An array of `values` whose element `at` is a getter that runs `effect` first. */
function withGetter<T>(values: T[], at: number, effect: () => void): T[] {
  const arr = [...values];
  Object.defineProperty(arr, at, {
    enumerable: true,
    get() {
      effect();
      return values[at];
    },
  });
  return arr;
}

d('array elements that are getters detaching a buffer (multiTeacherKL)', () => {
  const a = addon as NativeAddon;
  const weights = Float64Array.from([0.5, 0.5]);
  const call = (student: Float32Array, teachers: Float32Array[], rowLoss: Float32Array, gradTeachers: (Float32Array | null)[] | null) =>
    a.multiTeacherKL(student, teachers, weights, R, C, 2, rowLoss, null, gradTeachers, 1, gradTeachers ? Float64Array.from([1, 1]) : null);

  const cases: [string, RegExp, () => void][] = [
    ['teachers[1] detaches teachers[0]', /teachers\[0\]/, () => {
      const t0 = f32(N);
      call(f32(N), withGetter([t0, f32(N)], 1, () => detach(t0)), new Float32Array(R), null);
    }],
    ['teachers[0] detaches student', /student/, () => {
      const s = f32(N);
      call(s, withGetter([f32(N), f32(N)], 0, () => detach(s)), new Float32Array(R), null);
    }],
    ['teachers[1] detaches rowLoss (an output)', /rowLoss/, () => {
      const loss = new Float32Array(R);
      call(f32(N), withGetter([f32(N), f32(N)], 1, () => detach(loss)), loss, null);
    }],
    ['gradTeachers[1] detaches gradTeachers[0] (an output)', /gradTeachers\[0\]/, () => {
      const g0 = new Float32Array(N);
      call(f32(N), [f32(N), f32(N)], new Float32Array(R), withGetter<Float32Array | null>([g0, new Float32Array(N)], 1, () => detach(g0)));
    }],
    ['gradTeachers[0] detaches teachers[1]', /teachers\[1\]/, () => {
      const t1 = f32(N);
      call(f32(N), [f32(N), t1], new Float32Array(R), withGetter<Float32Array | null>([new Float32Array(N), null], 0, () => detach(t1)));
    }],
    ['kd-kernels/native: teachers[1] detaches teachers[0]', /teachers\[0\]/, () => {
      const t0 = f32(N);
      native.multiTeacherKL({ student: f32(N), teachers: withGetter([t0, f32(N)], 1, () => detach(t0)), rows: R, cols: C, temperature: 2 });
    }],
  ];
  // A resizable ArrayBuffer shrunk to 0 bytes under a length-tracking view (Node >= 20).
  const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize?(n: number): void };
  const probe = new Resizable(4, { maxByteLength: 8 });
  if (typeof probe.resize === 'function') {
    cases.push(['teachers[1] shrinks a resizable buffer under teachers[0]', /teachers\[0\]/, () => {
      const buf = new Resizable(N * 4, { maxByteLength: N * 4 });
      const t0 = new Float32Array(buf);
      t0.set(f32(N));
      call(f32(N), withGetter([t0, f32(N)], 1, () => buf.resize!(0)), new Float32Array(R), null);
    }]);
  } else {
    console.log('[skip] resizable ArrayBuffer case: ArrayBuffer.prototype.resize is missing in this Node');
  }

  for (const [what, names, run] of cases) {
    it(`${what}: RangeError naming it`, () => {
      expect(run).toThrow(RangeError);
      expect(run).toThrow(names);
    });
  }

  it('getters that leave the buffers alone are read once each and the call works', () => {
    let reads = 0;
    const t = [f32(N), f32(N)];
    const teachers = withGetter(t, 1, () => reads++);
    const loss = new Float32Array(R);
    call(f32(N), teachers, loss, null);
    expect(reads).toBe(1);
    expect(Array.from(loss).every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
  });
});

beforeAll(() => {
  if (!addon && required) throw new Error(`KD_REQUIRE_NATIVE=1 but the addon does not load: ${addonLoadError()?.message}`);
});
