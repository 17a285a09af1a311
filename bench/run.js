#!/usr/bin/env node
// kd-kernels benchmark driver (`npm run bench`). See bench/README.md.
//
//   node bench/run.js [--quick] [--suite kd|ce|hinton|sp|mlp|cnn|grad-read|all[,...]] [--sizes 256x10,...]
//                     [--rounds 3] [--backends cpu,native,webgpu] [--threads 1,2] [--no-peers]
//                     [--no-triad] [--out DIR]
//
// 1. machine: CPU model, cores, L3, native.info() (ISA, threads) or why the addon did not load
// 2-4. --rounds rounds (default 3), each: the STREAM-style triad (bench/triad.c, cc -O3 -march=native
//    -fopenmp; 1 and 2 threads), then per suite fresh processes of our suites (bench/suites.js, one
//    per backend x thread count) and of the peers (PyTorch CPU, Debian python3-torch, 1 and 2 threads,
//    GEMM-bound cases again with OpenBLAS forced; @tensorflow/tfjs-backend-wasm), the side that goes
//    first alternating by round. Each side keeps its best median (the triad: its best bandwidth).
// 5. bench/results/results.csv, results.md (one table + header), raw.json
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { caseList, SUITES, TEMPERATURE, ALPHA, MLP, CNN } from './cases.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

