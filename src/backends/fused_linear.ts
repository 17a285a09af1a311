/**
 * Fused linear + KD, chunked (FusedLinearKdArgs in backend.ts; Liger-Kernel's FusedLinearJSD and
 * FusedLinearKLDiv do the same on CUDA). One driver for every backend, written on the Backend's own
 * kernels (its GEMM, its fused softmax-KL and cross-entropy, its sum and add) plus row blocks, which
 * each backend provides (host memory: views; WebGPU: buffer copies of chunk x dim floats).
 *
 * For each block of `chunkSize` rows [r0, r1), c = r1 - r0:
 *   1. z_s = h_s[r0:r1] W_s^T + b_s,  z_t = h_t[r0:r1] W_t^T + b_t            [c, V] each
 *   2. softRow, g = softGradScale * d soft/dz_s   (fused softmax-KL, masked rows skipped)
 *      hardRow, g += hardGradScale * d CE/dz_s    (fused cross-entropy, when there is a CE term)
 *   3. dh_s[r0:r1] = g W_s;  dW_s += g^T h_s[r0:r1];  db_s += sum_rows g
 * so the logits, their gradient and the teacher's logits exist for one block at a time only.
 */
import type { Backend, FusedLinearKdArgs, FusedLinearKdResult, Storage } from './backend.js';

/** Row blocks of row-major matrices, the one thing the driver needs beyond the Backend. */
export interface RowBlocks {
  /** Rows [r0, r0 + count) of a [*, cols] matrix (a view of it where the backend can). */
  take(x: Storage, r0: number, count: number, cols: number): Storage;
  /** Writes src [count, cols] into rows [r0, r0 + count) of dst. */
  put(dst: Storage, r0: number, src: Storage, count: number, cols: number): void;
  /** Lets go of what take() returned. */
  drop(s: Storage): void;
}

/** The inputs and outputs of one raw call (kd-kernels/native arrays, kd-kernels/webgpu buffers), already
 * checked; the outputs present are the ones computed. */
export interface FusedLinearIO<F, I = F> {
  studentHidden: F; studentWeight: F; studentBias: F | null;
  teacherHidden: F; teacherWeight: F; teacherBias: F | null;
  labels: I | null;
  softRow: F; hardRow: F | null; gradHidden: F | null; gradWeight: F | null; gradBias: F | null;
}

/** The scalar parameters of one raw call: FusedLinearKdArgs less its storages and gradient flags. */
export type FusedLinearParams = Omit<FusedLinearKdArgs,
  'studentHidden' | 'studentWeight' | 'studentBias' | 'teacherHidden' | 'teacherWeight' | 'teacherBias' | 'labels' | 'grads'>;

/** Default rows per chunk: a power of two with chunk x vocab <= 2^25 floats (128 MiB) per model. */
export function defaultChunkSize(rows: number, vocab: number): number {
  const c = 2 ** Math.max(0, Math.floor(Math.log2(2 ** 25 / Math.max(vocab, 1))));
  return Math.max(1, Math.min(rows, c));
}

/** Optional caller-owned outputs (raw layers): gradWeight and gradBias are accumulated into (+=). */
export type FusedLinearOutputs = Partial<Record<keyof FusedLinearKdResult, Storage>>;

export function runFusedLinearKd(
  be: Backend, blocks: RowBlocks, a: FusedLinearKdArgs, out: FusedLinearOutputs = {},
): FusedLinearKdResult {
  const { rows: N, vocab: V, studentDim: Hs, teacherDim: Ht } = a;
  const hard = a.hardGradScale !== null;
  const want = a.grads.hidden || a.grads.weight || a.grads.bias;
  const res: FusedLinearKdResult = { softRow: out.softRow ?? be.zeros(N, 'float32') };
  if (hard) res.hardRow = out.hardRow ?? be.zeros(N, 'float32');
  if (a.grads.hidden) res.gradHidden = out.gradHidden ?? be.zeros(N * Hs, 'float32');
  if (a.grads.weight) res.gradWeight = out.gradWeight ?? be.zeros(V * Hs, 'float32');
  if (a.grads.bias) res.gradBias = out.gradBias ?? be.zeros(V, 'float32');
  const rowMask = a.labels ? { ignoreIndex: a.ignoreIndex } : null;

  for (let r0 = 0; r0 < N; r0 += a.chunkSize) {
    const c = Math.min(a.chunkSize, N - r0);
    // 1. This block's logits, student and teacher.
    const hs = blocks.take(a.studentHidden, r0, c, Hs);
    const ht = blocks.take(a.teacherHidden, r0, c, Ht);
    const labels = a.labels ? blocks.take(a.labels, r0, c, 1) : null;
    const zs = linear(be, hs, a.studentWeight, a.studentBias, c, Hs, V);
    const zt = linear(be, ht, a.teacherWeight, a.teacherBias, c, Ht, V);
    blocks.drop(ht);
    // 2. Fused loss and gradient w.r.t. the logits.
    const kl = be.softmaxKL({
      student: zs, teacher: zt, rows: c, cols: V, temperature: a.temperature, divergence: a.divergence, beta: a.beta,
      studentGradScale: want ? a.softGradScale : null, teacherGradScale: null,
      rowMask: rowMask && labels ? { labels, ignoreIndex: rowMask.ignoreIndex } : null,
    });
    be.dispose(zt);
    blocks.put(res.softRow, r0, kl.rowLoss, c, 1);
    be.dispose(kl.rowLoss);
    let g = kl.gradStudent;
    if (hard && labels) {
      const ce = be.crossEntropy({
        logits: zs, labels, rows: c, cols: V, labelSmoothing: 0, ignoreIndex: a.ignoreIndex, weight: null,
        gradScale: want ? a.hardGradScale : null,
      });
      blocks.put(res.hardRow!, r0, ce.rowLoss, c, 1);
      be.dispose(ce.rowLoss);
      if (g && ce.grad) {
        be.addInPlace(g, ce.grad, c * V);
        be.dispose(ce.grad);
      }
    }
    be.dispose(zs);
    if (labels) blocks.drop(labels);
    // 3. Back through the student's linear layer.
    if (g) {
      if (res.gradHidden) {
        const gh = be.matmul(g, a.studentWeight, c, V, Hs, false, false);
        blocks.put(res.gradHidden, r0, gh, c, Hs);
        be.dispose(gh);
      }
      if (res.gradWeight) {
        const gw = be.matmul(g, hs, V, c, Hs, true, false);
        be.addInPlace(res.gradWeight, gw, V * Hs);
        be.dispose(gw);
      }
      if (res.gradBias) {
        const gb = be.sum(g, c, V, 'rows', 1);
        be.addInPlace(res.gradBias, gb, V);
        be.dispose(gb);
      }
      be.dispose(g);
    }
    blocks.drop(hs);
  }
  return res;
}

/** x W^T + b for x [m, k], W [n, k], b [n] or null. */
function linear(be: Backend, x: Storage, w: Storage, b: Storage | null, m: number, k: number, n: number): Storage {
  const z = be.matmul(x, w, m, k, n, false, true);
  if (!b) return z;
  const zb = be.binary('add', { storage: z, rowStride: n, colStride: 1 }, { storage: b, rowStride: 0, colStride: 1 }, m, n);
  be.dispose(z);
  return zb;
}
