/**
 * Fused softmax-KL (forward-kl / reverse-kl / jsd) on WebGPU: shaders/softmax_kl.wgsl, one
 * workgroup per row; loss and scaled gradients in one dispatch.
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

export function encodeSoftmaxKL(ctx: KernelContext, enc: GPUCommandEncoder, b: SoftmaxKLBuffers, p: SoftmaxKLParams): void {
  const T = p.temperature;
  const gs = want(p.studentGradScale) && b.gradStudent ? 1 : 0;
  const gt = want(p.teacherGradScale) && b.gradTeacher ? 1 : 0;
  const mode = MODE[p.divergence ?? 'forward-kl'];
  if (mode === undefined) throw new RangeError(`kd-kernels/webgpu: unknown divergence '${p.divergence}'`);
  const u = ctx.uniform([
    ['u32', p.rows], ['u32', p.cols], ['u32', mode], ['u32', gs | (gt << 1) | ((b.labels ? 1 : 0) << 2)],
    ['f32', 1 / T], ['f32', T], ['f32', T * T], ['f32', p.beta ?? 0.5],
    ['f32', p.studentGradScale ?? 0], ['f32', p.teacherGradScale ?? 0], ['u32', 0x7f800000], ['i32', p.ignoreIndex ?? -100],
  ]);
  ctx.dispatch(enc, ctx.pipeline('softmax_kl', 'main', { WG: rowWG(p.cols) }), [
    u, b.student, b.teacher, b.rowLoss,
    gs ? b.gradStudent : ctx.dummy(0), gt ? b.gradTeacher : ctx.dummy(1), b.labels ?? ctx.dummy(2),
  ], p.rows);
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
