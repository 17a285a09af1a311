/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, https://github.com/zalandoresearch/fashion-mnist):
 * 28x28 grey images of 10 kinds of Zalando articles, 60,000 train and 10,000 test.
 *
 * Sources:
 *   'embedded'  the stratified subset shipped in the package (data/fashion-mnist-subset/:
 *               1,000 train and 200 test images per class; made by scripts/make-embedded-data.mjs)
 *   'full'      the whole dataset, from the first of:
 *                 1. opts.dataDir, when given (and then only there)
 *                 2. opts.systemDir, default /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist)
 *                 3. opts.cacheDir (default ~/.cache/kd-kernels/fashion-mnist), downloaded there
 *                    over https from Zalando Research's repository when missing
 *
 * Files are the four IDX files, gzip (name.gz) or raw (name). Wherever they come from, the full
 * dataset is checked against the SHA-256 of the four official IDX files (their decompressed bytes,
 * so a repacked .gz passes and any changed byte of the data fails); a download is checked before it
 * is kept. Pixels become float32 in [0, 1] (byte / 255), labels int32 in 0..9.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type IdxArray, encodeIdx, readIdx } from './idx.js';

export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/**
 * Official download location over https: the data/fashion folder of Zalando Research's repository
 * (their S3 bucket, the other location their README gives, serves plain http only).
 */
export const FASHION_MNIST_URL = 'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/';

/**
 * The four files: the size of the official .gz download, the IDX dimensions, and the SHA-256 of the
 * decompressed IDX file. The hashes were computed from Debian's dataset-fashion-mnist package
 * (0.0~git20200523.55506a9-1, built from that repository), whose .gz files differ from Zalando's only
 * in the gzip header (no file name: 23-24 bytes shorter), so they are checked on the IDX bytes.
 */
export const FASHION_MNIST_FILES = {
  trainImages: {
    name: 'train-images-idx3-ubyte', gzBytes: 26421880, dims: [60000, 28, 28],
    sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  },
  trainLabels: {
    name: 'train-labels-idx1-ubyte', gzBytes: 29515, dims: [60000],
    sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  },
  testImages: {
    name: 't10k-images-idx3-ubyte', gzBytes: 4422102, dims: [10000, 28, 28],
    sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  },
  testLabels: {
    name: 't10k-labels-idx1-ubyte', gzBytes: 5148, dims: [10000],
    sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
  },
} as const;

type FileKey = keyof typeof FASHION_MNIST_FILES;
const FILE_KEYS = Object.keys(FASHION_MNIST_FILES) as FileKey[];

export const SYSTEM_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const DEFAULT_CACHE_DIR = join(homedir(), '.cache', 'kd-kernels', 'fashion-mnist');
export const EMBEDDED_SUBDIR = join('data', 'fashion-mnist-subset');

export interface ImageSplit {
  /** [n, 784] row-major, float32 in [0, 1]. */
  images: Float32Array;
  /** [n], int32 class indices 0..9. */
  labels: Int32Array;
  n: number;
}

export interface FashionMnist {
  name: string;
  train: ImageSplit;
  test: ImageSplit;
  classes: string[];
  /** Image height and width (28, 28) and pixels per image (784). */
  height: number;
  width: number;
  dim: number;
  /** The folder the files were read from. */
  dir: string;
}

export interface LoadFashionMnistOptions {
  source: 'embedded' | 'full';
  dataDir?: string;
  cacheDir?: string;
  /** The system-wide folder looked at before the cache (default /usr/share/datasets/fashion-mnist). */
  systemDir?: string;
  /** Allow downloading the full dataset into cacheDir (default true). */
  download?: boolean;
  /**
   * Where to download the four .gz files from (default FASHION_MNIST_URL): an https URL, or plain
   * http on the loopback interface only (a local mirror; the tests). Downloads are checked by SHA-256.
   */
  baseUrl?: string;
  onProgress?: (msg: string) => void;
}

/** The package root: the nearest folder above this module with a package.json named kd-kernels. */
export function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'kd-kernels') return dir;
      } catch {
        // not ours (or unreadable): keep going up
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // src/data/ or dist/data/ -> two levels up.
  return resolve(here, '..', '..');
}

