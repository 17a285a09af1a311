#!/usr/bin/env node
/**
 * Make the embedded Fashion-MNIST subset shipped in data/fashion-mnist-subset/:
 * a stratified sample of 1,000 train images per class (10,000) and 200 test images per class
 * (2,000), drawn with a fixed seed from the full dataset, written as gzip IDX files.
 *
 *   node scripts/make-embedded-data.mjs [--bits N] [sourceDir] [outDir]
 *
 * sourceDir defaults to Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist),
 * outDir to data/fashion-mnist-subset. Plain Node (no build step), so the IDX reading and
 * writing and the PRNG are small copies of src/data/idx.ts and src/data/loader.ts.
 *
 * Pixels keep their top 6 bits (v & 0xfc, 64 grey levels; about 3.6 MB gzip, inside the ~4 MB
 * budget for the package); `--bits 8` copies them exactly (about 5.1 MB).
 *
 * Order in the output: by class, then by total brightness, then by original index. Training
 * shuffles anyway, and neighbouring similar images inside gzip's 32 KiB window compress about
 * 3% better than a random order.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const SEED = 20240611;
const TRAIN_PER_CLASS = 1000;
const TEST_PER_CLASS = 200;
const CLASSES = 10;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let bits = 6; // the shipped subset: 6-bit pixels keep it under ~4 MB
const bi = args.indexOf('--bits');
if (bi >= 0) {
  bits = Number(args[bi + 1]);
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new Error(`--bits must be 1..8, got ${args[bi + 1]}`);
  args.splice(bi, 2);
}
const mask = (0xff << (8 - bits)) & 0xff;
const srcDir = args[0] ?? '/usr/share/datasets/fashion-mnist';
const outDir = args[1] ?? join(root, 'data', 'fashion-mnist-subset');

/** mulberry32: the same generator as src/data/loader.ts. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readIdx(path) {
  let buf = readFileSync(path);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  if (buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08) throw new Error(`${path}: not an unsigned-byte IDX file`);
  const nd = buf[3];
  const dims = [];
  let size = 1;
  for (let i = 0; i < nd; i++) {
    const d = buf.readUInt32BE(4 + 4 * i);
    dims.push(d);
    size *= d;
  }
  const data = buf.subarray(4 + 4 * nd);
  if (data.length !== size) throw new Error(`${path}: payload has ${data.length} bytes, header says ${dims.join('x')} = ${size}`);
  return { dims, data };
}

function writeIdxGz(path, dims, data) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const gz = gzipSync(Buffer.concat([header, data]), { level: 9, memLevel: 9 });
  writeFileSync(path, gz);
  return gz.length;
}

/** perClass indices of each class, chosen by a seeded partial Fisher-Yates shuffle, sorted. */
function stratified(labels, perClass, seed) {
  const rand = mulberry32(seed);
  const out = [];
  for (let c = 0; c < CLASSES; c++) {
    const idx = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === c) idx.push(i);
    if (idx.length < perClass) throw new Error(`class ${c} has ${idx.length} examples, need ${perClass}`);
    for (let i = 0; i < perClass; i++) {
      const j = i + Math.floor(rand() * (idx.length - i));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    out.push(...idx.slice(0, perClass).sort((a, b) => a - b));
  }
  return out;
}

function subset(split, prefix, perClass, seed) {
  const images = readIdx(join(srcDir, `${prefix}-images-idx3-ubyte.gz`));
  const labels = readIdx(join(srcDir, `${prefix}-labels-idx1-ubyte.gz`));
  const [, rows, cols] = images.dims;
  const px = rows * cols;
  // 1. Stratified, seeded choice; 2. order by class, brightness, index (for gzip only).
  const chosen = stratified(labels.data, perClass, seed);
  const bright = new Map();
  for (const i of chosen) {
    let sum = 0;
    for (let p = i * px; p < (i + 1) * px; p++) sum += images.data[p] & mask;
    bright.set(i, sum);
  }
  const pick = [...chosen].sort((a, b) => labels.data[a] - labels.data[b] || bright.get(a) - bright.get(b) || a - b);
  const img = Buffer.alloc(pick.length * px);
  const lab = Buffer.alloc(pick.length);
  pick.forEach((src, k) => {
    for (let p = 0; p < px; p++) img[k * px + p] = images.data[src * px + p] & mask;
    lab[k] = labels.data[src];
  });
  const a = writeIdxGz(join(outDir, `${prefix}-images-idx3-ubyte.gz`), [pick.length, rows, cols], img);
  const b = writeIdxGz(join(outDir, `${prefix}-labels-idx1-ubyte.gz`), [pick.length], lab);
  console.log(`${split}: ${pick.length} images (${perClass} per class, ${bits}-bit pixels), ${a + b} bytes gzip`);
  return a + b;
}

mkdirSync(outDir, { recursive: true });
const total = subset('train', 'train', TRAIN_PER_CLASS, SEED) + subset('test', 't10k', TEST_PER_CLASS, SEED + 1);
console.log(`wrote ${outDir}: ${total} bytes in all`);
