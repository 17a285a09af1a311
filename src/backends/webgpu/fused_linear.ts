/**
 * Fused linear + KD on WebGPU: the chunked driver of src/backends/fused_linear.ts on this backend's
 * matmul and fused loss shaders, every chunk encoded into the same command encoder (one submit for
 * the whole loss when the caller's encoder is used, see src/webgpu.ts). Row blocks are copies of
 * chunk x dim floats (copyBufferToBuffer), small next to the chunk x vocab logits.
 */
import type { Backend, FusedLinearKdArgs, FusedLinearKdResult } from '../backend.js';
import { runFusedLinearKd, type FusedLinearIO, type FusedLinearOutputs, type FusedLinearParams, type RowBlocks } from '../fused_linear.js';
import type { GpuRuntime } from './runtime.js';
import { GpuStorage } from './storage.js';

export function gpuRowBlocks(rt: GpuRuntime): RowBlocks {
  return {
    take(x, r0, count, cols) {
      const s = rt.alloc(count * cols, x.dtype);
      if (count * cols > 0) rt.encoder().copyBufferToBuffer(rt.buf(x), r0 * cols * 4, s.buffer!, 0, count * cols * 4);
      return s;
    },
    put(dst, r0, src, count, cols) {
      if (count * cols > 0) rt.encoder().copyBufferToBuffer(rt.buf(src), 0, rt.buf(dst), r0 * cols * 4, count * cols * 4);
    },
    drop: (s) => rt.dispose(s),
  };
}

export function fusedLinearKd(be: Backend, rt: GpuRuntime, a: FusedLinearKdArgs, out?: FusedLinearOutputs): FusedLinearKdResult {
  return runFusedLinearKd(be, gpuRowBlocks(rt), a, out);
}

/** Already-checked buffers of one raw call (kd-kernels/webgpu). */
export type FusedLinearBuffers = FusedLinearIO<GPUBuffer>;

/**
 * Encodes the whole chunked loss into the caller's encoder (the caller submits; calls must be
 * submitted in the order they were made, as their scratch buffers come from one pool).
 * gradHidden is written; gradWeight and gradBias are accumulated into (+=).
 */
export function encodeFusedLinearKd(rt: GpuRuntime, be: Backend, enc: GPUCommandEncoder, x: FusedLinearBuffers, p: FusedLinearParams): void {
  const { rows: N, vocab: V, studentDim: Hs, teacherDim: Ht } = p;
  const w = (b: GPUBuffer | null, size: number, dtype: 'float32' | 'int32' = 'float32') => (b ? new GpuStorage(b, size, dtype) : null);
  rt.encodeInto(enc, () => fusedLinearKd(be, rt, {
    ...p,
    studentHidden: w(x.studentHidden, N * Hs)!, studentWeight: w(x.studentWeight, V * Hs)!, studentBias: w(x.studentBias, V),
    teacherHidden: w(x.teacherHidden, N * Ht)!, teacherWeight: w(x.teacherWeight, V * Ht)!, teacherBias: w(x.teacherBias, V),
    labels: w(x.labels, N, 'int32'), hardGradScale: x.hardRow ? p.hardGradScale : null,
    grads: { hidden: !!x.gradHidden, weight: !!x.gradWeight, bias: !!x.gradBias },
  }, {
    softRow: w(x.softRow, N)!, hardRow: w(x.hardRow, N) ?? undefined, gradHidden: w(x.gradHidden, N * Hs) ?? undefined,
    gradWeight: w(x.gradWeight, V * Hs) ?? undefined, gradBias: w(x.gradBias, V) ?? undefined,
  }));
}
