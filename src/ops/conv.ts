/** conv2d (NCHW, stride, zero padding, groups) and maxPool2d, with gradients. */
import type { ConvShape, PoolShape } from '../backends/backend.js';
import { Tensor, fromStorage } from '../tensor.js';
import { record } from '../autograd/node.js';
import { checkNumber, checkSameBackend, checkTensor, fmtShape } from '../kernels/validate.js';

export interface Conv2dOptions {
  stride?: number;
  padding?: number;
  groups?: number;
}

export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  checkTensor(x, 'x', { dtype: 'float32', rank: 4 });
  checkTensor(weight, 'weight', { dtype: 'float32', rank: 4 });
  const stride = checkNumber(opts.stride ?? 1, 'stride', { integer: true, min: 1 });
  const padding = checkNumber(opts.padding ?? 0, 'padding', { integer: true, min: 0 });
  const groups = checkNumber(opts.groups ?? 1, 'groups', { integer: true, min: 1 });
  const [n, cIn, h, w] = x.shape;
  const [cOut, cPerG, kh, kw] = weight.shape;
  if (cIn % groups !== 0 || cOut % groups !== 0) {
    throw new RangeError(`conv2d: groups (${groups}) must divide the input channels (${cIn}) and output channels (${cOut})`);
  }
  if (cPerG !== cIn / groups) {
    throw new RangeError(`conv2d: weight must have shape [${cOut}, ${cIn / groups}, kh, kw] for x ${fmtShape(x.shape)} and groups ${groups}, got ${fmtShape(weight.shape)}`);
  }
  const inputs = [x, weight];
  if (bias) {
    checkTensor(bias, 'bias', { dtype: 'float32' });
    if (bias.size !== cOut) throw new RangeError(`conv2d: bias must have shape [${cOut}], got ${fmtShape(bias.shape)}`);
    inputs.push(bias);
  }
  checkSameBackend(inputs, ['x', 'weight', 'bias']);
  const hOut = Math.floor((h + 2 * padding - kh) / stride) + 1;
  const wOut = Math.floor((w + 2 * padding - kw) / stride) + 1;
  if (hOut < 1 || wOut < 1) throw new RangeError(`conv2d: kernel ${kh}x${kw} is larger than the padded input ${h}x${w}`);
  const s: ConvShape = { n, cIn, h, w, cOut, kh, kw, stride, padding, groups, hOut, wOut };
  const be = x.backend;
  const y = fromStorage(be, be.conv2d(x.storage, weight.storage, bias?.storage ?? null, s), [n, cOut, hOut, wOut]);
  return record(y, 'conv2d', inputs, (g) => {
    const r = be.conv2dBackward(g.storage, x.storage, weight.storage, s, {
      x: x.requiresGrad,
      w: weight.requiresGrad,
      bias: !!bias?.requiresGrad,
    });
    return [
      r.dx ? fromStorage(be, r.dx, x.shape) : null,
      r.dw ? fromStorage(be, r.dw, weight.shape) : null,
      r.dbias && bias ? fromStorage(be, r.dbias, bias.shape) : null,
    ];
  });
}

export function maxPool2d(x: Tensor, kernel: number, stride: number = kernel): Tensor {
  checkTensor(x, 'x', { dtype: 'float32', rank: 4 });
  checkNumber(kernel, 'kernelSize', { integer: true, min: 1 });
  checkNumber(stride, 'stride', { integer: true, min: 1 });
  const [n, c, h, w] = x.shape;
  const hOut = Math.floor((h - kernel) / stride) + 1;
  const wOut = Math.floor((w - kernel) / stride) + 1;
  if (hOut < 1 || wOut < 1) throw new RangeError(`maxPool2d: kernel ${kernel} is larger than the input ${h}x${w}`);
  const s: PoolShape = { n, c, h, w, kernel, stride, hOut, wOut };
  const be = x.backend;
  const { y: ys, argmax } = be.maxPool2d(x.storage, s);
  const y = fromStorage(be, ys, [n, c, hOut, wOut]);
  const idx = fromStorage(be, argmax, [n, c, hOut, wOut]);
  if (!x.requiresGrad) idx.dispose();
  return record(y, 'maxPool2d', [x], (g) => [fromStorage(be, be.maxPool2dBackward(g.storage, idx.storage, s), x.shape)]);
}
