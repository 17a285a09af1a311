/**
 * Similarity-preserving (Gram) loss on WebGPU (shaders/gram.wgsl): tiled G = F F^T for both
 * networks, a row pass (normalised rows, loss rows, dG rows), a one-workgroup finish, and tiled
 * dF = (dG + dG^T) F for each requested gradient.
 */
import type { GramArgs, GramResult } from '../backend.js';
import { rowWG, type KernelContext } from './context.js';
import type { GpuRuntime } from './runtime.js';

const TILE = 16;

export interface GramBuffers {
  student: GPUBuffer; // [b, ds]
  teacher: GPUBuffer; // [b, dt]
  loss: GPUBuffer; // [1] out
  gradStudent?: GPUBuffer; // [b, ds] out
  gradTeacher?: GPUBuffer; // [b, dt] out
}

export interface GramParams {
  b: number;
  ds: number;
  dt: number;
  studentGradScale?: number | null;
  teacherGradScale?: number | null;
}

export function encodeGramSimilarity(ctx: KernelContext, enc: GPUCommandEncoder, bufs: GramBuffers, p: GramParams): void {
  const { b, ds, dt } = p;
  const tiles = Math.ceil(b / TILE);
  const bb = b * b * 4;
  ctx.checkBinding(bb, `the ${b} x ${b} Gram matrix`);
  const gs = p.studentGradScale != null && bufs.gradStudent ? 1 : 0;
  const gt = p.teacherGradScale != null && bufs.gradTeacher ? 1 : 0;
  const coef = (s: number | null | undefined) => (2 * (s ?? 0)) / (b * b);
  const u = (d: number) => ctx.uniform([
    ['u32', b], ['u32', d], ['u32', gs | (gt << 1)], ['u32', 0],
    ['f32', coef(p.studentGradScale)], ['f32', coef(p.teacherGradScale)], ['f32', 1 / (b * b)],
  ]);
  // 1. Gram matrices.
  const Gs = ctx.scratch(bb);
  const Gt = ctx.scratch(bb);
  const gram = ctx.pipeline('gram', 'gram');
  ctx.dispatch(enc, gram, [u(ds), bufs.student, undefined, Gs], [tiles, tiles]);
  ctx.dispatch(enc, gram, [u(dt), bufs.teacher, undefined, Gt], [tiles, tiles]);
  // 2. Loss rows and dG rows, 3. the loss.
  const rowLoss = ctx.scratch(b * 4);
  const dGs = gs ? ctx.scratch(bb) : undefined;
  const dGt = gt ? ctx.scratch(bb) : undefined;
  ctx.dispatch(enc, ctx.pipeline('gram', 'rows', { WG: rowWG(b) }), [u(0), Gs, Gt, rowLoss, dGs ?? ctx.dummy(0), dGt ?? ctx.dummy(1)], b);
  ctx.dispatch(enc, ctx.pipeline('gram', 'finish'), [u(0), rowLoss, undefined, bufs.loss], [1, 1]);
  // 4. dF = (dG + dG^T) F.
  const gradF = ctx.pipeline('gram', 'grad_f');
  if (dGs) ctx.dispatch(enc, gradF, [u(ds), dGs, bufs.student, bufs.gradStudent], [Math.ceil(ds / TILE), tiles]);
  if (dGt) ctx.dispatch(enc, gradF, [u(dt), dGt, bufs.teacher, bufs.gradTeacher], [Math.ceil(dt / TILE), tiles]);
  for (const x of [Gs, Gt, rowLoss, dGs, dGt]) if (x) ctx.release(x);
}

export function gramSimilarity(rt: GpuRuntime, a: GramArgs): GramResult {
  const loss = rt.alloc(1);
  const gradStudent = a.studentGradScale !== null ? rt.alloc(a.b * a.ds) : undefined;
  const gradTeacher = a.teacherGradScale !== null ? rt.alloc(a.b * a.dt) : undefined;
  encodeGramSimilarity(rt.ctx, rt.encoder(), {
    student: rt.buf(a.student), teacher: rt.buf(a.teacher), loss: loss.buffer!,
    gradStudent: gradStudent?.buffer ?? undefined, gradTeacher: gradTeacher?.buffer ?? undefined,
  }, a);
  const r: GramResult = { loss };
  if (gradStudent) r.gradStudent = gradStudent;
  if (gradTeacher) r.gradTeacher = gradTeacher;
  return r;
}
