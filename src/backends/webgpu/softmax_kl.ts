/**
 * Fused softmax-KL (forward-kl / reverse-kl / jsd) on WebGPU: shaders/softmax_kl.wgsl; loss and
 * scaled gradients from one dispatch per row block (one workgroup per row), or, for few wide rows,
 * from workgroups that each take a column range (rowSplits) and merge their row's states.
 */
import type { Divergence, SoftmaxKLArgs, SoftmaxKLResult } from '../backend.js';
import { rowWG, want, type KernelContext } from './context.js';
import type { GpuRuntime } from './runtime.js';

export interface SoftmaxKLBuffers {
  student: GPUBuffer; // [rows, cols]
  teacher: GPUBuffer; // [rows, cols], -Infinity = masked class
  rowLoss: GPUBuffer; // [rows] out
  gradStudent?: GPUBuffer; // [rows, cols] out, written when studentGradScale is non-null
  gradTeacher?: GPUBuffer; // [rows, cols] out, written when teacherGradScale is non-null
  /** int32 [rows]: a row whose label equals ignoreIndex gets loss 0 and gradients 0. */
  labels?: GPUBuffer | null;
}

export interface SoftmaxKLParams {
  rows: number;
  cols: number;
  temperature: number;
  divergence?: Divergence; // default 'forward-kl'
  beta?: number; // jsd, default 0.5
  studentGradScale?: number | null;
  teacherGradScale?: number | null;
  ignoreIndex?: number; // with labels, default -100
}

const MODE: Record<Divergence, number> = { 'forward-kl': 0, 'reverse-kl': 1, jsd: 2 };

/** Workgroups wanted in flight for a row kernel (about 8 per multiprocessor on a 132-SM GPU). */
const TARGET_WORKGROUPS = 1024;
/** Narrowest column range worth a workgroup of its own. */
const MIN_CHUNK = 4096;

/**
 * Column ranges per row: 1 (one workgroup per row) unless the rows are too few to fill the GPU,
 * then enough ranges of at least MIN_CHUNK columns to reach TARGET_WORKGROUPS, at most 64.
 */
export function rowSplits(rows: number, cols: number): number {
  if (rows >= TARGET_WORKGROUPS / 2) return 1;
  return Math.max(1, Math.min(64, Math.ceil(TARGET_WORKGROUPS / Math.max(rows, 1)), Math.floor(cols / MIN_CHUNK)));
}

export function encodeSoftmaxKL(ctx: KernelContext, enc: GPUCommandEncoder, b: SoftmaxKLBuffers, p: SoftmaxKLParams): void {
  const T = p.temperature;
  const gs = want(p.studentGradScale) && b.gradStudent ? 1 : 0;
  const gt = want(p.teacherGradScale) && b.gradTeacher ? 1 : 0;
  const lb = b.labels ? 1 : 0;
  const mode = MODE[p.divergence ?? 'forward-kl'];
  if (mode === undefined) throw new RangeError(`kd-kernels/webgpu: unknown divergence '${p.divergence}'`);
  const chunks = rowSplits(p.rows, p.cols);
  const chunkLen = Math.ceil(p.cols / chunks);
  const u = ctx.uniform([
    ['u32', p.rows], ['u32', p.cols], ['u32', mode], ['u32', gs | (gt << 1) | (lb << 2)],
    ['f32', 1 / T], ['f32', T], ['f32', T * T], ['f32', 4 * T], ['f32', p.beta ?? 0.5],
    ['f32', p.studentGradScale ?? 0], ['f32', p.teacherGradScale ?? 0], ['u32', 0x7f800000],
    ['i32', p.ignoreIndex ?? -100], ['u32', chunks], ['u32', chunkLen],
  ]);
  const WG = rowWG(chunkLen);
  const outs = [b.rowLoss, gs ? b.gradStudent : ctx.dummy(0), gt ? b.gradTeacher : ctx.dummy(1), b.labels ?? ctx.dummy(2)];
  if (chunks === 1) {
    ctx.dispatch(enc, ctx.pipeline('softmax_kl', 'main', { WG }), [u, b.student, b.teacher, ...outs], p.rows);
    return;
  }
  // Few wide rows: per-range states (12 floats), jsd dot products (4 floats), then the gradients.
  const part = ctx.scratch(p.rows * chunks * 16 * 4);
  const stats = [u, b.student, b.teacher, undefined, undefined, undefined, undefined, part];
  ctx.dispatch(enc, ctx.pipeline('softmax_kl', 'chunk_stats', { WG }), stats, [chunks, p.rows]);
  if (mode === 2) ctx.dispatch(enc, ctx.pipeline('softmax_kl', 'chunk_dots', { WG }), stats, [chunks, p.rows]);
  ctx.dispatch(enc, ctx.pipeline('softmax_kl', 'chunk_grad', { WG }), [u, b.student, b.teacher, ...outs, part], [chunks, p.rows]);
  ctx.release(part);
}

export function softmaxKL(rt: GpuRuntime, a: SoftmaxKLArgs): SoftmaxKLResult {
  const n = a.rows * a.cols;
  const rowLoss = rt.alloc(a.rows);
  const gradStudent = a.studentGradScale !== null ? rt.alloc(n) : undefined;
  const gradTeacher = a.teacherGradScale !== null ? rt.alloc(n) : undefined;
  encodeSoftmaxKL(rt.ctx, rt.encoder(), {
    student: rt.buf(a.student), teacher: rt.buf(a.teacher), rowLoss: rowLoss.buffer!,
    gradStudent: gradStudent?.buffer ?? undefined, gradTeacher: gradTeacher?.buffer ?? undefined,
    labels: a.rowMask ? rt.buf(a.rowMask.labels) : null,
  }, { ...a, ignoreIndex: a.rowMask?.ignoreIndex });
  const r: SoftmaxKLResult = { rowLoss };
  if (gradStudent) r.gradStudent = gradStudent;
  if (gradTeacher) r.gradTeacher = gradTeacher;
  return r;
}
