/**
 * What a run leaves behind: the table on stdout, report.json, one model file per network
 * (JSON: arch, input shape, parameter count, state dict with base64 little-endian float32, or int8
 * weights with their scales for a compressed student: src/cli/compress.ts) and
 * accuracy.svg (validation accuracy of every run against the training images it had seen, a
 * hand-written SVG polyline chart).
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Built } from './models.js';
import { MAX_MODEL_PARAMETERS, buildModel, checkArch, describeArch, type Arch } from './models.js';
import { CompressedLinear, type Int8Entry, checkPrunedZeros, int8Entries, readInt8Entry } from './compress.js';

export interface RunRecord {
  name: string;
  seed: number;
  arch: string;
  params: number;
  testAccuracy: number;
  validationAccuracy: number;
  trainSeconds: number;
  epochs: number;
  bestEpoch: number;
  inferenceMsPer1000: number;
  /** Model size in bytes: 4 per float32 parameter; a compressed student as src/cli/compress.ts counts it. */
  sizeBytes: number;
  /** (accuracy - student) / (teacher - student), for distilled and control; null elsewhere. */
  gapClosed: number | null;
  validationHistory: number[];
  /** Training images processed when each validationHistory entry was measured (end of each epoch). */
  imagesSeen: number[];
  file: string;
  [extra: string]: unknown;
}

// ---- model files -------------------------------------------------------------------------------

export const MODEL_FORMAT = 'kd-kernels-model';

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: 1;
  arch: Arch;
  description: string;
  inputShape: number[];
  classes: number;
  params: number;
  meta: Record<string, unknown>;
  stateDict: Record<string, { shape: number[]; dtype: 'float32'; data: string } | Int8Entry>;
}

function f32ToBase64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

/** The base64 text of `n` float32 (padded, as saveModel writes it) has this many characters. */
const base64Chars = (n: number) => 4 * Math.ceil((4 * n) / 3);

/** Decode a parameter whose length was checked; a non-finite weight is refused with one line. */
function base64ToF32(s: string, name: string, n: number): Float32Array {
  const b = Buffer.from(s, 'base64');
  if (b.length !== 4 * n) throw new Error(`parameter ${name} is not valid base64 (${b.length} bytes decoded, ${4 * n} expected)`);
  const out = new Float32Array(n);
  new Uint8Array(out.buffer).set(b);
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`parameter ${name} holds a non-finite weight (${out[bad]} at index ${bad})`);
  return out;
}

/** Largest model file read: the base64 of MAX_MODEL_PARAMETERS float32, plus 1 MiB of JSON around it. */
export const MAX_MODEL_FILE_BYTES = base64Chars(MAX_MODEL_PARAMETERS) + 2 ** 20;

export async function saveModel(path: string, built: Built, meta: Record<string, unknown>): Promise<void> {
  const sd = await built.model.stateDictAsync();
  const int8 = int8Entries(built.model);
  const file: ModelFile = {
    format: MODEL_FORMAT,
    version: 1,
    arch: built.arch,
    description: describeArch(built.arch),
    inputShape: built.inputShape,
    classes: 10,
    params: built.model.numParameters(),
    meta,
    stateDict: Object.fromEntries(
      Object.entries(sd).map(([k, v]) => [k, int8[k] ?? { shape: v.shape, dtype: 'float32' as const, data: f32ToBase64(v.data) }]),
    ),
  };
  await writeFile(path, JSON.stringify(file));
}