/** Path of file `name` in `dir`, gzip or raw, or undefined. */
function findFile(dir: string, name: string): string | undefined {
  for (const p of [join(dir, `${name}.gz`), join(dir, name)]) {
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return undefined;
}

/** Throws unless the IDX file read from `path` is the official file `key` (SHA-256 of its IDX bytes). */
function checkSha256(arr: IdxArray, key: FileKey, path: string): void {
  const want = FASHION_MNIST_FILES[key].sha256;
  const got = createHash('sha256').update(encodeIdx(arr)).digest('hex');
  if (got !== want) {
    throw new Error(`${path} is not the official Fashion-MNIST ${FASHION_MNIST_FILES[key].name}: SHA-256 of its IDX bytes is ${got}, expected ${want}`);
  }
}

/** The download base URL: https, or http to the loopback interface. */
function checkBaseUrl(base: string): string {
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    throw new TypeError(`baseUrl must be a URL, got ${JSON.stringify(base)}`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
    throw new TypeError(`baseUrl must be an https URL (plain http only to 127.0.0.1 or localhost), got ${base}`);
  }
  return base.endsWith('/') ? base : `${base}/`;
}

/** All four files of `dir`, or the names missing there. */
function locate(dir: string): { paths?: Record<FileKey, string>; missing: string[] } {
  const paths: Partial<Record<FileKey, string>> = {};
  const missing: string[] = [];
  for (const k of FILE_KEYS) {
    const p = findFile(dir, FASHION_MNIST_FILES[k].name);
    if (p) paths[k] = p;
    else missing.push(`${FASHION_MNIST_FILES[k].name}[.gz]`);
  }
  return missing.length ? { missing } : { paths: paths as Record<FileKey, string>, missing };
}

function toSplit(images: IdxArray, labels: IdxArray, imagesPath: string, labelsPath: string, classes: number): ImageSplit {
  const n = images.dims[0];
  if (labels.dims[0] !== n) {
    throw new Error(`${labelsPath}: ${labels.dims[0]} labels, but ${imagesPath} has ${n} images`);
  }
  const px = new Float32Array(images.data.length);
  for (let i = 0; i < px.length; i++) px[i] = images.data[i] / 255;
  const lab = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = labels.data[i];
    if (c >= classes) throw new Error(`${labelsPath}: label ${c} at index ${i} is not a class index 0..${classes - 1}`);
    lab[i] = c;
  }
  return { images: px, labels: lab, n };
}

async function readDir(name: string, dir: string, paths: Record<FileKey, string>, full: boolean): Promise<FashionMnist> {
  const [ti, tl, vi, vl] = await Promise.all([
    readIdx(paths.trainImages, 3),
    readIdx(paths.trainLabels, 1),
    readIdx(paths.testImages, 3),
    readIdx(paths.testLabels, 1),
  ]);
  // 1. The full dataset must have exactly the published shapes.
  if (full) {
    const got: Record<FileKey, IdxArray> = { trainImages: ti, trainLabels: tl, testImages: vi, testLabels: vl };
    for (const k of FILE_KEYS) {
      const want = FASHION_MNIST_FILES[k].dims as readonly number[];
      if (got[k].dims.join('x') !== want.join('x')) {
        throw new Error(`${paths[k]}: dimensions ${got[k].dims.join('x')}, Fashion-MNIST has ${want.join('x')}`);
      }
      checkSha256(got[k], k, paths[k]);
    }
  }
  // 2. Both splits must be 28x28 images.
  for (const [arr, p] of [
    [ti, paths.trainImages],
    [vi, paths.testImages],
  ] as const) {
    if (arr.dims[1] !== 28 || arr.dims[2] !== 28) throw new Error(`${p}: images are ${arr.dims[1]}x${arr.dims[2]}, expected 28x28`);
  }
  const classes = FASHION_MNIST_CLASSES.length;
  return {
    name,
    train: toSplit(ti, tl, paths.trainImages, paths.trainLabels, classes),
    test: toSplit(vi, vl, paths.testImages, paths.testLabels, classes),
    classes: [...FASHION_MNIST_CLASSES],
    height: 28,
    width: 28,
    dim: 784,
    dir,
  };
}

