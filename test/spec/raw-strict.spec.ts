/**
 * The raw APIs are strict (issue 8), with one set of checks (src/kernels/raw_args.ts) for
 * `kd-kernels/native` (typed arrays) and `kd-kernels/webgpu` createKernels (GPUBuffers): every
 * case runs on both. An unknown option key (a misspelled `temprature`, `gradScale` for
 * `studentGradScale`) is a TypeError naming it and listing the accepted keys; multi-teacher weights
 * are checked as in the Tensor API ([0.9, 0.9] does not sum to 1); a temperature that is 0 or
 * Infinity in float32 (1e-300, 1e39, 0) is a RangeError; wrong types, short arrays / small buffers
 * and outputs that are inputs too are rejected. The addon checks the temperature and the weights
 * again on its own. On webgpu nothing reaches the device: no uncaptured error after the bad calls.
 * Each API is skipped, with the reason printed, when it is not available (KD_REQUIRE_NATIVE=1 /
 * KD_REQUIRE_WEBGPU=1 make that a failure).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend } from '../../src/backends/cpu/index.js';
import { addonLoadError, tryLoadAddon } from '../../src/backends/native/addon.js';
import { losses, tensor } from '../../src/index.js';
import { native } from '../../src/native.js';
import { acquireDevice, createKernels, type WebGPUKernels } from '../../src/webgpu.js';

const R = 3;
const C = 5;
const N = R * C;

let seed = 7;
const rnd = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
const randn = (n: number): Float32Array => Float32Array.from({ length: n }, () => rnd() * 3);

/** Arrays (native) or buffers (webgpu) of n elements, with random data. */
interface Make {
  api: 'native' | 'webgpu';
  f(n: number): unknown;
  i(values: number[]): unknown;
  /** The first n elements of x, in x's memory (native: a subarray; webgpu: x itself). */
  head(x: unknown, n: number): unknown;
}
type Opts = Record<string, unknown>;
type Err = typeof TypeError | typeof RangeError;
interface Case {
  what: string;
  fn: 'softmaxKL' | 'crossEntropy' | 'hinton' | 'multiTeacherKL' | 'gramSimilarity' | 'mse' | 'matmul' | 'sum';
  opts: (m: Make) => Opts;
  err: Err;
  message: RegExp;
  only?: 'native' | 'webgpu';
}

const kl = (m: Make): Opts => ({ student: m.f(N), teacher: m.f(N), rows: R, cols: C, rowLoss: m.f(R) });
const ce = (m: Make): Opts => ({ logits: m.f(N), labels: m.i([0, 4, -100]), rows: R, cols: C, rowLoss: m.f(R) });
const hin = (m: Make): Opts => ({ student: m.f(N), teacher: m.f(N), labels: m.i([1, 2, 3]), rows: R, cols: C, softRow: m.f(R), hardRow: m.f(R) });
const mt = (m: Make): Opts => ({ student: m.f(N), teachers: [m.f(N), m.f(N)], rows: R, cols: C, rowLoss: m.f(R) });