// ---- arguments ----
function parseArgs(argv) {
  const a = { quick: false, suites: [...SUITES], sizes: null, rounds: 3, backends: ['cpu', 'native', 'webgpu'], threads: [1, 2], peers: true, triad: true, out: path.join(here, 'results') };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${k} needs a value`);
      return v;
    };
    if (k === '--quick') a.quick = true;
    else if (k === '--suite' || k === '--suites') {
      const v = val();
      a.suites = v === 'all' ? [...SUITES] : v.split(',');
      for (const s of a.suites) if (!SUITES.includes(s)) throw new Error(`unknown suite ${s} (one of ${SUITES.join('|')}|all)`);
    } else if (k === '--sizes') a.sizes = val().split(',');
    else if (k === '--rounds') {
      a.rounds = Number(val());
      if (!Number.isInteger(a.rounds) || a.rounds < 1) throw new Error('--rounds must be a positive integer');
    } else if (k === '--backends' || k === '--backend') a.backends = val().split(',');
    else if (k === '--threads') a.threads = val().split(',').map(Number);
    else if (k === '--no-peers') a.peers = false;
    else if (k === '--no-triad') a.triad = false;
    else if (k === '--out') { a.out = path.resolve(val()); a.outGiven = true; }
    else if (k === '--help' || k === '-h') {
      const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
      console.log(lines.slice(1, lines.findIndex((l) => l.startsWith('import'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  // a quick (smoke) run does not overwrite the committed full results
  if (a.quick && !a.outGiven) a.out = path.join(here, 'results', 'quick');
  return a;
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`bench: ${e.message}`);
  process.exit(2);
}

const distDir = path.join(root, 'dist');
if (!existsSync(path.join(distDir, 'index.js'))) {
  console.error('bench: dist/ is missing: run `npm run build` first (the benchmarks time the built package).');
  process.exit(1);
}

const log = (m) => process.stderr.write(`bench: ${m}\n`);
const cases = caseList(args.suites, args.quick, args.sizes);
if (!cases.length) {
  console.error('bench: no case matches --suite / --sizes');
  process.exit(2);
}

// ---- 1. machine ----
function cpuModel() {
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (m) return m[1].trim();
  } catch { /* not linux */ }
  return os.cpus()[0]?.model ?? 'unknown';
}
function l3Bytes() {
  try {
    const s = readFileSync('/sys/devices/system/cpu/cpu0/cache/index3/size', 'utf8').trim();
    const m = s.match(/^(\d+)([KMG]?)/);
    return Number(m[1]) * { '': 1, K: 1024, M: 1 << 20, G: 1 << 30 }[m[2]];
  } catch {
    return null;
  }
}
function cpuFlags() {
  try {
    const f = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:\s*(.+)$/m)?.[1].split(/\s+/) ?? [];
    return ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl'].filter((x) => f.includes(x));
  } catch {
    return [];
  }
}
function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: ['pipe', 'pipe', 'inherit'], maxBuffer: 256 << 20, encoding: 'utf8', ...opts });
  return r;
}

const machine = {
  date: new Date().toISOString(),
  cpu: cpuModel(),
  cores: os.cpus().length,
  l3: l3Bytes(),
  flags: cpuFlags(),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  native: null,
  torch: null,
  torchBlas: null,
  tfjs: null,
};
{
  const kd = await import(pathToFileURL(path.join(distDir, 'index.js')).href);
  const err = kd.nativeLoadError();
  if (err) machine.native = { error: err.message.split('\n')[0] };
  else {
    try {
      const { native } = await import(pathToFileURL(path.join(distDir, 'native.js')).href);
      machine.native = native.info();
    } catch (e) {
      machine.native = { error: `dist/native.js: ${e.message.split('\n')[0]}` };
    }
  }
}
log(`${machine.cpu}, ${machine.cores} cores, L3 ${machine.l3 ? machine.l3 / (1 << 20) + ' MiB' : '?'}, node ${machine.node}, native: ${JSON.stringify(machine.native)}`);

// ---- 2-4. rounds: the triad, our suites and the peers, interleaved ----
// Each round measures the triad, then, suite by suite, runs fresh processes of ours (one per backend x
// thread count; the native addon reads KD_NUM_THREADS once, at load) and of the peers (PyTorch per
// variant x thread count, tfjs), alternating which side goes first from one round to the next. Each
// side keeps its best (lowest) median over the rounds (the triad: its best bandwidth), so a slow phase
// of a shared machine costs both sides alike instead of one.
const triad = {};
const triadRuns = [];
const ours = [];
const backendInfo = [];
const torchRuns = []; // { variant, threads, info, results }
let tfjsRun = null;

/** Keeps, per key, the result with the lowest median (an error only while nothing better exists). */
function keepBest(list, res, same) {
  const i = list.findIndex(same);
  const medians = [...(i >= 0 ? list[i].round_medians_ms : []), res.error ? null : res.median_ms];
  if (i < 0) list.push({ ...res, round_medians_ms: medians });
  else if (!res.error && (list[i].error || res.median_ms < list[i].median_ms)) list[i] = { ...res, round_medians_ms: medians };
  else list[i].round_medians_ms = medians;
}

let triadExe = null;
let triadDir = null;
if (args.triad) {
  triadDir = mkdtempSync(path.join(os.tmpdir(), 'kd-triad-'));
  triadExe = path.join(triadDir, 'triad');
  const cc = run('cc', ['-O3', '-march=native', '-fopenmp', path.join(here, 'triad.c'), '-o', triadExe]);
  if (cc.status !== 0) {
    log(`triad: cc failed (${cc.error?.message ?? cc.status}); no bandwidth baseline`);
    triadExe = null;
  }
}
function measureTriad(round) {
  if (!triadExe) return;
  const mib = Math.max(64, machine.l3 ? Math.ceil((4 * machine.l3) / (1 << 20)) : 64);
  for (const t of [1, 2]) {
    const r = run(triadExe, [String(mib), args.quick ? '5' : '20'], { env: { ...process.env, OMP_NUM_THREADS: String(t), OMP_PROC_BIND: 'spread' } });
    try {
      const res = JSON.parse(r.stdout.trim());
      triadRuns.push({ round, threads: t, ...res });
      if (!triad[t] || res.best_gbps > triad[t].best_gbps) triad[t] = res;
      log(`round ${round}: triad ${t} thread(s): best ${res.best_gbps} GB/s (median ${res.median_gbps})`);
    } catch {
      log(`triad ${t}: no result (${r.stdout})`);
    }
  }
}

const unavailable = new Map(); // backend -> why it did not load
/** Our cases of one suite on one backend x thread count, in fresh child processes. */
function runOurs(backend, t, suite) {
  const env = { ...process.env };
  if (t !== null) env.KD_NUM_THREADS = String(t);
  const sizes = args.sizes ? ['--sizes', args.sizes.join(',')] : [];
  let from = 0;
  for (let attempt = 0; attempt < 2 * cases.length + 1; attempt++) {
    // a hung backend (a GPU wait that never returns) is killed and counted as a crash of the case it was in
    const r = run(process.execPath, [path.join(here, 'suites.js'), '--backend', backend, '--suites', suite, ...sizes, '--from', String(from), ...(args.quick ? ['--quick'] : [])], { env, timeout: (args.quick ? 10 : 30) * 60e3, killSignal: 'SIGKILL' });
    let info = null;
    let lastStarted = from - 1;
    let started = null;
    for (const line of (r.stdout ?? '').split('\n')) {
      if (line.startsWith('BENCH_INFO ')) {
        info = JSON.parse(line.slice(11));
        if (!backendInfo.some((b) => b.backend === info.backend && b.requestedThreads === t)) backendInfo.push({ ...info, requestedThreads: t });
      } else if (line.startsWith('BENCH_START ')) {
        started = JSON.parse(line.slice(12));
        lastStarted = started.index;
      } else if (line.startsWith('BENCH_RESULT ')) {
        const res = JSON.parse(line.slice(13));
        res.threads = t ?? res.threads;
        res.note = info?.note ?? null;
        keepBest(ours, res, (x) => x.backend === res.backend && x.threads === res.threads && x.suite === res.suite && x.size === res.size);
      }
    }
    if (info?.error) {
      unavailable.set(backend, info.error);
      log(`skipped ${backend}: ${info.error}`);
      return;
    }
    if (r.status !== 0 && lastStarted >= from) {
      // an uncaught backend error (exit 3) or a crash ended the child in a case: note it, go on
      // from the next case
      const c = started;
      keepBest(ours, { suite: c.suite, size: c.size, backend: c.backend, threads: t ?? 1, index: lastStarted, error: `child process died (${r.signal ?? `exit ${r.status}`})`, note: info?.note ?? null },
        (x) => x.backend === c.backend && x.threads === (t ?? 1) && x.suite === c.suite && x.size === c.size);
      log(`${backend}: ${c.suite} ${c.size} ended its process (${r.signal ?? `exit ${r.status}`})`);
      if (lastStarted + 1 < c.total) {
        from = lastStarted + 1;
        continue;
      }
      return;
    }
    if (r.status !== 0) log(`${backend} child exited with ${r.status ?? r.signal}`);
    return;
  }
}

const spec = { quick: args.quick, temperature: TEMPERATURE, alpha: ALPHA, mlp: MLP, cnn: CNN };
const py = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const openblasDir = ['/usr/lib/x86_64-linux-gnu/openblas-pthread', '/usr/lib/aarch64-linux-gnu/openblas-pthread'].find((d) => existsSync(d));
const isGemm = (s) => ['sp', 'mlp', 'cnn'].includes(s);
if (args.peers && !openblasDir && cases.some((c) => isGemm(c.suite))) log('no Debian OpenBLAS directory found: no OpenBLAS variant of the PyTorch peer');
/** The peers on one suite's cases, each in a fresh process. */
function runPeers(suite) {
  if (!['kd', 'ce', 'hinton', 'sp', 'mlp', 'cnn'].includes(suite)) return; // no peer writes grad-read
  const suiteCases = cases.filter((c) => c.suite === suite);
  const variants = [{ variant: 'default', ld: null }];
  if (isGemm(suite) && openblasDir) variants.push({ variant: 'openblas', ld: openblasDir });
  for (const v of variants) {
    for (const t of [1, 2]) {
      const env = { ...process.env, OMP_NUM_THREADS: String(t), OPENBLAS_NUM_THREADS: String(t), MKL_NUM_THREADS: String(t) };
      if (v.ld) env.LD_LIBRARY_PATH = v.ld + (process.env.LD_LIBRARY_PATH ? `:${process.env.LD_LIBRARY_PATH}` : '');
      const r = run(py, [path.join(here, 'peers', 'torch_peer.py')], { env, input: JSON.stringify({ ...spec, cases: suiteCases, threads: t, variant: v.variant }) });
      let out;
      try {
        out = JSON.parse(r.stdout.trim().split('\n').pop());
      } catch {
        log(`PyTorch peer (${v.variant}, ${t}t, ${suite}) gave no result (exit ${r.status}); is python3-torch installed?`);
        continue;
      }
      let entry = torchRuns.find((x) => x.variant === v.variant && x.threads === t);
      if (!entry) torchRuns.push((entry = { variant: v.variant, threads: t, info: out.info, results: [] }));
      for (const res of out.results) keepBest(entry.results, res, (x) => x.suite === res.suite && x.size === res.size);
      machine.torch = out.info.torch;
      if (v.variant === 'default' && t === 1) machine.torchBlas = out.info.blas_libs_loaded;
      if (v.variant === 'openblas' && t === 1) machine.torchBlasForced = out.info.blas_libs_loaded;
    }
  }
  if (['kd', 'ce', 'hinton'].includes(suite) && suiteCases.length) {
    const r = run(process.execPath, [path.join(here, 'peers', 'tfjs_peer.js')], { input: JSON.stringify({ ...spec, cases: suiteCases }) });
    let out;
    try {
      out = JSON.parse(r.stdout.trim().split('\n').pop());
    } catch {
      log(`tfjs peer (${suite}) gave no result (exit ${r.status})`);
      return;
    }
    if (!tfjsRun) tfjsRun = { info: out.info, results: [] };
    for (const res of out.results) keepBest(tfjsRun.results, res, (x) => x.suite === res.suite && x.size === res.size);
    machine.tfjs = `${out.info.tfjsBackendWasm} (simd ${out.info.simd}, 1 thread)`;
  }
}

const suitesRun = args.suites.filter((s) => cases.some((c) => c.suite === s));
for (let round = 1; round <= args.rounds; round++) {
  measureTriad(round);
  for (const suite of suitesRun) {
    const oursSide = () => {
      for (const backend of args.backends) {
        for (const t of backend === 'native' ? args.threads : [null]) {
          if (unavailable.has(backend)) break; // the addon did not load at one thread count: it will not at another
          log(`round ${round}: ${suite} on ${backend}${t !== null ? `, KD_NUM_THREADS=${t}` : ''}`);
          runOurs(backend, t, suite);
        }
      }
    };
    const peersSide = () => {
      if (!args.peers) return;
      log(`round ${round}: ${suite} on the peers`);
      runPeers(suite);
    };
    if (round % 2) {
      oursSide();
      peersSide();
    } else {
      peersSide();
      oursSide();
    }
  }
}
if (triadDir) rmSync(triadDir, { recursive: true, force: true });

// ---- 5. table ----
const key = (suite, size) => `${suite}|${size}`;
function peerMs(variant, threads, suite, size) {
  const run = torchRuns.find((r) => r.variant === variant && r.threads === threads);
  const res = run?.results.find((x) => x.suite === suite && x.size === size);
  return res && !res.error ? res.median_ms : null;
}
function torchMs(threads, suite, size) {
  // GEMM-bound cases: compare against PyTorch with OpenBLAS forced; the rest: Debian's default.
  return (isGemm(suite) ? peerMs('openblas', threads, suite, size) : null) ?? peerMs('default', threads, suite, size);
}
function tfjsMs(suite, size) {
  const res = tfjsRun?.results.find((x) => x.suite === suite && x.size === size);
  return res && !res.error ? res.median_ms : null;
}
function oursMs(backend, threads, suite, size) {
  const r = ours.find((x) => x.backend === backend && x.threads === threads && x.suite === suite && x.size === size && !x.error);
  return r ? r.median_ms : null;
}

/**
 * The targets for a row: [{ text, met: boolean|null, got }]. Native backend only.
 * Speed against the peers (kd >= 10x PyTorch at C >= 1000 and >= 8x at 256x10, hinton >= 12x, ce >= 5x,
 * >= 50x tfjs-wasm; sp, mlp and cnn >= PyTorch) and against memory (1 thread, % of the triad: kd >= 80%
 * at 4096x1000, 256x32000, 64x128000; hinton >= 70% and ce >= 80% at C >= 1000).
 */
const TRIAD_TARGET = { kd: 80, hinton: 70, ce: 80 };
const KD_TRIAD_SIZES = ['4096x1000', '256x32000', '64x128000'];
function targets(r) {
  if (r.backend !== 'native' || r.error) return [];
  const out = [];
  const t1 = torchMs(1, r.suite, r.size);
  const tf = tfjsMs(r.suite, r.size);
  const speed = (ref) => (ref != null ? ref / r.median_ms : null);
  const add = (text, got, min, fmt) => out.push({ text, met: got == null ? null : got >= min, got: got == null ? 'n/a' : fmt(got) });
  const x = (v) => `${v.toFixed(1)}x`;
  if (r.threads === 1) {
    const wide = Number(r.size.split('x')[1]) >= 1000;
    if (r.suite === 'kd') {
      if (wide) add('>=10x PyTorch 1t', speed(t1), 10, x);
      if (r.size === '256x10') add('>=8x PyTorch 1t', speed(t1), 8, x);
    }
    if (r.suite === 'hinton') add('>=12x PyTorch 1t', speed(t1), 12, x);
    if (r.suite === 'ce') add('>=5x PyTorch 1t', speed(t1), 5, x);
    const pctTarget = TRIAD_TARGET[r.suite];
    if (pctTarget && (r.suite === 'kd' ? KD_TRIAD_SIZES.includes(r.size) : wide)) {
      const pct = triad[1] && r.gbps ? (100 * r.gbps) / triad[1].best_gbps : null;
      add(`>=${pctTarget}% triad 1t`, pct, pctTarget, (v) => `${v.toFixed(0)}%`);
    }
    if (['kd', 'ce', 'hinton'].includes(r.suite)) add('>=50x tfjs-wasm', speed(tf), 50, x);
    if (isGemm(r.suite)) add('>=1x PyTorch+OpenBLAS 1t', speed(t1), 1, x);
  }
  if (r.threads === 2 && r.suite === 'kd' && r.size === '4096x1000') {
    const one = oursMs('native', 1, r.suite, r.size);
    add('2t >=1.6x 1t', one != null ? one / r.median_ms : null, 1.6, x);
  }
  return out;
}

const fmtMs = (v) => (v == null ? '' : v >= 100 ? v.toFixed(1) : v >= 1 ? v.toFixed(3) : v.toFixed(4));
const fmtX = (v) => (v == null ? '' : `${v.toFixed(2)}x`);
const rows = [];
for (const c of cases) {
  for (const r of ours.filter((x) => x.suite === c.suite && x.size === c.size)) {
    const t1 = torchMs(1, c.suite, c.size);
    const t2 = torchMs(2, c.suite, c.size);
    const tf = tfjsMs(c.suite, c.size);
    const tri = r.backend === 'webgpu' ? null : triad[r.threads ?? 1] ?? null;
    const tg = targets(r);
    rows.push({
      case: c.suite,
      size: c.size,
      backend: r.backend + (r.note && r.backend === 'webgpu' ? ' (software adapter: CPU)' : ''),
      threads: r.backend === 'webgpu' ? 'gpu' : r.threads ?? 1,
      ours_ms: r.error ? `error: ${r.error}` : fmtMs(r.median_ms),
      rme_pct: r.error ? '' : r.rme_pct.toFixed(1),
      gbps: r.gbps != null ? (r.gbps < 1 ? r.gbps.toPrecision(2) : r.gbps.toFixed(2)) : '',
      pct_triad: r.gbps != null && tri ? ((100 * r.gbps) / tri.best_gbps).toFixed((100 * r.gbps) / tri.best_gbps < 10 ? 1 : 0) : '',
      torch1_ms: fmtMs(t1),
      ratio_torch1: !r.error && t1 != null ? fmtX(t1 / r.median_ms) : '',
      torch2_ms: fmtMs(t2),
      ratio_torch2: !r.error && t2 != null ? fmtX(t2 / r.median_ms) : '',
      tfjs_ms: fmtMs(tf),
      ratio_tfjs: !r.error && tf != null ? fmtX(tf / r.median_ms) : '',
      target: r.backend === 'cpu' ? '(reference backend: no target)' : r.backend === 'native-raw' ? '(raw kernel, no Tensor API: no target)' : tg.map((g) => g.text).join('; '),
      met: tg.map((g) => `${g.met == null ? '?' : g.met ? 'yes' : 'NO'} (${g.got})`).join('; '),
    });
  }
}
// Peer-only rows (so the peers' numbers are in the table even when no backend of ours ran a case).
for (const c of cases) {
  if (rows.some((r) => r.case === c.suite && r.size === c.size)) continue;
  const t1 = torchMs(1, c.suite, c.size);
  if (t1 == null && tfjsMs(c.suite, c.size) == null) continue;
  rows.push({ case: c.suite, size: c.size, backend: '(none of ours ran)', threads: '', ours_ms: '', rme_pct: '', gbps: '', pct_triad: '', torch1_ms: fmtMs(t1), ratio_torch1: '', torch2_ms: fmtMs(torchMs(2, c.suite, c.size)), ratio_torch2: '', tfjs_ms: fmtMs(tfjsMs(c.suite, c.size)), ratio_tfjs: '', target: '', met: '' });
}

const COLS = [
  ['case', 'case'], ['size', 'size'], ['backend', 'backend'], ['threads', 'threads'], ['ours_ms', 'ours ms'], ['rme_pct', '±%'],
  ['gbps', 'GB/s'], ['pct_triad', '% of triad'], ['torch1_ms', 'PyTorch 1t ms'], ['ratio_torch1', 'ratio'], ['torch2_ms', 'PyTorch 2t ms'],
  ['ratio_torch2', 'ratio 2t'], ['tfjs_ms', 'tfjs-wasm ms'], ['ratio_tfjs', 'ratio'], ['target', 'target'], ['met', 'met?'],
];

mkdirSync(args.out, { recursive: true });
const csvCell = (v) => {
  const s = String(v ?? '');
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
writeFileSync(path.join(args.out, 'results.csv'), [COLS.map(([k]) => k).join(','), ...rows.map((r) => COLS.map(([k]) => csvCell(r[k])).join(','))].join('\n') + '\n');

const nativeLine = machine.native?.error
  ? `native addon: not loaded (${machine.native.error})`
  : `native addon: ISA ${machine.native?.isa}, ${machine.native?.threads} thread(s) in this process${machine.native?.isasSupported ? `, supported: ${[].concat(machine.native.isasSupported).join(', ')}` : ''}`;
const webgpuInfo = backendInfo.find((b) => b.backend === 'webgpu');
const md = [];
md.push(`# kd-kernels benchmarks${args.quick ? ' (quick run: fewer sizes and samples, not for the record)' : ''}`, '');
md.push(`- date: ${machine.date}`);
md.push(`- machine: ${machine.cpu}, ${machine.cores} cores, L3 ${machine.l3 ? `${machine.l3 / (1 << 20)} MiB` : '?'}, ISA flags ${machine.flags.join(' ')}; load average at start ${machine.loadavg}`);
md.push(`- ${nativeLine}`);
for (const b of backendInfo) {
  if (b.backend === 'native' && !b.error) md.push(`  - native child with KD_NUM_THREADS=${b.requestedThreads}: ISA ${b.isa ?? '?'}, threads ${b.threads ?? '?'}${b.note ? ` (${b.note})` : ''}`);
}
md.push(`- webgpu: ${webgpuInfo ? (webgpuInfo.error ?? `adapter ${JSON.stringify(webgpuInfo.adapter)}${webgpuInfo.note ? `; ${webgpuInfo.note}` : ''}`) : 'not run'}`);
md.push(`- node ${machine.node} (${machine.platform}); PyTorch ${machine.torch ?? 'not run'}${machine.torchBlas ? `, BLAS loaded by default: ${machine.torchBlas.filter((l) => /blas/.test(l)).join(', ')}` : ''}; tfjs-backend-wasm ${machine.tfjs ?? 'not run'}`);
if (triad[1]) md.push(`- STREAM triad (double, 3 x 8 bytes/element, ${triad[1].mib_per_array} MiB/array, best of ${triad[1].reps}): 1 thread ${triad[1].best_gbps} GB/s, 2 threads ${triad[2]?.best_gbps ?? '?'} GB/s`);
md.push(`- ${args.rounds} round(s), ours and the peers interleaved (fresh processes, suite by suite, alternating which side goes first); each figure is that side's best median over the rounds (raw.json: round_medians_ms), the triad its best bandwidth.`);
md.push(`- timings: median ms per forward+backward (or training step) over benchmark.js samples (ours) / perf_counter samples (PyTorch) / performance.now samples (tfjs); ±% is benchmark.js's relative margin of error. ratio = peer ms / ours ms (> 1: ours is faster). GEMM-bound cases (sp, mlp, cnn) compare against PyTorch with OpenBLAS forced through LD_LIBRARY_PATH.`);
md.push(`- GB/s = effective bandwidth: kd/hinton 3 x B x C x 4 bytes, ce 2 x B x C x 4 bytes, per median time; % of triad against the triad at the same thread count. Small sizes (256x10, 4096x10) fit in cache: their GB/s are warm-cache figures.`);
md.push(`- targets are checked on the native backend only; the cpu backend is the readable TypeScript reference. Shared or loaded machines give noisy figures: re-run on a quiet machine before quoting.`);
md.push('');
md.push(`| ${COLS.map(([, h]) => h).join(' | ')} |`);
md.push(`|${COLS.map(() => '---').join('|')}|`);
for (const r of rows) md.push(`| ${COLS.map(([k]) => String(r[k] ?? '').replace(/\|/g, '\\|')).join(' | ')} |`);
md.push('');
const failed = [...ours.filter((r) => r.error).map((r) => `ours ${r.backend} ${r.suite} ${r.size}: ${r.error}`),
  ...torchRuns.flatMap((t) => t.results.filter((r) => r.error).map((r) => `PyTorch ${t.variant} ${t.threads}t ${r.suite} ${r.size}: ${r.error}`)),
  ...(tfjsRun?.results.filter((r) => r.error).map((r) => `tfjs-wasm ${r.suite} ${r.size}: ${r.error}`) ?? []),
  ...backendInfo.filter((b) => b.error).map((b) => `${b.backend}: ${b.error}`)];
if (failed.length) md.push('Not measured:', '', ...failed.map((f) => `- ${f}`), '');
writeFileSync(path.join(args.out, 'results.md'), md.join('\n'));
writeFileSync(path.join(args.out, 'raw.json'), JSON.stringify({ args, machine, triad, triadRuns, backendInfo, ours, torch: torchRuns, tfjs: tfjsRun }, null, 1) + '\n');
log(`wrote ${path.relative(root, path.join(args.out, 'results.md'))}, results.csv, raw.json`);
process.stdout.write(md.join('\n') + '\n');
