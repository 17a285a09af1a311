#!/usr/bin/env node
/**
 * Real-browser check of the WebGPU raw layer: serves the compiled dist/ and a tiny page from
 * 127.0.0.1 (node:http, no bundler), opens it in headless Chromium through playwright-core, and in
 * the page runs createKernels(device).softmaxKL and .matmul (from dist/webgpu.js, on
 * navigator.gpu) against float64 JavaScript references, then the Tensor API (dist/index.js:
 * useWebGPU, losses.kdLoss, backward). Prints PASS or FAIL; exit code 0 on PASS, 1 on FAIL,
 * 2 when it cannot run (no dist/, no browser, no playwright-core, no adapter).
 *
 *   npm run build && node test/browser/run.mjs
 *
 * Env: KD_CHROMIUM (default /usr/bin/chromium, Debian's package: `apt-get install -y chromium`;
 * on this CPU-only machine WebGPU runs on SwiftShader), KD_BROWSER_TIMEOUT_MS (default 120000).
 * Needs the devDependency playwright-core (never `npx playwright install`: the system browser is used).
 */
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist');
const executablePath = process.env.KD_CHROMIUM ?? '/usr/bin/chromium';
const timeout = Number(process.env.KD_BROWSER_TIMEOUT_MS ?? 120000);

function cannot(msg) {
  console.log(`SKIP (cannot run): ${msg}`);
  process.exit(2);
}
if (!existsSync(join(dist, 'webgpu.js'))) cannot('dist/webgpu.js is missing: run `npm run build` first');
if (!existsSync(executablePath)) cannot(`no browser at ${executablePath}: apt-get install -y chromium (or set KD_CHROMIUM)`);
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  cannot(`playwright-core is not installed (${e.message.split('\n')[0]})`);
}