const CASES: Case[] = [
  // Options are silently ignored (issue 8): each of these used to run.
  { what: "misspelled 'temprature'", fn: 'softmaxKL', opts: (m) => ({ ...kl(m), temprature: 4 }), err: TypeError, message: /unknown option 'temprature' \(known: .*temperature/ },
  { what: "'gradScale' for 'studentGradScale'", fn: 'softmaxKL', opts: (m) => ({ ...kl(m), gradStudent: m.f(N), gradScale: 1 / R }), err: TypeError, message: /unknown option 'gradScale' \(known: .*studentGradScale/ },
  { what: "hinton 'alpha' (not a raw option)", fn: 'hinton', opts: (m) => ({ ...hin(m), alpha: 0.9 }), err: TypeError, message: /unknown option 'alpha'/ },
  { what: "crossEntropy 'label_smoothing'", fn: 'crossEntropy', opts: (m) => ({ ...ce(m), label_smoothing: 0.1 }), err: TypeError, message: /unknown option 'label_smoothing'/ },
  { what: "an unknown key set to undefined", fn: 'mse', opts: (m) => ({ a: m.f(N), b: m.f(N), size: N, gradC: undefined }), err: TypeError, message: /unknown option 'gradC'/ },
  { what: 'multiTeacherKL weights [0.9, 0.9]', fn: 'multiTeacherKL', opts: (m) => ({ ...mt(m), weights: [0.9, 0.9] }), err: RangeError, message: /weights.*must sum to 1, got 1\.8/ },
  { what: 'multiTeacherKL weights [1.5, -0.5]', fn: 'multiTeacherKL', opts: (m) => ({ ...mt(m), weights: [1.5, -0.5] }), err: RangeError, message: /weights.*\[1\] must be >= 0/ },
  { what: 'multiTeacherKL weights of length 1', fn: 'multiTeacherKL', opts: (m) => ({ ...mt(m), weights: [1] }), err: RangeError, message: /weights.*must have 2 entries/ },
  { what: 'temperature 1e-300 (0 in float32)', fn: 'softmaxKL', opts: (m) => ({ ...kl(m), temperature: 1e-300 }), err: RangeError, message: /temperature.*normal float32.*got 1e-300/ },
  { what: 'temperature 1e39 (Infinity in float32)', fn: 'hinton', opts: (m) => ({ ...hin(m), temperature: 1e39 }), err: RangeError, message: /temperature.*got 1e\+39/ },
  { what: 'temperature 1e-40 (a float32 denormal: 1/T overflows)', fn: 'multiTeacherKL', opts: (m) => ({ ...mt(m), temperature: 1e-40 }), err: RangeError, message: /temperature/ },
  { what: 'temperature 0', fn: 'softmaxKL', opts: (m) => ({ ...kl(m), temperature: 0 }), err: RangeError, message: /temperature.*> 0/ },
  { what: 'temperature NaN', fn: 'softmaxKL', opts: (m) => ({ ...kl(m), temperature: NaN }), err: RangeError, message: /temperature.*finite/ },
  { what: "temperature '4'", fn: 'softmaxKL', opts: (m) => ({ ...kl(m), temperature: '4' }), err: TypeError, message: /temperature.*must be a number/ },
  { what: 'beta 1.5', fn: 'softmaxKL', opts: (m) => ({ ...kl(m), divergence: 'jsd', beta: 1.5 }), err: RangeError, message: /beta.*<= 1/ },
  { what: "divergence 'kl'", fn: 'softmaxKL', opts: (m) => ({ ...kl(m), divergence: 'kl' }), err: RangeError, message: /divergence.*'forward-kl'/ },
  { what: 'labelSmoothing -0.1', fn: 'crossEntropy', opts: (m) => ({ ...ce(m), labelSmoothing: -0.1 }), err: RangeError, message: /labelSmoothing/ },
  { what: 'ignoreIndex 1.5', fn: 'crossEntropy', opts: (m) => ({ ...ce(m), ignoreIndex: 1.5 }), err: RangeError, message: /ignoreIndex.*integer/ },
  { what: 'a null grad scale', fn: 'softmaxKL', opts: (m) => ({ ...kl(m), gradStudent: m.f(N), studentGradScale: null }), err: TypeError, message: /studentGradScale.*number/ },
  { what: 'an Infinity grad scale', fn: 'crossEntropy', opts: (m) => ({ ...ce(m), grad: m.f(N), gradScale: Infinity }), err: RangeError, message: /gradScale.*finite/ },
  { what: 'rows 1.5', fn: 'softmaxKL', opts: (m) => ({ ...kl(m), rows: 1.5 }), err: RangeError, message: /rows.*integer/ },
  { what: 'missing cols', fn: 'softmaxKL', opts: (m) => ({ ...kl(m), cols: undefined }), err: TypeError, message: /cols.*number/ },
  { what: 'a short student', fn: 'softmaxKL', opts: (m) => ({ ...kl(m), student: m.f(N - 1) }), err: RangeError, message: /student.*\[rows, cols\] = \[3, 5\]/ },
  { what: 'a teacher that is not an array', fn: 'multiTeacherKL', opts: (m) => ({ ...mt(m), teachers: [m.f(N), 'x'] }), err: TypeError, message: /teachers\[1\]/ },
  { what: 'labels that are floats', fn: 'crossEntropy', opts: (m) => ({ ...ce(m), labels: new Float32Array(R) }), err: TypeError, message: /labels/ },
  { what: 'gradTeachers of the wrong count', fn: 'multiTeacherKL', opts: (m) => ({ ...mt(m), gradTeachers: [m.f(N)] }), err: RangeError, message: /gradTeachers.*K = 2/ },
  { what: 'gram b 0', fn: 'gramSimilarity', opts: (m) => ({ student: m.f(4), teacher: m.f(4), b: 0, ds: 2, dt: 2, ...(m.api === 'webgpu' ? { loss: m.f(1) } : {}) }), err: RangeError, message: /'b'.*>= 1/ },
  { what: 'no options object', fn: 'softmaxKL', opts: () => null as unknown as Opts, err: TypeError, message: /options object/ },
  // webgpu-only functions and outputs
  { what: 'matmul with a small c', fn: 'matmul', opts: (m) => ({ a: m.f(6), b: m.f(6), c: m.f(3), m: 2, k: 3, n: 2 }), err: RangeError, message: /'c'.*16 bytes/, only: 'webgpu' },
  { what: "matmul 'transpose'", fn: 'matmul', opts: (m) => ({ a: m.f(6), b: m.f(6), c: m.f(4), m: 2, k: 3, n: 2, transpose: true }), err: TypeError, message: /unknown option 'transpose'/, only: 'webgpu' },
  { what: "sum without 'axis'", fn: 'sum', opts: (m) => ({ x: m.f(6), out: m.f(1), rows: 2, cols: 3 }), err: TypeError, message: /axis.*missing/, only: 'webgpu' },
  { what: 'mse without sumSq', fn: 'mse', opts: (m) => ({ a: m.f(N), b: m.f(N), size: N }), err: TypeError, message: /sumSq/, only: 'webgpu' },
  { what: 'native mse with a webgpu-only sumSq', fn: 'mse', opts: (m) => ({ a: m.f(N), b: m.f(N), sumSq: m.f(1) }), err: TypeError, message: /unknown option 'sumSq'/, only: 'native' },
];

/** An output that is also an input (native: shared memory; webgpu: the same buffer). */
const ALIAS: Case[] = [
  { what: 'gradStudent is the student', fn: 'softmaxKL', opts: (m) => { const o = kl(m); return { ...o, gradStudent: o.student }; }, err: RangeError, message: /gradStudent.*student/ },
  { what: 'rowLoss is gradTeachers[0]', fn: 'multiTeacherKL', opts: (m) => { const g = m.f(N); return { ...mt(m), rowLoss: m.head(g, R), gradTeachers: [g, null] }; }, err: RangeError, message: /share memory/ },
];

function runCases(api: 'native' | 'webgpu', call: (fn: Case['fn'], o: Opts) => void, make: () => Make): void {
  for (const c of [...CASES, ...ALIAS]) {
    if (c.only && c.only !== api) continue;
    it(`${c.what}: ${c.err.name}`, () => {
      const o = c.opts(make());
      expect(() => call(c.fn, o)).toThrow(c.err);
      expect(() => call(c.fn, o)).toThrow(c.message);
    });
  }
}

// ---- native -------------------------------------------------------------------------------------

const addon = tryLoadAddon();
const needNative = process.env.KD_REQUIRE_NATIVE === '1';
if (!addon && !needNative) console.log(`[skip] raw-strict native: ${addonLoadError()?.message.split('\n')[0]}`);

(addon || needNative ? describe : describe.skip)('kd-kernels/native is strict', () => {
  beforeAll(() => {
    if (!addon) throw new Error(`KD_REQUIRE_NATIVE=1 but the addon does not load: ${addonLoadError()?.message}`);
  });
  const make = (): Make => ({
    api: 'native',
    f: (n) => randn(n),
    i: (v) => Int32Array.from(v),
    head: (x, n) => (x as Float32Array).subarray(0, n),
  });
  runCases('native', (fn, o) => (native as unknown as Record<string, (x: Opts) => unknown>)[fn](o), make);

  it('the addon checks again: temperature 1e-300 / 1e39 and weights [0.9, 0.9] throw RangeError', () => {
    const a = addon!;
    for (const T of [1e-300, 1e39, 1e-40]) {
      expect(() => a.softmaxKL(randn(N), randn(N), R, C, T, 0, 0.5, new Float32Array(R), null, null, 1, 1)).toThrow(/temperature.*normal float32/);
    }
    expect(() => a.multiTeacherKL(randn(N), [randn(N), randn(N)], Float64Array.from([0.9, 0.9]), R, C, 2, new Float32Array(R), null, null, 1, null))
      .toThrow(/weights.*must sum to 1/);
  });

  it('valid calls still run; mse size defaults to a.length; temperature 1e-3 and 1e3 are accepted', () => {
    const s = randn(N);
    const t = randn(N);
    for (const temperature of [1e-3, 1e3]) {
      const r = native.softmaxKL({ student: s, teacher: t, rows: R, cols: C, temperature, gradStudent: new Float32Array(N) });
      expect(Array.from(r.rowLoss).every(Number.isFinite)).toBe(true);
    }
    expect(native.mse({ a: s, b: s.slice() }).sumSq).toBe(0);
    expect(() => native.mse({ a: s, b: t.subarray(0, 4), size: 4 })).toThrow(/'a'.*length 4/);
  });
});

// ---- the Tensor API shares the temperature check -------------------------------------------------

describe('Tensor API: a temperature that is 0 or Infinity in float32 is a RangeError', () => {
  const s = tensor(randn(N), [R, C]);
  const t = tensor(randn(N), [R, C]);
  const y = tensor(Int32Array.from([0, 1, 2]), [R], { dtype: 'int32' });
  for (const T of [1e-300, 1e39]) {
    it(`temperature ${T}`, () => {
      expect(() => losses.kdLoss(s, t, { temperature: T })).toThrow(RangeError);
      expect(() => losses.hintonLoss(s, t, y, { temperature: T })).toThrow(/temperature.*normal float32/);
      expect(() => losses.multiTeacherKdLoss(s, [t], { temperature: T })).toThrow(RangeError);
    });
  }
});

// ---- webgpu -------------------------------------------------------------------------------------

// The caller's own device, as a trainer using the raw layer gets it.
let reason = '';
const only = process.env.KD_TEST_BACKENDS?.split(',').map((b) => b.trim());
const acquired = only && !only.includes('webgpu')
  ? ((reason = `not in KD_TEST_BACKENDS=${process.env.KD_TEST_BACKENDS}`), null)
  : await acquireDevice().catch((e: Error) => {
    reason = e.message;
    return null;
  });
const device = acquired?.device;
const needWebgpu = process.env.KD_REQUIRE_WEBGPU === '1' && (!only || only.includes('webgpu'));
if (!device && !needWebgpu) console.log(`[skip] raw-strict webgpu: ${reason}`);

(device || needWebgpu ? describe : describe.skip)('kd-kernels/webgpu createKernels is strict (the same checks)', () => {
  let kernels: WebGPUKernels;
  let enc: GPUCommandEncoder;
  const errors: string[] = [];
  const made: GPUBuffer[] = [];
  const USAGE = 128 | 4 | 8; // STORAGE | COPY_SRC | COPY_DST
  const buffer = (data: Float32Array | Int32Array): GPUBuffer => {
    const b = device!.createBuffer({ size: Math.max(4, data.byteLength), usage: USAGE });
    device!.queue.writeBuffer(b, 0, data);
    made.push(b);
    return b;
  };
  const make = (): Make => ({ api: 'webgpu', f: (n) => buffer(randn(n)), i: (v) => buffer(Int32Array.from(v)), head: (x) => x });
  beforeAll(() => {
    if (!device) throw new Error(`KD_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${reason}`);
    kernels = createKernels(device);
    device.addEventListener('uncapturederror', (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
    enc = device.createCommandEncoder();
  });
  afterAll(() => {
    for (const b of made) b.destroy();
    if (acquired?.owned) device?.destroy();
  });

  runCases('webgpu', (fn, o) => (kernels as unknown as Record<string, (e: GPUCommandEncoder, x: Opts) => void>)[fn](enc, o), make);

  it('a non-encoder first argument and a non-device are TypeErrors', () => {
    expect(() => kernels.mse({} as GPUCommandEncoder, { a: make().f(N) as GPUBuffer, b: make().f(N) as GPUBuffer, size: N, sumSq: make().f(1) as GPUBuffer }))
      .toThrow(/GPUCommandEncoder/);
    expect(() => createKernels({} as GPUDevice)).toThrow(TypeError);
  });

  it('nothing was encoded by the rejected calls (no uncaptured error), and a gradient is written when its buffer is given (scale 1)', async () => {
    device!.queue.submit([enc.finish()]);
    const s = randn(N);
    const t = randn(N);
    const rowLoss = buffer(new Float32Array(R));
    const gradStudent = buffer(new Float32Array(N));
    const e = device!.createCommandEncoder();
    kernels.softmaxKL(e, { student: buffer(s), teacher: buffer(t), rows: R, cols: C, temperature: 2, rowLoss, gradStudent });
    const staging = device!.createBuffer({ size: (R + N) * 4, usage: 1 | 8 }); // MAP_READ | COPY_DST
    made.push(staging);
    e.copyBufferToBuffer(rowLoss, 0, staging, 0, R * 4);
    e.copyBufferToBuffer(gradStudent, 0, staging, R * 4, N * 4);
    device!.queue.submit([e.finish()]);
    await staging.mapAsync(1);
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    expect(errors).toEqual([]);
    const ref = cpuBackend.softmaxKL({
      student: cpuBackend.upload(s), teacher: cpuBackend.upload(t), rows: R, cols: C, temperature: 2, divergence: 'forward-kl',
      beta: 0.5, studentGradScale: 1, teacherGradScale: null,
    });
    const want = [...cpuBackend.readSync(ref.rowLoss), ...cpuBackend.readSync(ref.gradStudent!)];
    want.forEach((w, i) => expect(Math.abs(out[i] - w)).toBeLessThan(1e-4 * Math.max(1, Math.abs(w))));
    expect(out.subarray(R).some((g) => g !== 0)).toBe(true);
  });
});
