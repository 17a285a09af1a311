/**
 * Fused Hinton loss on WebGPU (shaders/hinton.wgsl): the soft row T^2 KL(p_t || p_s) at T, the
 * hard cross-entropy row at T = 1, and grad = softScale * dsoft + hardScale * dhard, one dispatch.
 */
import type { HintonArgs, HintonResult } from '../backend.js';
import { rowWG, type KernelContext } from './context.js';
import type { GpuRuntime } from './runtime.js';

export interface HintonBuffers {
  student: GPUBuffer; // [rows, cols]
  teacher: GPUBuffer; // [rows, cols]
  labels: GPUBuffer; // int32 [rows]
  weight?: GPUBuffer | null; // [cols]
  softRow: GPUBuffer; // [rows] out
  hardRow: GPUBuffer; // [rows] out
  grad?: GPUBuffer; // [rows, cols] out, when a grad scale is non-null
}

export interface HintonParams {
  rows: number;
  cols: number;
  temperature: number;
  labelSmoothing?: number;
  ignoreIndex?: number;
  softGradScale?: number | null;
  hardGradScale?: number | null;
}

export function encodeHinton(ctx: KernelContext, enc: GPUCommandEncoder, b: HintonBuffers, p: HintonParams): void {
  const T = p.temperature;
  const wantGrad = (p.softGradScale != null || p.hardGradScale != null) && b.grad ? 1 : 0;
  const w = b.weight ? 1 : 0;
  const u = ctx.uniform([
    ['u32', p.rows], ['u32', p.cols], ['i32', p.ignoreIndex ?? -100], ['u32', wantGrad | (w << 1)],
    ['f32', 1 / T], ['f32', T], ['f32', T * T], ['f32', 4 * T], ['f32', p.labelSmoothing ?? 0],
    ['f32', p.softGradScale ?? 0], ['f32', p.hardGradScale ?? 0], ['u32', 0x7f800000],
  ]);
  ctx.dispatch(enc, ctx.pipeline('hinton', 'main', { WG: rowWG(p.cols) }), [
    u, b.student, b.teacher, b.labels, b.weight ?? ctx.dummy(0), b.softRow, b.hardRow,
    wantGrad ? b.grad : ctx.dummy(1),
  ], p.rows);
}

export function hinton(rt: GpuRuntime, a: HintonArgs): HintonResult {
  const softRow = rt.alloc(a.rows);
  const hardRow = rt.alloc(a.rows);
  const grad = a.softGradScale !== null || a.hardGradScale !== null ? rt.alloc(a.rows * a.cols) : undefined;
  encodeHinton(rt.ctx, rt.encoder(), {
    student: rt.buf(a.student), teacher: rt.buf(a.teacher), labels: rt.buf(a.labels),
    weight: a.weight ? rt.buf(a.weight) : null, softRow: softRow.buffer!, hardRow: hardRow.buffer!,
    grad: grad?.buffer ?? undefined,
  }, a);
  return grad ? { softRow, hardRow, grad } : { softRow, hardRow };
}
