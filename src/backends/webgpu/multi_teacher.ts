/**
 * Multi-teacher KD on WebGPU (shaders/multi_teacher.wgsl): q = sum_k w_k softmax(t_k / T) built
 * teacher by teacher into a scratch [rows, cols] buffer, then forward KL(q || p_s) with the student
 * gradient, then each requested teacher gradient. Any number of teachers, no stacking copy.
 */
import type { MultiTeacherArgs, MultiTeacherResult } from '../backend.js';
import { rowWG, type KernelContext } from './context.js';
import type { GpuRuntime } from './runtime.js';

export interface MultiTeacherBuffers {
  student: GPUBuffer; // [rows, cols]
  teachers: GPUBuffer[]; // K x [rows, cols]
  rowLoss: GPUBuffer; // [rows] out
  gradStudent?: GPUBuffer; // [rows, cols] out
  gradTeachers?: (GPUBuffer | undefined)[]; // K x [rows, cols] out
  /** int32 [rows]: a row whose label equals ignoreIndex gets loss 0 and gradients 0. */
  labels?: GPUBuffer | null;
}

export interface MultiTeacherParams {
  rows: number;
  cols: number;
  temperature: number;
  weights: number[];
  studentGradScale?: number | null;
  teacherGradScales?: (number | null)[];
  ignoreIndex?: number; // with labels, default -100
}

export function encodeMultiTeacherKL(ctx: KernelContext, enc: GPUCommandEncoder, b: MultiTeacherBuffers, p: MultiTeacherParams): void {
  const { rows, cols } = p;
  const K = b.teachers.length;
  const T = p.temperature;
  ctx.checkBinding(rows * cols * 4, 'the multi-teacher target');
  const q = ctx.scratch(rows * cols * 4);
  const labels = b.labels ?? ctx.dummy(1);
  const none = (n: number) => new Array<undefined>(n).fill(undefined);
  const stats = ctx.scratch((K + 1) * rows * 8);
  const fields = (k: number, flags: number, w: number, scale: number) => ctx.uniform([
    ['u32', rows], ['u32', cols], ['u32', k], ['u32', flags],
    ['f32', 1 / T], ['f32', T], ['f32', T * T], ['f32', w], ['f32', scale], ['u32', 0x7f800000], ['f32', 4 * T],
    ['u32', b.labels ? 1 : 0], ['i32', p.ignoreIndex ?? -100],
  ]);
  // 1. Target q, one teacher at a time.
  const target = ctx.pipeline('multi_teacher', 'build_target', { WG: rowWG(cols) });
  for (let k = 0; k < K; k++) {
    ctx.dispatch(enc, target, [fields(k, k > 0 ? 1 : 0, p.weights[k], 0), b.teachers[k], q, stats, ...none(3), labels], rows);
  }
  // 2. Row loss and the student gradient.
  const gs = p.studentGradScale != null && b.gradStudent ? 1 : 0;
  ctx.dispatch(enc, ctx.pipeline('multi_teacher', 'student_loss', { WG: rowWG(cols) }), [
    fields(K, gs, 0, p.studentGradScale ?? 0), b.student, q, stats, b.rowLoss, gs ? b.gradStudent : ctx.dummy(0), undefined, labels,
  ], rows);
  // 3. Teacher gradients.
  const tg = ctx.pipeline('multi_teacher', 'teacher_grad', { WG: rowWG(cols) });
  for (let k = 0; k < K; k++) {
    const scale = p.teacherGradScales?.[k];
    const out = b.gradTeachers?.[k];
    if (scale == null || !out) continue;
    ctx.dispatch(enc, tg, [fields(k, K, p.weights[k], scale), b.teachers[k], q, stats, out, undefined, b.student, labels], rows);
  }
  ctx.release(q);
  ctx.release(stats);
}

export function multiTeacherKL(rt: GpuRuntime, a: MultiTeacherArgs): MultiTeacherResult {
  const n = a.rows * a.cols;
  const rowLoss = rt.alloc(a.rows);
  const gradStudent = a.studentGradScale !== null ? rt.alloc(n) : undefined;
  const gradTeachers = a.teachers.map((_, k) => (a.teacherGradScales[k] != null ? rt.alloc(n) : undefined));
  encodeMultiTeacherKL(rt.ctx, rt.encoder(), {
    student: rt.buf(a.student), teachers: a.teachers.map((t) => rt.buf(t)), rowLoss: rowLoss.buffer!,
    gradStudent: gradStudent?.buffer ?? undefined, gradTeachers: gradTeachers.map((g) => g?.buffer ?? undefined),
    labels: a.rowMask ? rt.buf(a.rowMask.labels) : null,
  }, { ...a, ignoreIndex: a.rowMask?.ignoreIndex });
  const r: MultiTeacherResult = { rowLoss };
  if (gradStudent) r.gradStudent = gradStudent;
  if (gradTeachers.some((g) => g)) r.gradTeachers = gradTeachers;
  return r;
}
