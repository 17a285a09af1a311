// One backend, one thread count, in its own process (the native addon reads KD_NUM_THREADS once,
// at load): benchmark.js suites over the public Tensor API of the built package (dist/).
//
//   node bench/suites.js --backend cpu|native|webgpu --suites kd,ce,... [--sizes 256x10,...] [--quick] [--gpu] [--dist DIR]
// (--gpu: the loss sizes of bench/gpu.sh, cases.js GPU_LOSS_SIZES)
//
// Prints one line `BENCH_INFO {json}` and one `BENCH_RESULT {json}` per case on stdout; bench/run.js
// reads them. Progress goes to stderr.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { writeSync } from 'node:fs';
import { caseList, effectiveBytes, lcgFloats, lcgLabels, TEMPERATURE, ALPHA, MLP, CNN } from './cases.js';

const require = createRequire(import.meta.url);
const Benchmark = require('benchmark');
// Call the test function by reference (closures), never a decompiled copy of its source.
Benchmark.support.decompilation = false;

function parseArgs(argv) {
  const a = { backend: 'cpu', suites: ['kd'], sizes: null, quick: false, gpu: false, dist: null, from: 0 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--backend') a.backend = argv[++i];
    else if (k === '--suites') a.suites = argv[++i].split(',');
    else if (k === '--sizes') a.sizes = argv[++i].split(',');
    else if (k === '--quick') a.quick = true;
    else if (k === '--gpu') a.gpu = true;
    else if (k === '--dist') a.dist = argv[++i];
    else if (k === '--from') a.from = Number(argv[++i]);
  }
  return a;
}

