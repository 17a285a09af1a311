// A strict TypeScript consumer (skipLibCheck: false), compiled as CommonJS and as ESM by
// .ci/consumer.sh: the declarations must type-check, results read as Float32Array, and the WebGPU
// types (GPUDevice) resolve without @webgpu/types (opaque interfaces in the declarations).
import { getBackend, losses, tensor, useWebGPU, type Tensor, type WebGPUOptions } from 'kd-kernels';
import { native } from 'kd-kernels/native';
import { createKernels, type WebGPUKernels } from 'kd-kernels/webgpu';

const s: Tensor = tensor([1, 2, 3, 3, 2, 1], [2, 3], { requiresGrad: true });
const loss = losses.kdLoss(s, tensor([3, 2, 1, 1, 2, 3], [2, 3]), { temperature: 2 });
loss.backward();
const value: Float32Array = loss.dataSync();
const grad: Float32Array = s.grad!.dataSync();
const isa: string = native.info().isa;
const options: WebGPUOptions = { powerPreference: 'high-performance', makeCurrent: false };
const kernelsFor: (device: GPUDevice) => WebGPUKernels = createKernels;
if (getBackend().name !== 'native') throw new Error(`expected the native backend, got ${getBackend().name}`);
if (!(value[0] > 0) || grad.length !== 6) throw new Error(`bad result ${value[0]}, ${grad.length} gradients`);
console.log(`typescript: native ${isa}, kdLoss ${value[0].toFixed(6)}; useWebGPU and createKernels typed (${typeof useWebGPU}, ${typeof kernelsFor}, ${Object.keys(options).length} options)`);