/** Read a model file and rebuild the network; every problem is one-line Error naming the file. */
export function loadModel(path: string): { built: Built; file: ModelFile } {
  let text: string;
  try {
    const bytes = statSync(path).size;
    if (bytes > MAX_MODEL_FILE_BYTES) throw new Error(`${bytes} bytes, more than the ${MAX_MODEL_FILE_BYTES} bytes of the largest model`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(`model file ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let file: ModelFile;
  try {
    file = JSON.parse(text) as ModelFile;
  } catch {
    throw new Error(`model file ${path}: not JSON (expected a model file written by kd-kernels distill)`);
  }
  if (!file || file.format !== MODEL_FORMAT || typeof file.stateDict !== 'object' || file.stateDict === null) {
    throw new Error(`model file ${path}: not a kd-kernels model file (format '${MODEL_FORMAT}' expected)`);
  }
  let arch: Arch;
  try {
    arch = checkArch(file.arch); // size capped before the network is built
  } catch (e) {
    throw new Error(`model file ${path}: ${(e as Error).message}`);
  }
  try {
    const built = buildModel(arch);
    // Names, shapes, dtypes and base64 lengths are checked before any weight is decoded. The weights
    // of a compressed int8 student are int8 (with their scales), everything else float32.
    const named = built.model.namedParameters();
    const spec = arch.kind === 'mlp' ? arch.compress : undefined;
    const int8Names = new Set(spec?.int8 ? named.filter(([k]) => k.endsWith('.weight')).map(([k]) => k) : []);
    for (const [k, p] of named) {
      const v = file.stateDict[k];
      if (!v) throw new Error(`missing parameter ${k}`);
      if (!Array.isArray(v.shape) || v.shape.length !== p.shape.length || v.shape.some((d, i) => d !== p.shape[i])) {
        throw new Error(`parameter ${k} must have shape [${p.shape.join(', ')}], got ${JSON.stringify(v.shape)}`);
      }
      const dtype = int8Names.has(k) ? 'int8' : 'float32';
      if ((v.dtype ?? 'float32') !== dtype) throw new Error(`parameter ${k} must have dtype '${dtype}', got ${JSON.stringify(v.dtype)}`);
      if (dtype === 'float32' && (typeof v.data !== 'string' || v.data.length !== base64Chars(p.size))) {
        throw new Error(`parameter ${k} must be ${base64Chars(p.size)} base64 characters (${p.size} float32), got ${typeof v.data === 'string' ? v.data.length : typeof v.data}`);
      }
    }
    const unexpected = Object.keys(file.stateDict).filter((k) => !named.some(([n]) => n === k));
    if (unexpected.length) throw new Error(`unexpected parameters ${unexpected.join(', ')}`);
    const sd: Record<string, { shape: number[]; data: Float32Array }> = {};
    const scales = new Map<string, { weight: number; input: number }>();
    for (const [k, p] of named) {
      if (int8Names.has(k)) {
        const r = readInt8Entry(file.stateDict[k] as Partial<Int8Entry>, k, p.size, spec!);
        sd[k] = { shape: [...p.shape], data: r.weights };
        scales.set(k, r.scales);
      } else {
        sd[k] = { shape: [...p.shape], data: base64ToF32(file.stateDict[k].data, k, p.size) };
        if (spec && k.endsWith('.weight')) checkPrunedZeros(sd[k].data, k, spec);
      }
    }
    built.model.loadStateDict(sd);
    built.model.layers.forEach((l, i) => {
      if (l instanceof CompressedLinear) l.fixedScales = scales.get(`${i}.weight`) ?? null;
    });
    built.model.eval();
    return { built, file };
  } catch (e) {
    throw new Error(`model file ${path}: ${(e as Error).message} (architecture ${describeArch(arch)})`);
  }
}

// ---- table -------------------------------------------------------------------------------------

export interface Summary {
  name: string;
  arch: string;
  params: number;
  sizeBytes: number;
  test: number[];
  trainSeconds: number[];
  inferenceMs: number[];
  gapClosed: (number | null)[];
}

export function meanStd(xs: number[]): { mean: number; std: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}

export function summarise(runs: RunRecord[]): Summary[] {
  const order: string[] = [];
  const by = new Map<string, RunRecord[]>();
  for (const r of runs) {
    if (!by.has(r.name)) {
      by.set(r.name, []);
      order.push(r.name);
    }
    by.get(r.name)!.push(r);
  }
  return order.map((name) => {
    const rs = by.get(name)!;
    return {
      name,
      arch: rs[0].arch,
      params: rs[0].params,
      sizeBytes: rs[0].sizeBytes,
      test: rs.map((r) => r.testAccuracy),
      trainSeconds: rs.map((r) => r.trainSeconds),
      inferenceMs: rs.map((r) => r.inferenceMsPer1000),
      gapClosed: rs.map((r) => r.gapClosed),
    };
  });
}

export function formatTable(summaries: Summary[], seeds: number): string {
  const pct = (xs: number[]) => {
    const { mean, std } = meanStd(xs.map((x) => 100 * x));
    return seeds > 1 ? `${mean.toFixed(2)} ± ${std.toFixed(2)}` : mean.toFixed(2);
  };
  const num = (xs: number[], d: number) => meanStd(xs).mean.toFixed(d);
  const header = ['run', 'model', 'params', 'size (bytes)', seeds > 1 ? `test acc % (mean ± sd, ${seeds} seeds)` : 'test acc %', 'train s', 'ms/1000 img', 'gap closed'];
  const rows = summaries.map((s) => {
    const gaps = s.gapClosed.filter((g): g is number => g !== null && Number.isFinite(g));
    return [
      s.name,
      s.arch,
      s.params.toLocaleString('en-US'),
      s.sizeBytes.toLocaleString('en-US'),
      pct(s.test),
      num(s.trainSeconds, 1),
      num(s.inferenceMs, 1),
      gaps.length ? `${(100 * meanStd(gaps).mean).toFixed(0)}%` : '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = [false, false, true, true, true, true, true, true];
  const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

// ---- accuracy.svg ------------------------------------------------------------------------------

const COLORS: Record<string, string> = {
  teacher: '#1f77b4',
  teacher2: '#17becf',
  student: '#7f7f7f',
  distilled: '#d62728',
  control: '#2ca02c',
};
const FALLBACK = ['#9467bd', '#8c564b', '#e377c2', '#bcbd22'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A round tick step giving at most `n` intervals over [0, max]: 1, 2 or 5 times a power of ten. */
function tickStep(max: number, n: number): number {
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw) ?? 10 * p;
}

/** 1500 -> "1.5k", 90000 -> "90k", 2500000 -> "2.5M". */
function fmtCount(v: number): string {
  const f = (x: number, u: string) => `${Number(x.toFixed(1))}${u}`;
  return v >= 1e6 ? f(v / 1e6, 'M') : v >= 1e3 ? f(v / 1e3, 'k') : String(v);
}

/**
 * Validation accuracy of every run against the training images it had seen (epochs differ in size
 * between runs: the teacher's pass over the labelled images, the distilled student's over the
 * transfer set): one polyline per run, colour by name, dashes by seed.
 */
export function accuracySvg(runs: RunRecord[], title: string): string {
  const W = 720;
  const H = 420;
  const m = { l: 60, r: 170, t: 40, b: 50 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const series = runs.filter((r) => r.validationHistory.length > 0 && r.imagesSeen?.length === r.validationHistory.length);
  const maxX = Math.max(1, ...series.flatMap((r) => r.imagesSeen));
  const all = series.flatMap((r) => r.validationHistory.map((v) => 100 * v));
  let lo = all.length ? Math.floor(Math.min(...all) / 5) * 5 : 0;
  let hi = all.length ? Math.ceil(Math.max(...all) / 5) * 5 : 100;
  if (hi - lo < 5) hi = Math.min(100, lo + 5);
  if (hi === lo) lo = hi - 5;
  const x = (images: number) => m.l + (images / maxX) * pw;
  const y = (v: number) => m.t + ph - ((v - lo) / (hi - lo)) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  // 1. Axes, grid and ticks.
  out.push(`<line x1="${m.l}" y1="${m.t + ph}" x2="${m.l + pw}" y2="${m.t + ph}" stroke="black"/>`);
  out.push(`<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${m.t + ph}" stroke="black"/>`);
  const ystep = hi - lo > 30 ? 10 : hi - lo > 10 ? 5 : 1;
  for (let v = lo; v <= hi + 1e-9; v += ystep) {
    out.push(`<line x1="${m.l}" y1="${y(v).toFixed(1)}" x2="${m.l + pw}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${m.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`);
  }
  const xstep = tickStep(maxX, 8);
  for (let v = 0; v <= maxX + 1e-9; v += xstep) {
    out.push(`<line x1="${x(v).toFixed(1)}" y1="${m.t + ph}" x2="${x(v).toFixed(1)}" y2="${m.t + ph + 5}" stroke="black"/>`);
    out.push(`<text x="${x(v).toFixed(1)}" y="${m.t + ph + 18}" text-anchor="middle">${fmtCount(v)}</text>`);
  }
  out.push(`<text x="${m.l + pw / 2}" y="${H - 12}" text-anchor="middle">training images seen (validated after each epoch)</text>`);
  out.push(`<text x="16" y="${m.t + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.t + ph / 2})">validation accuracy (%)</text>`);
  // 2. One polyline per run.
  const names = [...new Set(series.map((r) => r.name))];
  const color = (n: string) => COLORS[n] ?? FALLBACK[names.indexOf(n) % FALLBACK.length];
  const seeds = [...new Set(series.map((r) => r.seed))];
  for (const r of series) {
    const pts = r.validationHistory.map((v, i) => `${x(r.imagesSeen[i]).toFixed(1)},${y(100 * v).toFixed(1)}`).join(' ');
    const dash = seeds.indexOf(r.seed) > 0 ? ` stroke-dasharray="${2 + 2 * seeds.indexOf(r.seed)},3"` : '';
    out.push(`<polyline fill="none" stroke="${color(r.name)}" stroke-width="2"${dash} points="${pts}"><title>${esc(`${r.name} (seed ${r.seed})`)}</title></polyline>`);
    if (r.validationHistory.length === 1) {
      out.push(`<circle cx="${x(r.imagesSeen[0]).toFixed(1)}" cy="${y(100 * r.validationHistory[0]).toFixed(1)}" r="3" fill="${color(r.name)}"/>`);
    }
  }
  // 3. Legend.
  names.forEach((n, i) => {
    const ly = m.t + 10 + i * 20;
    out.push(`<line x1="${m.l + pw + 15}" y1="${ly}" x2="${m.l + pw + 40}" y2="${ly}" stroke="${color(n)}" stroke-width="3"/>`);
    out.push(`<text x="${m.l + pw + 46}" y="${ly + 4}">${esc(n)}</text>`);
  });
  if (seeds.length > 1) {
    out.push(`<text x="${m.l + pw + 15}" y="${m.t + 14 + names.length * 20}" fill="#555">dashes: seeds ${seeds.join(', ')}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export async function writeOutputs(dir: string, report: Record<string, unknown> & { runs: RunRecord[] }, title: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFile(join(dir, 'accuracy.svg'), accuracySvg(report.runs, title));
}
