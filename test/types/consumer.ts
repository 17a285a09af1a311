// A strict TypeScript consumer of kd-kernels' declarations, as a Node user writes it: no DOM lib, no
// @webgpu/types, skipLibCheck false (test/spec/types.spec.ts compiles it). `Expect<Equal<A, B>>`
// fails to compile unless A and B are the same type; `@ts-expect-error` fails unless the line errs.
import { losses, optim, tensor, zeros, useWebGPU, type Tensor } from 'kd-kernels';
import { native, type Isa } from 'kd-kernels/native';
import { createKernels, type WebGPUKernels } from 'kd-kernels/webgpu';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

export async function readme(studentLogits: Float32Array, teacherLogits: Float32Array, y: number[], B: number, C: number): Promise<void> {
  const s = tensor(studentLogits, [B, C], { requiresGrad: true });
  const t = tensor(teacherLogits, [B, C], { copy: false });
  const labels = tensor(Int32Array.from(y), [B], { dtype: 'int32' });
  const inferred = tensor(new Int32Array(B), [B]);
  const loss = losses.hintonLoss(s, t, labels, { temperature: 4, alpha: 0.9 });
  loss.backward();
  new optim.SGD([s], { lr: 0.1 }).step();
  const g = await s.grad!.data();
  const gs = s.grad!.dataSync();
  const v = s.hostView();
  const l = await labels.data();
  type _ = [
    Expect<Equal<typeof s, Tensor>>,
    Expect<Equal<typeof labels, Tensor<'int32'>>>,
    Expect<Equal<typeof inferred, Tensor<'int32'>>>,
    Expect<Equal<typeof g, Float32Array>>,
    Expect<Equal<typeof gs, Float32Array>>,
    Expect<Equal<typeof v, Float32Array>>,
    Expect<Equal<typeof l, Int32Array>>,
    Expect<Equal<ReturnType<typeof labels.dataSync>, Int32Array>>,
    Expect<Equal<typeof labels.dtype, 'int32'>>,
    Expect<Equal<ReturnType<typeof zeros<'int32'>>, Tensor<'int32'>>>,
    Expect<Equal<ReturnType<typeof labels.reshape>, Tensor<'int32'>>>,
  ];
  // @ts-expect-error labels are int32: their data is not a Float32Array
  const wrong: Float32Array = await labels.data();
  // @ts-expect-error a float tensor is not labels
  losses.crossEntropy(s, t);
  // @ts-expect-error float ops take float tensors
  labels.add(1);
  void wrong;
}

export function raw(student: Float32Array, teacher: Float32Array, labels: Int32Array, rows: number, cols: number): void {
  const gradStudent = new Float32Array(rows * cols);
  const r = native.softmaxKL({ student, teacher, rows, cols, temperature: 4, gradStudent, studentGradScale: 1 / rows });
  const used: number = r.gradStudent[0] + r.rowLoss[0]; // no `| undefined` on what was passed
  const ce = native.crossEntropy({ logits: student, labels, rows, cols });
  const h = native.hinton({ student, teacher, labels, rows, cols, grad: gradStudent });
  const mt = native.multiTeacherKL({ student, teachers: [teacher], rows, cols, gradTeachers: [gradStudent] });
  const info = native.info();
  type _ = [
    Expect<Equal<typeof r.gradStudent, Float32Array<ArrayBuffer>>>,
    Expect<Equal<typeof r.gradTeacher, undefined>>,
    Expect<Equal<typeof ce.grad, undefined>>,
    Expect<Equal<typeof h.grad, Float32Array<ArrayBuffer>>>,
    Expect<Equal<typeof mt.gradTeachers, Float32Array<ArrayBuffer>[]>>,
    Expect<Equal<typeof info.isa, Isa>>,
    Expect<Equal<Isa, 'scalar' | 'avx2' | 'avx512' | 'neon'>>,
  ];
  // @ts-expect-error not an ISA
  const isa: typeof info.isa = 'sse2';
  void used; void isa;
}

export async function gpu(): Promise<WebGPUKernels> {
  // Without @webgpu/types the device is an opaque handle, still passed along with its type.
  const backend = await useWebGPU({ powerPreference: 'high-performance' });
  return createKernels(backend.device);
}
