// The same declarations in a program that has @webgpu/types (and the DOM lib): kd-kernels' GPU
// interfaces merge into the real ones, so devices and buffers keep their full types both ways.
import { useWebGPU } from 'kd-kernels';
import { createKernels } from 'kd-kernels/webgpu';

export async function gpu(device: GPUDevice, rows: number, cols: number): Promise<GPUBuffer> {
  const backend = await useWebGPU({ device });
  const own: GPUDevice = backend.device;
  const buf = own.createBuffer({ size: rows * cols * 4, usage: GPUBufferUsage.STORAGE });
  const kernels = createKernels(device);
  const enc: GPUCommandEncoder = device.createCommandEncoder();
  kernels.softmaxKL(enc, { student: buf, teacher: buf, rowLoss: buf, rows, cols, temperature: 4, divergence: 'forward-kl' });
  device.queue.submit([enc.finish()]);
  return buf;
}