// ---- the page ------------------------------------------------------------------------------

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>kd-kernels webgpu browser check</title>
<script type="module">
const out = [];
const log = (s) => { out.push(s); console.log(s); };
async function main() {
  if (!navigator.gpu) throw new Error('navigator.gpu is missing');
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('SKIP: no WebGPU adapter');
  const info = adapter.info ?? {};
  log('adapter: ' + JSON.stringify({ vendor: info.vendor, architecture: info.architecture, description: info.description }));
  const device = await adapter.requestDevice();
  device.addEventListener('uncapturederror', (e) => log('uncaptured error: ' + e.error.message));
  const { createKernels } = await import('/dist/webgpu.js');
  const kernels = createKernels(device);

  // 1. Caller buffers, caller encoder, caller submit.
  const S = 128, D = 8, RW = 1;
  const buffer = (data, extra = 0) => {
    const b = device.createBuffer({ size: Math.max(16, data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extra });
    device.queue.writeBuffer(b, 0, data);
    return b;
  };
  async function read(buf, n) {
    const st = device.createBuffer({ size: Math.max(16, n * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(buf, 0, st, 0, n * 4);
    device.queue.submit([enc.finish()]);
    await st.mapAsync(GPUMapMode.READ);
    const r = new Float32Array(st.getMappedRange().slice(0, n * 4));
    st.unmap();
    st.destroy();
    return r;
  }
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
  const rows = 5, cols = 37, T = 2;
  const s = Float32Array.from({ length: rows * cols }, () => rnd() * 4);
  const t = Float32Array.from({ length: rows * cols }, () => rnd() * 4);
  t[3] = -Infinity; // a masked class: 0 loss and 0 gradient there, never NaN
  const student = buffer(s), teacher = buffer(t);
  const rowLoss = buffer(new Float32Array(rows)), gradStudent = buffer(new Float32Array(rows * cols));
  const enc = device.createCommandEncoder();
  kernels.softmaxKL(enc, { student, teacher, rowLoss, gradStudent, rows, cols, temperature: T, divergence: 'forward-kl', studentGradScale: 1 / rows });
  const m = 33, k = 70, n = 19;
  const A = Float32Array.from({ length: m * k }, rnd), B = Float32Array.from({ length: k * n }, rnd);
  const C = buffer(new Float32Array(m * n));
  kernels.matmul(enc, { a: buffer(A), b: buffer(B), c: C, m, k, n });
  device.queue.submit([enc.finish()]);
  const [gotLoss, gotGrad, gotC] = [await read(rowLoss, rows), await read(gradStudent, rows * cols), await read(C, m * n)];

  // 2. float64 references: per row T^2 KL(p_t || p_s), p = softmax(./T); d/ds = T (p_s - p_t) / rows.
  const softmax = (x) => { const mx = Math.max(...x); const e = x.map((v) => Math.exp(v - mx)); const z = e.reduce((a, b) => a + b, 0); return e.map((v) => v / z); };
  let worst = 0;
  const check = (name, got, want) => {
    const err = Math.abs(got - want) / (1e-6 + Math.abs(want));
    if (!(Math.abs(got - want) <= 1e-4 + 1e-3 * Math.abs(want))) throw new Error(name + ': got ' + got + ', want ' + want);
    worst = Math.max(worst, Math.min(err, Math.abs(got - want)));
  };
  for (let i = 0; i < rows; i++) {
    const ps = softmax(Array.from(s.subarray(i * cols, (i + 1) * cols), (v) => v / T));
    const pt = softmax(Array.from(t.subarray(i * cols, (i + 1) * cols), (v) => v / T));
    let kl = 0;
    for (let j = 0; j < cols; j++) if (pt[j] > 0) kl += pt[j] * (Math.log(pt[j]) - Math.log(ps[j]));
    check('rowLoss[' + i + ']', gotLoss[i], T * T * kl);
    for (let j = 0; j < cols; j++) check('gradStudent[' + i + ',' + j + ']', gotGrad[i * cols + j], (T * (ps[j] - pt[j])) / rows);
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let q = 0; q < k; q++) acc += A[i * k + q] * B[q * n + j];
    check('matmul[' + i + ',' + j + ']', gotC[i * n + j], acc);
  }
  log('raw layer (createKernels on caller buffers): softmaxKL + matmul match float64, worst error ' + worst.toExponential(2));

  // 3. The Tensor API on the same device: useWebGPU({ device }), kdLoss, backward, one readback each.
  console.log('--- tensor api');
  const kd = await import('/dist/index.js');
  await kd.useWebGPU({ device });
  const st = kd.tensor(s, [rows, cols], { requiresGrad: true });
  const loss = kd.losses.kdLoss(st, kd.tensor(t, [rows, cols]), { temperature: T });
  loss.backward();
  const lossV = (await loss.data())[0];
  const g = await st.grad.data();
  let want = 0;
  for (let i = 0; i < rows; i++) want += gotLoss[i] / rows;
  check('kdLoss', lossV, want);
  for (let q = 0; q < rows * cols; q++) check('kdLoss grad[' + q + ']', g[q], gotGrad[q]);
  log('Tensor API (useWebGPU({ device }), losses.kdLoss, backward): matches');
  return 'PASS';
}
main().then((r) => { window.__result = { status: r, log: out }; },
  (e) => { window.__result = { status: String(e.message).startsWith('SKIP') ? 'SKIP' : 'FAIL', error: String(e && e.stack || e), log: out }; });
</script>
`;

// ---- the static server ---------------------------------------------------------------------

const TYPES = { '.js': 'text/javascript', '.map': 'application/json', '.wgsl': 'text/plain' };
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/' || url.pathname === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(PAGE);
  }
  // Only files under dist/ (no ../ escapes).
  const file = normalize(join(root, decodeURIComponent(url.pathname)));
  if (!file.startsWith(dist + sep) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404);
    return res.end('not found');
  }
  const ext = file.slice(file.lastIndexOf('.'));
  res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

// ---- the browser ---------------------------------------------------------------------------

let code = 1;
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--enable-unsafe-webgpu'],
});
try {
  const page = await browser.newPage();
  const requests = [];
  let rawRequests = -1; // requests made before the Tensor API step: the raw layer's
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.text() === '--- tensor api') rawRequests = requests.length; });
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.__result, null, { timeout });
  const r = await page.evaluate(() => window.__result);
  for (const l of r.log) console.log(`  ${l}`);
  // The raw layer must load without Node built-ins; the Tensor API's registry tries the native
  // addon's module (node:*) and falls back, which a browser shows as failed requests (noted only).
  const outside = (list) => list.filter((u) => !u.startsWith(origin));
  const rawOutside = outside(rawRequests >= 0 ? requests.slice(0, rawRequests) : requests);
  const laterOutside = rawRequests >= 0 ? outside(requests.slice(rawRequests)) : [];
  if (laterOutside.length) console.log(`  note: dist/index.js asked for ${laterOutside.join(', ')} (the native backend's loader; caught, falls back)`);
  if (rawOutside.length) {
    console.log(`FAIL: the raw layer (dist/webgpu.js) requested ${rawOutside.join(', ')}: it must not need Node built-ins`);
  } else if (r.status === 'PASS') {
    console.log(`PASS: kd-kernels WebGPU in Chromium ${await browser.version()} (raw layer: ${rawRequests} requests, all from dist/)`);
    code = 0;
  } else if (r.status === 'SKIP') {
    console.log(`SKIP (cannot run): ${r.error}`);
    code = 2;
  } else {
    console.log(`FAIL: ${r.error}`);
  }
} catch (e) {
  console.log(`FAIL: ${e.message}`);
} finally {
  await browser.close();
  server.close();
}
process.exit(code);