const args = parseArgs(process.argv.slice(2));
const distDir = path.resolve(args.dist ?? path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist'));
const kd = await import(pathToFileURL(path.join(distDir, 'index.js')).href);
const { tensor, losses, nn, optim, setBackend, useWebGPU, releaseWebGPU, nativeLoadError } = kd;

const emit = (tag, obj) => writeSync(1, `${tag} ${JSON.stringify(obj)}\n`); // synchronous: survives a crash right after
const log = (...m) => process.stderr.write(`[${args.backend}${process.env.KD_NUM_THREADS ? ` t${process.env.KD_NUM_THREADS}` : ''}] ${m.join(' ')}\n`);

// 1. The backend, and what it is.
const info = { backend: args.backend, threads: 1, isa: null, adapter: null, note: null };
let gpu = null;
try {
  if (args.backend === 'webgpu') {
    gpu = await useWebGPU();
    const ai = gpu.device.adapterInfo ?? null;
    if (ai) info.adapter = { vendor: ai.vendor, architecture: ai.architecture, device: ai.device, description: ai.description };
    const words = JSON.stringify(info.adapter ?? {}).toLowerCase();
    if (/llvmpipe|lavapipe|swiftshader|\bcpu\b|mesa/.test(words)) info.note = 'software adapter (lavapipe/llvmpipe/SwiftShader): these are CPU timings, not GPU figures';
  } else if (args.backend === 'native') {
    const err = nativeLoadError();
    if (err) throw err;
    setBackend('native');
    try {
      const { native } = await import(pathToFileURL(path.join(distDir, 'native.js')).href);
      const ni = native.info();
      info.isa = ni.isa;
      info.threads = ni.threads;
      info.isasSupported = ni.isasSupported;
    } catch (e) {
      info.note = `native.info() unavailable: ${e.message}`;
      info.threads = Number(process.env.KD_NUM_THREADS ?? 0) || null;
    }
  } else {
    setBackend('cpu');
    info.isa = 'TypeScript reference (float64 accumulation)';
  }
} catch (e) {
  emit('BENCH_INFO', { ...info, error: `backend ${args.backend} unavailable: ${e.message.split('\n')[0]}` });
  process.exit(0);
}
emit('BENCH_INFO', info);

// 2. Timing settings: quick = CI smoke run.
const timing = args.quick ? { minSamples: 3, maxTime: 0.3, initCount: 1 } : { minSamples: 15, maxTime: 3, initCount: 1 };
const isAsync = args.backend === 'webgpu';
const settle = async () => { if (gpu) await gpu.device.queue.onSubmittedWorkDone(); };

// 3. Each case: make() builds the inputs (outside the timed loop) and returns { step, free }.
//    step() is one forward + backward (or one training step) through the public API; the inputs
//    are made once (as the PyTorch peer does) and each step disposes what it creates (the host
//    storage has a buffer pool), clearing the gradient as PyTorch's `s.grad = None`.
const makers = {
  kd([B, C]) {
    const s = tensor(lcgFloats(B * C, 1), [B, C], { requiresGrad: true });
    const t = tensor(lcgFloats(B * C, 2), [B, C]);
    return {
      step() {
        const loss = losses.kdLoss(s, t, { temperature: TEMPERATURE });
        loss.backward();
        s.zeroGrad(); loss.dispose();
      },
      free() { s.dispose(); t.dispose(); },
    };
  },
  ce([B, C]) {
    const s = tensor(lcgFloats(B * C, 1), [B, C], { requiresGrad: true });
    const labels = tensor(lcgLabels(B, C, 3), [B], { dtype: 'int32' });
    return {
      step() {
        const loss = losses.crossEntropy(s, labels);
        loss.backward();
        s.zeroGrad(); loss.dispose();
      },
      free() { s.dispose(); labels.dispose(); },
    };
  },
  hinton([B, C]) {
    const s = tensor(lcgFloats(B * C, 1), [B, C], { requiresGrad: true });
    const t = tensor(lcgFloats(B * C, 2), [B, C]);
    const labels = tensor(lcgLabels(B, C, 3), [B], { dtype: 'int32' });
    return {
      step() {
        const loss = losses.hintonLoss(s, t, labels, { temperature: TEMPERATURE, alpha: ALPHA });
        loss.backward();
        s.zeroGrad(); loss.dispose();
      },
      free() { s.dispose(); t.dispose(); labels.dispose(); },
    };
  },
  sp([b, ds, dt]) {
    const fs = tensor(lcgFloats(b * ds, 1, 1), [b, ds], { requiresGrad: true });
    const ft = tensor(lcgFloats(b * dt, 2, 1), [b, dt]);
    return {
      step() {
        const loss = losses.similarityLoss(fs, ft);
        loss.backward();
        fs.zeroGrad(); loss.dispose();
      },
      free() { fs.dispose(); ft.dispose(); },
    };
  },
  mlp() {
    const [d0, d1, d2] = MLP.layers;
    const B = MLP.batch;
    const model = new nn.Sequential(new nn.Linear(d0, d1), new nn.ReLU(), new nn.Linear(d1, d2));
    const opt = new optim.SGD(model.parameters(), { lr: MLP.lr, momentum: MLP.momentum });
    const x = tensor(lcgFloats(B * d0, 1, 1), [B, d0]);
    const t = tensor(lcgFloats(B * d2, 2), [B, d2]); // precomputed teacher logits
    const labels = tensor(lcgLabels(B, d2, 3), [B], { dtype: 'int32' });
    return {
      step() {
        opt.zeroGrad();
        const out = model.forward(x);
        const loss = losses.hintonLoss(out, t, labels, { temperature: TEMPERATURE, alpha: ALPHA });
        loss.backward();
        opt.step();
        loss.dispose(); out.dispose();
      },
      free() { x.dispose(); t.dispose(); labels.dispose(); },
    };
  },
  // One read of a [4096, 1000] kd gradient, computed once outside the timed loop: `copy` is what
  // data() costs (dataSync() on cpu/native; the GPU -> host readback on webgpu), `view` is hostView().
  'grad-read'([B, C], read) {
    const s = tensor(lcgFloats(B * C, 1), [B, C], { requiresGrad: true });
    const t = tensor(lcgFloats(B * C, 2), [B, C]);
    const loss = losses.kdLoss(s, t, { temperature: TEMPERATURE });
    loss.backward();
    const g = s.grad;
    const step = read === 'view' ? () => g.hostView() : isAsync ? () => g.data() : () => g.dataSync();
    return { step, free() { s.dispose(); t.dispose(); loss.dispose(); } };
  },
  cnn() {
    const { batch: B, inChannels: ci, height: H, width: W, conv: [c1, c2], kernel: k, padding, fc, classes } = CNN;
    const flat = c2 * Math.floor(H / 4) * Math.floor(W / 4);
    const model = new nn.Sequential(
      new nn.Conv2d(ci, c1, k, { padding }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(c1, c2, k, { padding }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(flat, fc), new nn.ReLU(), new nn.Linear(fc, classes),
    );
    const opt = new optim.Adam(model.parameters(), { lr: CNN.lr });
    const x = tensor(lcgFloats(B * ci * H * W, 1, 1), [B, ci, H, W]);
    const labels = tensor(lcgLabels(B, classes, 3), [B], { dtype: 'int32' });
    return {
      step() {
        opt.zeroGrad();
        const out = model.forward(x);
        const loss = losses.crossEntropy(out, labels);
        loss.backward();
        opt.step();
        loss.dispose(); out.dispose();
      },
      free() { x.dispose(); labels.dispose(); },
    };
  },
};

// The raw kernels of kd-kernels/native (host arrays) and kd-kernels/webgpu (device buffers, one
// encoder submitted per call): no Tensor, no autograd, preallocated outputs. The same loss cases,
// reported as backend '<backend>-raw' next to the public-API rows, so that the API's own cost
// (copying x into a new tensor, autograd, reductions) shows as the difference. No targets apply.
let rawCall = null; // (kernel name, arguments with Float32Array / Int32Array) => void
let toRaw = (a) => a; // the arguments in the raw API's form (host arrays, or GPUBuffers holding them)
const freeRaw = (a) => { for (const v of Object.values(a)) v.destroy?.(); };
const rawMakers = {
  kd([B, C]) {
    const a = toRaw({ student: lcgFloats(B * C, 1), teacher: lcgFloats(B * C, 2), rowLoss: new Float32Array(B), gradStudent: new Float32Array(B * C) });
    return { step() { rawCall('softmaxKL', { ...a, rows: B, cols: C, temperature: TEMPERATURE, studentGradScale: 1 / B }); }, free: () => freeRaw(a) };
  },
  ce([B, C]) {
    const a = toRaw({ logits: lcgFloats(B * C, 1), labels: lcgLabels(B, C, 3), rowLoss: new Float32Array(B), grad: new Float32Array(B * C) });
    return { step() { rawCall('crossEntropy', { ...a, rows: B, cols: C, gradScale: 1 / B }); }, free: () => freeRaw(a) };
  },
  hinton([B, C]) {
    const a = toRaw({
      student: lcgFloats(B * C, 1), teacher: lcgFloats(B * C, 2), labels: lcgLabels(B, C, 3),
      softRow: new Float32Array(B), hardRow: new Float32Array(B), grad: new Float32Array(B * C),
    });
    return {
      step() {
        rawCall('hinton', { ...a, rows: B, cols: C, temperature: TEMPERATURE, softGradScale: ALPHA / B, hardGradScale: (1 - ALPHA) / B });
      },
      free: () => freeRaw(a),
    };
  },
};
if (args.backend === 'native' && !info.error) {
  try {
    const { native } = await import(pathToFileURL(path.join(distDir, 'native.js')).href);
    rawCall = (name, a) => native[name](a);
  } catch (e) {
    log(`no raw kernels: ${e.message}`);
  }
} else if (gpu) {
  const { createKernels } = await import(pathToFileURL(path.join(distDir, 'webgpu.js')).href);
  const device = gpu.device;
  const kernels = createKernels(device);
  toRaw = (a) => Object.fromEntries(Object.entries(a).map(([k, v]) => {
    const buf = device.createBuffer({ size: v.byteLength, usage: 128 | 4 | 8 }); // STORAGE | COPY_SRC | COPY_DST
    device.queue.writeBuffer(buf, 0, v);
    return [k, buf];
  }));
  rawCall = (name, a) => {
    const enc = device.createCommandEncoder();
    kernels[name](enc, a);
    device.queue.submit([enc.finish()]);
  };
}

function median(a) {
  const s = [...a].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// 4. One benchmark.js Suite per case, run one after the other: the inputs are built and one
//    untimed warm-up step is awaited first (pools, shader pipelines, first-touch pages), and they are
//    freed when the case ends, so only one case's working set is alive at a time. A case whose
//    warm-up step took > 250 ms (the cpu reference's CNN, lavapipe's SP) gets fewer samples.
// A backend error that escapes as an uncaught exception (a WebGPU validation error dispatched as an
// event, say) ends this process: report it against the running case and exit 3, and bench/run.js
// starts a new process from the next case (--from).
let current = null;
process.on('uncaughtException', (e) => {
  const msg = String(e?.message ?? e).split('\n').find((l) => l.trim() && !/^validation:?$/i.test(l.trim())) ?? String(e);
  if (current) emit('BENCH_RESULT', { suite: current.suite, size: current.size, backend: current.raw ? `${args.backend}-raw` : args.backend, threads: info.threads, index: current.index, error: `uncaught: ${msg.trim()}` });
  log(`uncaught exception in ${current ? `${current.suite} ${current.size}` : 'setup'}: ${msg.trim()}`);
  process.exit(3);
});

const allCases = caseList(args.suites, args.quick, args.sizes, args.gpu)
  .filter((c) => !(c.read === 'view' && isAsync)) // webgpu has no host view
  .flatMap((c) => (rawCall && rawMakers[c.suite] ? [c, { ...c, raw: true }] : [c])).map((c, index) => ({ ...c, index }));

function report(c, bench) {
  const name = `${c.suite} ${c.size}${c.raw ? ' (raw kernel)' : ''}`;
  const base = { suite: c.suite, size: c.size, backend: c.raw ? `${args.backend}-raw` : args.backend, threads: info.threads, index: c.index };
  if (bench.error) {
    const msg = String(bench.error?.message ?? bench.error).split('\n')[0];
    log(`${name}: ERROR ${msg}`);
    emit('BENCH_RESULT', { ...base, error: msg });
    return;
  }
  const sample = bench.stats.sample.map((x) => x * 1e3);
  const med = median(sample);
  const bytes = effectiveBytes(c);
  const r = {
    ...base,
    median_ms: med,
    mean_ms: bench.stats.mean * 1e3,
    min_ms: Math.min(...sample),
    rme_pct: bench.stats.rme,
    samples: sample.length,
    gbps: bytes ? bytes / (med * 1e-3) / 1e9 : null,
  };
  log(`${name}: ${med.toFixed(4)} ms median (±${bench.stats.rme.toFixed(1)}%, ${sample.length} samples)${r.gbps ? `, ${r.gbps.toFixed(2)} GB/s` : ''}`);
  emit('BENCH_RESULT', r);
}

for (const c of allCases.slice(args.from)) {
  current = c;
  emit('BENCH_START', { index: c.index, total: allCases.length, suite: c.suite, size: c.size, backend: c.raw ? `${args.backend}-raw` : args.backend });
  let state = null;
  let warmMs = 0;
  try {
    state = (c.raw ? rawMakers : makers)[c.suite](c.dims, c.read);
    const t0 = performance.now();
    await state.step();
    await settle();
    warmMs = performance.now() - t0;
  } catch (e) {
    report(c, { error: e });
    try { state?.free(); } catch { /* already broken */ }
    continue;
  }
  const slow = warmMs > 250 ? { minSamples: args.quick ? 2 : 5, maxTime: args.quick ? 0.1 : 1 } : {};
  const fn = isAsync
    ? (deferred) => {
        Promise.resolve(state.step()).then(settle).then(() => deferred.resolve(), (e) => { deferred.benchmark.error = e; deferred.resolve(); });
      }
    : () => state.step();
  const suite = new Benchmark.Suite(`kd-kernels ${args.backend}`);
  suite.add(`${c.suite} ${c.size}${c.raw ? ' (raw kernel)' : ''}`, fn, { ...timing, ...slow, defer: isAsync });
  await new Promise((resolve) => {
    suite.on('complete', resolve);
    suite.run({ async: isAsync });
  });
  report(c, suite[0]);
  state.free();
  state = null;
}
current = null;
if (gpu) releaseWebGPU();
