/**
 * The data layer: the IDX reader and writer (good and corrupt files), the embedded Fashion-MNIST
 * subset, the stratified split and the seeded mini-batch iterator.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdxFormatError, encodeIdx, readIdx, readIdxSync, writeIdx, writeIdxSync } from '../../src/data/idx.js';
import { FASHION_MNIST_CLASSES, loadFashionMnist } from '../../src/data/fashion.js';
import { batchCount, batches, gather, mulberry32, permutation, stratifiedSplit } from '../../src/data/loader.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kd-idx-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function sampleImages(n: number, h: number, w: number): Uint8Array {
  const data = new Uint8Array(n * h * w);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) & 0xff;
  return data;
}

/** Expect both readers to throw an IdxFormatError naming the file and matching `pattern`. */
async function expectIdxError(path: string, pattern: RegExp): Promise<void> {
  let err: unknown;
  try {
    readIdxSync(path);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(IdxFormatError);
  expect((err as Error).message).toContain(path);
  expect((err as Error).message).toMatch(pattern);
  await expect(readIdx(path)).rejects.toBeInstanceOf(IdxFormatError);
  await expect(readIdx(path)).rejects.toThrow(pattern);
}

describe('IDX reader and writer', () => {
  const images = { dims: [5, 4, 3], data: sampleImages(5, 4, 3) };
  const labels = { dims: [5], data: Uint8Array.from([0, 9, 3, 3, 7]) };

  it('round-trips raw and gzip files, sync and async', async () => {
    for (const gz of [false, true]) {
      const ip = join(dir, `imgs-${gz}${gz ? '.gz' : ''}`);
      const lp = join(dir, `labs-${gz}${gz ? '.gz' : ''}`);
      await writeIdx(ip, images);
      writeIdxSync(lp, labels);
      const a = await readIdx(ip, 3);
      expect(a.dims).toEqual([5, 4, 3]);
      expect(Array.from(a.data)).toEqual(Array.from(images.data));
      const b = readIdxSync(lp, 1);
      expect(b.dims).toEqual([5]);
      expect(Array.from(b.data)).toEqual([0, 9, 3, 3, 7]);
    }
  });

  it('writes the documented header (magic 0x00000803, big-endian dims) and gzip magic', () => {
    const raw = encodeIdx(images);
    expect(Array.from(raw.subarray(0, 16))).toEqual([0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 3]);
    expect(raw.length).toBe(16 + 60);
    expect(Array.from(encodeIdx(labels).subarray(0, 4))).toEqual([0, 0, 8, 1]);
    const gz = encodeIdx(images, { gzip: true });
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    // gzip=false on a .gz path is honoured
    const p = join(dir, 'forced-raw.gz');
    writeIdxSync(p, images, { gzip: false });
    expect(readIdxSync(p).dims).toEqual([5, 4, 3]);
  });

  it('rejects a bad magic number', async () => {
    const bytes = encodeIdx(images);
    bytes[0] = 0x12;
    const p = join(dir, 'bad-magic-idx3-ubyte');
    writeFileSync(p, bytes);
    await expectIdxError(p, /bad magic number 0x12000803/);
  });

  it('rejects a data type other than unsigned byte', async () => {
    const bytes = encodeIdx(images);
    bytes[2] = 0x0d; // float32
    const p = join(dir, 'float-idx3-ubyte.gz');
    writeFileSync(p, gzipSync(bytes));
    await expectIdxError(p, /data type 0x0d \(float32\) is not supported/);
  });

  it('rejects a truncated payload, naming both sizes', async () => {
    const bytes = encodeIdx(images).subarray(0, 16 + 50);
    const p = join(dir, 'short-images-idx3-ubyte.gz');
    writeFileSync(p, gzipSync(bytes));
    await expectIdxError(p, /payload has 50 bytes, header says 5x4x3 = 60/);
  });

  it('rejects trailing bytes after the payload', async () => {
    const bytes = new Uint8Array(16 + 61);
    bytes.set(encodeIdx(images));
    const p = join(dir, 'long-images-idx3-ubyte');
    writeFileSync(p, bytes);
    await expectIdxError(p, /payload has 61 bytes, header says 5x4x3 = 60/);
  });

  it('rejects a truncated header', async () => {
    const p = join(dir, 'short-header-idx3-ubyte');
    writeFileSync(p, encodeIdx(images).subarray(0, 10));
    await expectIdxError(p, /header is truncated/);
    const q = join(dir, 'tiny-idx3-ubyte');
    writeFileSync(q, Uint8Array.from([0, 0]));
    await expectIdxError(q, /too short/);
  });

  it('rejects gzip garbage and a truncated gzip stream', async () => {
    const p = join(dir, 'garbage.gz');
    writeFileSync(p, Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    await expectIdxError(p, /gzip data is corrupt or truncated/);
    const gz = encodeIdx(images, { gzip: true });
    const q = join(dir, 'cut.gz');
    writeFileSync(q, gz.subarray(0, gz.length - 12));
    await expectIdxError(q, /gzip data is corrupt or truncated/);
  });

  it('rejects labels where images are expected, and a missing file', async () => {
    const p = join(dir, 'labels-as-images');
    writeIdxSync(p, labels);
    expect(() => readIdxSync(p, 3)).toThrow(IdxFormatError);
    expect(() => readIdxSync(p, 3)).toThrow(/expected 0x00000803 \(images\)/);
    const missing = join(dir, 'nope-idx3-ubyte.gz');
    await expectIdxError(missing, /cannot read file/);
  });
});

describe('embedded Fashion-MNIST subset', () => {
  it('has 10,000 train and 2,000 test images, stratified, in [0, 1]', async () => {
    const msgs: string[] = [];
    const ds = await loadFashionMnist({ source: 'embedded', onProgress: (m) => msgs.push(m) });
    expect(msgs.length).toBeGreaterThan(0);
    expect(ds.classes).toEqual([...FASHION_MNIST_CLASSES]);
    expect(ds.dim).toBe(784);
    for (const [split, n, per] of [
      [ds.train, 10000, 1000],
      [ds.test, 2000, 200],
    ] as const) {
      expect(split.n).toBe(n);
      expect(split.images.length).toBe(n * 784);
      expect(split.labels.length).toBe(n);
      const counts = new Array(10).fill(0);
      for (const c of split.labels) counts[c]++;
      expect(counts).toEqual(new Array(10).fill(per));
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      for (const v of split.images) {
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
      }
      expect(min).toBe(0);
      expect(max).toBe(Math.fround(252 / 255)); // 6-bit pixels: the brightest is 0xfc
      const mean = sum / split.images.length;
      expect(mean).toBeGreaterThan(0.2); // Fashion-MNIST's mean pixel is about 0.286
      expect(mean).toBeLessThan(0.37);
    }
  });

  it('names the folder when the full dataset is not in dataDir', async () => {
    const empty = join(dir, 'no-such-dataset');
    await expect(loadFashionMnist({ source: 'full', dataDir: empty })).rejects.toThrow(empty);
  });

  it('names every folder tried when the full dataset is nowhere and downloading is off', async () => {
    const sys = join(dir, 'no-system');
    const cache = join(dir, 'no-cache');
    const err = await loadFashionMnist({ source: 'full', systemDir: sys, cacheDir: cache, download: false }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(sys);
    expect((err as Error).message).toContain(cache);
  });
});

describe('stratifiedSplit', () => {
  const labels = new Int32Array(300);
  for (let i = 0; i < labels.length; i++) labels[i] = (i * 7) % 3; // 100 of each class

  it('takes perClass of every class and leaves the rest', () => {
    const { selected, rest } = stratifiedSplit(labels, 10, 42);
    expect(selected.length).toBe(30);
    expect(rest.length).toBe(270);
    const counts = [0, 0, 0];
    for (const i of selected) counts[labels[i]]++;
    expect(counts).toEqual([10, 10, 10]);
    const all = new Set([...selected, ...rest]);
    expect(all.size).toBe(300);
    expect(Array.from(selected)).toEqual(Array.from(selected).sort((a, b) => a - b));
  });

  it('is deterministic in the seed and differs across seeds', () => {
    const a = stratifiedSplit(labels, 10, 1).selected;
    const b = stratifiedSplit(labels, 10, 1).selected;
    const c = stratifiedSplit(labels, 10, 2).selected;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('throws when a class is too small, and skips negative labels', () => {
    expect(() => stratifiedSplit(labels, 101, 0)).toThrow(/class 0 has 100 examples/);
    const withIgnored = Int32Array.from([0, 1, -100, 0, 1]);
    const { selected, rest } = stratifiedSplit(withIgnored, 2, 0);
    expect(Array.from(selected)).toEqual([0, 1, 3, 4]);
    expect(Array.from(rest)).toEqual([2]);
  });
});

describe('batches and gather', () => {
  it('covers every index once per epoch, deterministically for a seed', () => {
    const run = (seed: number) => [...batches(103, 10, seed)].map((b) => Array.from(b));
    const a = run(7);
    expect(a.length).toBe(11);
    expect(a.length).toBe(batchCount(103, 10));
    expect(a[10].length).toBe(3);
    expect(a.flat().sort((x, y) => x - y)).toEqual([...Array(103).keys()]);
    expect(run(7)).toEqual(a);
    expect(run(8)).not.toEqual(a);
    expect(a.flat()).not.toEqual([...Array(103).keys()]);
  });

  it('honours shuffle: false and dropLast', () => {
    const ordered = [...batches(25, 10, 0, { shuffle: false })].map((b) => Array.from(b));
    expect(ordered).toEqual([[...Array(10).keys()], [...Array(10).keys()].map((i) => i + 10), [20, 21, 22, 23, 24]]);
    const dropped = [...batches(25, 10, 3, { dropLast: true })];
    expect(dropped.length).toBe(2);
    expect(dropped.length).toBe(batchCount(25, 10, true));
    expect(dropped.every((b) => b.length === 10)).toBe(true);
    expect([...batches(0, 4, 0)].length).toBe(0);
    expect(() => [...batches(10, 0, 0)]).toThrow(RangeError);
  });

  it('gathers rows of images and labels', () => {
    const x = Float32Array.from({ length: 12 }, (_, i) => i); // [4, 3]
    expect(Array.from(gather(x, [2, 0], 3))).toEqual([6, 7, 8, 0, 1, 2]);
    const y = Int32Array.from([5, 6, 7, 8]);
    const g = gather(y, Int32Array.from([3, 1]), 1);
    expect(g).toBeInstanceOf(Int32Array);
    expect(Array.from(g)).toEqual([8, 6]);
    expect(() => gather(x, [4], 3)).toThrow(/out of range/);
    const out = new Float32Array(3);
    expect(gather(x, [1], 3, out)).toBe(out);
  });

  it('mulberry32 and permutation are reproducible', () => {
    const r1 = mulberry32(123);
    const r2 = mulberry32(123);
    for (let i = 0; i < 5; i++) {
      const v = r1();
      expect(v).toBe(r2());
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
    expect(Array.from(permutation(8, 5))).toEqual(Array.from(permutation(8, 5)));
  });
});
