/**
 * Fused cross-entropy (label smoothing, ignoreIndex, class weights; PyTorch per-row loss) on
 * WebGPU: shaders/cross_entropy.wgsl, one workgroup per row.
 */
import type { CrossEntropyArgs, CrossEntropyResult } from '../backend.js';
import { rowWG, want, type KernelContext } from './context.js';
import type { GpuRuntime } from './runtime.js';

export interface CrossEntropyBuffers {
  logits: GPUBuffer; // [rows, cols]
  labels: GPUBuffer; // int32 [rows]
  weight?: GPUBuffer | null; // [cols]
  rowLoss: GPUBuffer; // [rows] out
  grad?: GPUBuffer; // [rows, cols] out, when gradScale is non-null
}

export interface CrossEntropyParams {
  rows: number;
  cols: number;
  labelSmoothing?: number; // default 0
  ignoreIndex?: number; // default -100
  gradScale?: number | null;
}

export function encodeCrossEntropy(ctx: KernelContext, enc: GPUCommandEncoder, b: CrossEntropyBuffers, p: CrossEntropyParams): void {
  const g = want(p.gradScale) && b.grad ? 1 : 0;
  const w = b.weight ? 1 : 0;
  const u = ctx.uniform([
    ['u32', p.rows], ['u32', p.cols], ['i32', p.ignoreIndex ?? -100], ['u32', g | (w << 1)],
    ['f32', p.labelSmoothing ?? 0], ['f32', p.gradScale ?? 0], ['u32', 0x7f800000],
  ]);
  ctx.dispatch(enc, ctx.pipeline('cross_entropy', 'main', { WG: rowWG(p.cols) }), [
    u, b.logits, b.labels, b.weight ?? ctx.dummy(0), b.rowLoss, g ? b.grad : ctx.dummy(1),
  ], p.rows);
}

export function crossEntropy(rt: GpuRuntime, a: CrossEntropyArgs): CrossEntropyResult {
  const rowLoss = rt.alloc(a.rows);
  const grad = a.gradScale !== null ? rt.alloc(a.rows * a.cols) : undefined;
  encodeCrossEntropy(rt.ctx, rt.encoder(), {
    logits: rt.buf(a.logits), labels: rt.buf(a.labels), weight: a.weight ? rt.buf(a.weight) : null,
    rowLoss: rowLoss.buffer!, grad: grad?.buffer ?? undefined,
  }, a);
  return grad ? { rowLoss, grad } : { rowLoss };
}
