// bench/gpu.sh helper. Two modes:
//   node bench/gpu_info.js probe [--copy-mib N] [--dist DIR]   -> JSON on stdout: the adapter (info,
//       features, limits) and the device-to-device copy bandwidth through WebGPU (copyBufferToBuffer
//       of N MiB, bytes read + written per second, best of 10 batches of 10 copies).
//   node bench/gpu_info.js report DIR                           -> DIR/results.json and DIR/results.md
//       from DIR/probe.json, DIR/ours.txt (bench/suites.js output), DIR/torch.json, DIR/machine.txt.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { caseList, effectiveBytes } from './cases.js';

const [mode, ...rest] = process.argv.slice(2);
const opt = (k, d) => { const i = rest.indexOf(k); return i >= 0 ? rest[i + 1] : d; };

if (mode === 'probe') {
  const dist = path.resolve(opt('--dist', path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist')));
  const { useWebGPU, releaseWebGPU } = await import(pathToFileURL(path.join(dist, 'index.js')).href);
  const gpu = await useWebGPU();
  const device = gpu.device;
  const ai = device.adapterInfo ?? {};
  const limits = {};
  for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup']) limits[k] = device.limits[k];
  const bytes = Number(opt('--copy-mib', '1024')) * 1024 * 1024;
  const src = device.createBuffer({ size: bytes, usage: 4 | 8 });
  const dst = device.createBuffer({ size: bytes, usage: 4 | 8 });
  let best = Infinity;
  for (let batch = 0; batch < 11; batch++) {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < 10; i++) enc.copyBufferToBuffer(src, 0, dst, 0, bytes);
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    const ms = (performance.now() - t0) / 10;
    if (batch > 0) best = Math.min(best, ms); // batch 0 is the warm-up
  }
  src.destroy();
  dst.destroy();
  const out = {
    adapter: { vendor: ai.vendor, architecture: ai.architecture, device: ai.device, description: ai.description },
    features: [...device.features].sort(), subgroups: gpu.subgroups, limits,
    copy: { bytes, ms: best, gbs: (2 * bytes) / (best * 1e-3) / 1e9 },
    node: process.version,
  };
  releaseWebGPU();
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else if (mode === 'report') {
  const dir = rest[0];
  const read = (f) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), 'utf8') : null);
  const probe = JSON.parse(read('probe.json') ?? '{}');
  const ours = (read('ours.txt') ?? '').split('\n').filter((l) => l.startsWith('BENCH_RESULT ')).map((l) => JSON.parse(l.slice(13)));
  const torch = JSON.parse(read('torch.json') || '{"skipped": "not run"}');
  const copyGbs = probe.copy?.gbs ?? null;
  const rows = new Map(); // `${suite} ${size}` -> { raw, api, eager, compile }
  const key = (r) => `${r.suite} ${r.size}`;
  const cell = (r) => (r.error ? `error: ${r.error}` : r.median_ms);
  for (const r of ours) (rows.get(key(r)) ?? rows.set(key(r), {}).get(key(r)))[r.backend.endsWith('-raw') ? 'raw' : 'api'] = cell(r);
  for (const r of torch.results ?? []) (rows.get(key(r)) ?? rows.set(key(r), {}).get(key(r)))[r.variant] = cell(r);
  const cases = new Map(caseList(['kd', 'ce', 'hinton', 'mlp', 'cnn'], false, null, true).concat(caseList(['kd', 'ce', 'hinton'], true, null, true)).map((c) => [key(c), c]));
  const fmt = (v) => (typeof v === 'number' ? `${v.toFixed(3)} ms` : v ?? '');
  let md = `# GPU benchmark: ${probe.adapter?.description || probe.adapter?.device || 'unknown adapter'}\n\n`;
  md += `Written by bench/gpu.sh on ${new Date().toISOString()}. Machine and driver: machine.txt. `;
  md += `Device-to-device copy (WebGPU copyBufferToBuffer, bytes read + written): ${copyGbs ? `${copyGbs.toFixed(1)} GB/s` : 'not measured'}`;
  md += torch.copy_gbs ? `; PyTorch copy_: ${torch.copy_gbs.toFixed(1)} GB/s.\n\n` : '.\n\n';
  if (torch.skipped) md += `PyTorch: skipped (${torch.skipped}).\n\n`;
  else md += `PyTorch ${torch.info?.torch} (CUDA ${torch.info?.cuda}) on ${torch.info?.device}.\n\n`;
  md += '| case | kd-kernels raw | kd-kernels Tensor API | API / raw | % of copy (raw) | PyTorch eager | torch.compile |\n|---|---|---|---|---|---|---|\n';
  for (const [k, r] of rows) {
    const c = cases.get(k);
    const bytes = c ? effectiveBytes(c) : null;
    const best = typeof r.raw === 'number' ? r.raw : typeof r.api === 'number' ? r.api : null;
    const pct = bytes && best && copyGbs ? `${((bytes / (best * 1e-3) / 1e9 / copyGbs) * 100).toFixed(0)}%` : '';
    const ratio = typeof r.raw === 'number' && typeof r.api === 'number' ? `${(r.api / r.raw).toFixed(2)}x` : '';
    md += `| ${k} | ${fmt(r.raw)} | ${fmt(r.api)} | ${ratio} | ${pct} | ${fmt(r.eager)} | ${fmt(r.compile)} |\n`;
  }
  writeFileSync(path.join(dir, 'results.md'), md);
  writeFileSync(path.join(dir, 'results.json'), `${JSON.stringify({ probe, ours, torch, machine: read('machine.txt') }, null, 1)}\n`);
  process.stdout.write(md);
} else {
  process.stderr.write('usage: node bench/gpu_info.js probe [--copy-mib N] [--dist DIR] | report DIR\n');
  process.exit(2);
}
