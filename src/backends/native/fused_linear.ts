/**
 * Fused linear + KD for the raw native layer (kd-kernels/native): the chunked host driver
 * (src/backends/fused_linear.ts) on the addon's threaded GEMM and fused losses, reading the caller's
 * Float32Arrays in place and writing into the caller's outputs (gradWeight / gradBias accumulated).
 * The Tensor API's native backend runs the same driver (src/backends/native/index.ts).
 */
import type { Backend } from '../backend.js';
import { HostStorage } from '../cpu/storage.js';
import { fusedLinearKd } from '../cpu/fused_linear.js';
import type { FusedLinearIO, FusedLinearParams } from '../fused_linear.js';
import { loadNativeBackend } from './index.js';

type F32 = Float32Array;

/** Already-checked arrays of one raw call. */
export type FusedLinearArrays = FusedLinearIO<F32, Int32Array>;

let backend: Backend | null = null;

export function fusedLinearKdArrays(x: FusedLinearArrays, p: FusedLinearParams): void {
  backend ??= loadNativeBackend();
  const w = (a: F32 | Int32Array | null) => (a ? new HostStorage(a) : null);
  fusedLinearKd(backend, {
    ...p,
    studentHidden: w(x.studentHidden)!, studentWeight: w(x.studentWeight)!, studentBias: w(x.studentBias),
    teacherHidden: w(x.teacherHidden)!, teacherWeight: w(x.teacherWeight)!, teacherBias: w(x.teacherBias),
    labels: w(x.labels), hardGradScale: x.hardRow ? p.hardGradScale : null,
    grads: { hidden: !!x.gradHidden, weight: !!x.gradWeight, bias: !!x.gradBias },
  }, {
    softRow: w(x.softRow)!, hardRow: w(x.hardRow) ?? undefined, gradHidden: w(x.gradHidden) ?? undefined,
    gradWeight: w(x.gradWeight) ?? undefined, gradBias: w(x.gradBias) ?? undefined,
  });
}