/** Download one official file into `dir` (via a temporary name, so a failed download leaves nothing). */
async function downloadFile(dir: string, key: FileKey, base: string, onProgress?: (msg: string) => void): Promise<string> {
  const { name, gzBytes } = FASHION_MNIST_FILES[key];
  const url = `${base}${name}.gz`;
  const dest = join(dir, `${name}.gz`);
  const tmp = `${dest}.part`;
  onProgress?.(`downloading ${url} (${(gzBytes / 1e6).toFixed(1)} MB)`);
  let body: Uint8Array;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    body = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    // fetch reports the network error (DNS, refused, TLS) in `cause`.
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause ? ` (${cause.code ?? cause.message ?? String(cause)})` : '';
    throw new Error(`could not download ${url}: ${(e as Error).message}${why}`);
  }
  await writeFile(tmp, body);
  try {
    checkSha256(await readIdx(tmp, FASHION_MNIST_FILES[key].dims.length), key, url); // before keeping it
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await rename(tmp, dest);
  return dest;
}

/** Load Fashion-MNIST: the embedded subset, or the full dataset (see the file comment for where). */
export async function loadFashionMnist(opts: LoadFashionMnistOptions): Promise<FashionMnist> {
  const { source, onProgress } = opts;
  if (source === 'embedded') {
    const dir = join(packageRoot(), EMBEDDED_SUBDIR);
    const found = locate(dir);
    if (!found.paths) {
      throw new Error(
        `embedded Fashion-MNIST subset not found: ${dir} lacks ${found.missing.join(', ')} ` +
          `(run node scripts/make-embedded-data.mjs, or use the full dataset)`,
      );
    }
    onProgress?.(`reading the embedded Fashion-MNIST subset from ${dir}`);
    return readDir('fashion-mnist-subset', dir, found.paths, false);
  }
  if (source !== 'full') throw new Error(`unknown Fashion-MNIST source '${String(source)}' (expected 'embedded' or 'full')`);

  // 1. An explicit dataDir is the only place looked at.
  if (opts.dataDir !== undefined) {
    const dir = resolve(opts.dataDir);
    const found = locate(dir);
    if (!found.paths) {
      throw new Error(
        `Fashion-MNIST not found in ${dir}: ${existsSync(dir) ? `missing ${found.missing.join(', ')}` : 'no such folder'}`,
      );
    }
    onProgress?.(`reading Fashion-MNIST from ${dir}`);
    return readDir('fashion-mnist', dir, found.paths, true);
  }
  // 2. Debian's package, then 3. the cache.
  const cacheDir = resolve(opts.cacheDir ?? DEFAULT_CACHE_DIR);
  const tried: string[] = [];
  for (const dir of [resolve(opts.systemDir ?? SYSTEM_FASHION_MNIST_DIR), cacheDir]) {
    const found = locate(dir);
    if (found.paths) {
      onProgress?.(`reading Fashion-MNIST from ${dir}`);
      return readDir('fashion-mnist', dir, found.paths, true);
    }
    tried.push(`${dir} (${existsSync(dir) ? `missing ${found.missing.join(', ')}` : 'no such folder'})`);
  }
  if (opts.download === false) {
    throw new Error(`Fashion-MNIST not found; tried ${tried.join('; ')}; downloading is turned off`);
  }
  // 4. Download what the cache lacks.
  const base = checkBaseUrl(opts.baseUrl ?? FASHION_MNIST_URL);
  await mkdir(cacheDir, { recursive: true });
  const paths: Partial<Record<FileKey, string>> = {};
  for (const k of FILE_KEYS) {
    const have = findFile(cacheDir, FASHION_MNIST_FILES[k].name);
    try {
      paths[k] = have ?? (await downloadFile(cacheDir, k, base, onProgress));
    } catch (e) {
      throw new Error(
        `Fashion-MNIST not found; tried ${tried.join('; ')}; ${(e as Error).message}. ` +
          `Put the four files from ${base} in one of those folders, or pass dataDir.`,
      );
    }
  }
  return readDir('fashion-mnist', cacheDir, paths as Record<FileKey, string>, true);
}
