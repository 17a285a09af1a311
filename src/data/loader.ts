/**
 * Seeded mini-batches and splits. Everything here is deterministic for a given seed.
 *
 *   mulberry32(seed)                   small 32-bit PRNG, uniform floats in [0, 1)
 *   shuffleInPlace(a, rand)            Fisher-Yates
 *   batches(n, B, seed, opts)          index arrays of each mini-batch of one epoch
 *   gather(x, idx, dim)                rows idx of a row-major [n, dim] array -> [idx.length, dim]
 *   stratifiedSplit(labels, k, seed)   k examples of every class (e.g. 100 labelled per class),
 *                                      and the rest, for a validation split or unlabelled pool
 */

/** mulberry32 (Tommy Ettinger): a 32-bit state PRNG, returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle of `a` in place with the given generator; returns `a`. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(a: T, rand: () => number): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/** A seeded permutation of 0..n-1. */
export function permutation(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, mulberry32(seed));
}

export interface BatchOptions {
  /** Shuffle the order (default true). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
}

function checkCount(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
}

/**
 * The mini-batches of one epoch over examples 0..n-1, as Int32Array index arrays.
 * With shuffle, the order is a permutation drawn from `seed` (use a different seed per epoch,
 * e.g. baseSeed + epoch). Without shuffle, indices are in order and the seed is unused.
 */
export function* batches(n: number, batchSize: number, seed = 0, opts: BatchOptions = {}): Generator<Int32Array> {
  checkCount('n', n, 0);
  checkCount('batchSize', batchSize, 1);
  const { shuffle = true, dropLast = false } = opts;
  let order: Int32Array;
  if (shuffle) order = permutation(n, seed);
  else {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  }
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(start + batchSize, n);
    if (dropLast && end - start < batchSize) break;
    yield order.slice(start, end);
  }
}

/** The number of batches `batches(n, batchSize, ..., { dropLast })` yields. */
export function batchCount(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/**
 * Rows `indices` of a row-major [n, dim] array, copied into a new [indices.length, dim] array
 * (or into `out` when given). Works for Float32Array (images) and Int32Array (labels, dim 1).
 */
export function gather(src: Float32Array, indices: ArrayLike<number>, dim: number, out?: Float32Array): Float32Array;
export function gather(src: Int32Array, indices: ArrayLike<number>, dim: number, out?: Int32Array): Int32Array;
export function gather(
  src: Float32Array | Int32Array,
  indices: ArrayLike<number>,
  dim: number,
  out?: Float32Array | Int32Array,
): Float32Array | Int32Array {
  checkCount('dim', dim, 1);
  const n = Math.floor(src.length / dim);
  if (n * dim !== src.length) throw new RangeError(`gather: source length ${src.length} is not a multiple of dim ${dim}`);
  const m = indices.length;
  const dst = out ?? (src instanceof Float32Array ? new Float32Array(m * dim) : new Int32Array(m * dim));
  if (dst.length !== m * dim) throw new RangeError(`gather: out has length ${dst.length}, expected ${m} x ${dim} = ${m * dim}`);
  for (let k = 0; k < m; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`gather: index ${i} out of range [0, ${n})`);
    dst.set(src.subarray(i * dim, (i + 1) * dim), k * dim);
  }
  return dst;
}

export interface StratifiedSplit {
  /** `perClass` indices of every class present, in ascending order. */
  selected: Int32Array;
  /** All the other indices, in ascending order. */
  rest: Int32Array;
}

/**
 * Choose `perClass` examples of every class, uniformly at random from `seed` (a partial
 * Fisher-Yates per class). Throws when a class has fewer than `perClass` examples.
 * Classes are the distinct non-negative label values; negative labels (e.g. -100, ignore) go to `rest`.
 */
export function stratifiedSplit(labels: ArrayLike<number>, perClass: number, seed: number): StratifiedSplit {
  checkCount('perClass', perClass, 0);
  // 1. Group indices by class.
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (c < 0) continue;
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  // 2. Partial shuffle of each class, in class order, from one generator.
  const rand = mulberry32(seed);
  const isSelected = new Uint8Array(labels.length);
  let count = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = byClass.get(c)!;
    if (idx.length < perClass) {
      throw new RangeError(`stratifiedSplit: class ${c} has ${idx.length} examples, fewer than perClass = ${perClass}`);
    }
    for (let i = 0; i < perClass; i++) {
      const j = i + Math.floor(rand() * (idx.length - i));
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
      isSelected[idx[i]] = 1;
    }
    count += perClass;
  }
  // 3. Both sides in ascending index order.
  const selected = new Int32Array(count);
  const rest = new Int32Array(labels.length - count);
  let a = 0;
  let b = 0;
  for (let i = 0; i < labels.length; i++) {
    if (isSelected[i]) selected[a++] = i;
    else rest[b++] = i;
  }
  return { selected, rest };
}
