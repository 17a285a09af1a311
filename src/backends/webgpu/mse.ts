/**
 * MSE pieces on WebGPU (shaders/mse.wgsl + reduce.wgsl's finish): sumSq = sum (a - b)^2 and the
 * scaled gradients 2 (a - b), 2 (b - a), one grid-stride pass.
 */
import type { MseArgs, MseResult } from '../backend.js';
import type { KernelContext } from './context.js';
import { encodeFinish, MAX_PARTIALS } from './reduce.js';
import type { GpuRuntime } from './runtime.js';

const WG = 256;

export interface MseBuffers {
  a: GPUBuffer;
  b: GPUBuffer;
  sumSq: GPUBuffer; // [1] out
  gradA?: GPUBuffer;
  gradB?: GPUBuffer;
}

export interface MseParams {
  size: number;
  aGradScale?: number | null;
  bGradScale?: number | null;
}

export function encodeMse(ctx: KernelContext, enc: GPUCommandEncoder, b: MseBuffers, p: MseParams): void {
  const ga = p.aGradScale != null && b.gradA ? 1 : 0;
  const gb = p.bGradScale != null && b.gradB ? 1 : 0;
  const groups = Math.max(1, Math.min(MAX_PARTIALS, Math.ceil(p.size / WG)));
  const partials = ctx.scratch(groups * 4);
  const u = ctx.uniform([
    ['u32', p.size], ['u32', ga | (gb << 1)], ['u32', 0], ['u32', 0],
    ['f32', p.aGradScale ?? 0], ['f32', p.bGradScale ?? 0],
  ]);
  ctx.dispatch(enc, ctx.pipeline('mse', 'partial'), [
    u, b.a, b.b, partials, ga ? b.gradA : ctx.dummy(0), gb ? b.gradB : ctx.dummy(1),
  ], [groups, 1]);
  encodeFinish(ctx, enc, partials, groups, b.sumSq, 1);
  ctx.release(partials);
}

export function mse(rt: GpuRuntime, a: MseArgs): MseResult {
  const sumSq = rt.alloc(1);
  const gradA = a.aGradScale !== null ? rt.alloc(a.size) : undefined;
  const gradB = a.bGradScale !== null ? rt.alloc(a.size) : undefined;
  encodeMse(rt.ctx, rt.encoder(), {
    a: rt.buf(a.a), b: rt.buf(a.b), sumSq: sumSq.buffer!, gradA: gradA?.buffer ?? undefined, gradB: gradB?.buffer ?? undefined,
  }, a);
  const r: MseResult = { sumSq };
  if (gradA) r.gradA = gradA;
  if (gradB) r.gradB = gradB;
  return r;
}
