// Fused linear + KD (losses.fusedLinearKdLoss, chunked) against the unfused composition
// (linear() for both models -> [N, V] logits -> kdLoss -> backward) on one backend: time of one
// forward + backward and peak memory. Each path runs in its own child process, so its peak RSS
// (process.resourceUsage().maxRSS) is its own; on webgpu the peak of live GPU buffer bytes comes
// from the backend's stats (bytes / peakBytes: its buffers, in use or pooled).
//
//   node bench/fused_linear.js [--backend native|cpu|webgpu] [--n 8192] [--h 1024] [--v 32000]
//                              [--chunk 1024] [--iters 2] [--out bench/results/fused_linear.json]
//
// Both paths: student and teacher hidden [N, H], weights [V, H] (no bias), temperature 2,
// divergence 'jsd' beta 0.5, labels with every 8th token ignored; gradients w.r.t. the student's
// hidden states and weight. Reported time: the best of --iters iterations (the first also warms up).
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const arg = (k, d) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : d;
};
const cfg = {
  backend: arg('backend', 'native'), n: Number(arg('n', 8192)), h: Number(arg('h', 1024)), v: Number(arg('v', 32000)),
  chunk: Number(arg('chunk', 1024)), iters: Number(arg('iters', 2)),
};

if (argv.includes('--child')) {
  await child(arg('path', 'fused'));
} else {
  const results = {};
  for (const p of ['unfused', 'fused']) {
    process.stderr.write(`[fused_linear] ${p} on ${cfg.backend}, N=${cfg.n} H=${cfg.h} V=${cfg.v}\n`);
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...argv, '--child', '--path', p], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20,
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`${p}: the child failed (exit ${r.status})`);
    results[p] = JSON.parse(line.slice(7));
  }
  const u = results.unfused;
  const f = results.fused;
  const out = {
    date: new Date().toISOString(), load: os.loadavg(), cpus: os.cpus().length, config: cfg, info: f.info, results,
    ratio: {
      time: f.ms / u.ms,
      peakRss: f.peakRssMB / u.peakRssMB,
      workingRss: f.workingRssMB / u.workingRssMB,
      ...(u.peakGpuMB ? { peakGpu: f.peakGpuMB / u.peakGpuMB, workingGpu: f.workingGpuMB / u.workingGpuMB } : {}),
    },
  };
  console.log(JSON.stringify(out, null, 2));
  const file = arg('out', null);
  if (file) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  }
}

async function child(which) {
  const kd = await import(pathToFileURL(path.join(here, '..', 'dist', 'index.js')).href);
  const { tensor, losses, linear, noGrad, setBackend, useWebGPU } = kd;
  const info = { backend: cfg.backend };
  let gpu = null;
  if (cfg.backend === 'webgpu') {
    gpu = await useWebGPU();
    info.adapter = gpu.device.adapterInfo?.description ?? gpu.device.adapterInfo?.device ?? null;
  } else setBackend(cfg.backend);
  if (cfg.backend === 'native') {
    const { native } = await import(pathToFileURL(path.join(here, '..', 'dist', 'native.js')).href);
    Object.assign(info, native.info());
  }
  const { n: N, h: H, v: V } = cfg;
  const fill = (len, seed, scale) => {
    const a = new Float32Array(len);
    let x = seed >>> 0;
    for (let i = 0; i < len; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      a[i] = ((x >>> 8) / 16777216 - 0.5) * scale;
    }
    return a;
  };
  const hsData = fill(N * H, 1, 2);
  const htData = fill(N * H, 2, 2);
  const ws = tensor(fill(V * H, 3, 0.1), [V, H], { requiresGrad: true });
  const wt = tensor(fill(V * H, 4, 0.1), [V, H]);
  const ht = tensor(htData, [N, H]);
  const labels = tensor(Int32Array.from({ length: N }, (_, i) => (i % 8 === 7 ? -100 : (i * 31) % V)), [N], { dtype: 'int32' });
  const opts = { temperature: 2, divergence: 'jsd', beta: 0.5 };
  if (gpu) await gpu.read(gpu.zeros(1, 'float32'));
  const baseRss = process.memoryUsage().rss;
  const gpuBase = gpu?.stats.bytes ?? 0;
  let best = Infinity;
  let value = NaN;
  for (let it = 0; it < cfg.iters; it++) {
    const hs = tensor(hsData, [N, H], { requiresGrad: true });
    const t0 = performance.now();
    let loss;
    if (which === 'fused') {
      loss = losses.fusedLinearKdLoss(hs, ws, ht, wt, { ...opts, labels, chunkSize: cfg.chunk });
    } else {
      const zs = linear(hs, ws);
      const zt = noGrad(() => linear(ht, wt));
      loss = losses.kdLoss(zs, zt, { ...opts, labels });
    }
    loss.backward();
    value = (await loss.data())[0];
    await hs.grad.data();
    const ms = performance.now() - t0;
    best = Math.min(best, ms);
    process.stderr.write(`  ${which} iteration ${it + 1}: ${ms.toFixed(0)} ms, loss ${value}\n`);
    hs.grad.dispose();
    hs.dispose();
    ws.zeroGrad();
    loss.dispose();
  }
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  const res = {
    path: which, ms: best, loss: value, info,
    peakRssMB, baseRssMB: baseRss / 2 ** 20, workingRssMB: peakRssMB - baseRss / 2 ** 20,
  };
  if (gpu) {
    res.peakGpuMB = gpu.stats.peakBytes / 2 ** 20;
    res.baseGpuMB = gpuBase / 2 ** 20;
    res.workingGpuMB = res.peakGpuMB - res.baseGpuMB;
  }
  console.log(`RESULT ${JSON.stringify(res)}`);
  process.exit(0);
}
