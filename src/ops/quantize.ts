/**
 * Fake quantisation (quantisation-aware training), torch.fake_quantize_per_tensor_affine: x rounded
 * to its integer level and back, y = (clamp(roundHalfEven(x / scale) + zeroPoint, qmin, qmax) -
 * zeroPoint) * scale, with the straight-through gradient dx = g where the level is in [qmin, qmax]
 * and 0 where it was clamped (Bengio et al. 2013; Jacob et al. 2018). The definition to the bit
 * (PyTorch's float32 reciprocal, NaN and infinities) is FakeQuantizeParams in src/backends/backend.ts.
 */
import type { Tensor } from '../tensor.js';
import { checkNumber, checkOptions, checkTemperature } from '../kernels/validate.js';
import { maskedOutput } from './dropout.js';
import { f32Tensor } from './util.js';

export interface FakeQuantizeOptions {
  /** Integer in [qmin, qmax]; default 0. */
  zeroPoint?: number;
  /** Integer range of the levels; default -128 .. 127 (int8). |qmin|, |qmax| <= 2^22. */
  qmin?: number;
  qmax?: number;
}

/** Levels beyond this are not exact in the float32 kernels' comparisons (q +- 0.5). */
const MAX_LEVEL = 2 ** 22;
/** Largest scale whose float32 reciprocal is a normal number. */
const MAX_SCALE = 2 ** 126;

export function fakeQuantize(x: Tensor, scale: number, opts: FakeQuantizeOptions = {}): Tensor {
  f32Tensor(x, 'x');
  const s = checkTemperature(scale, 'scale');
  if (s > MAX_SCALE) throw new RangeError(`scale must be <= 2^126 (its float32 reciprocal must be a normal number), got ${s}`);
  checkOptions(opts, 'fakeQuantize options', ['zeroPoint', 'qmin', 'qmax']);
  const level = { integer: true, min: -MAX_LEVEL, max: MAX_LEVEL };
  const qmin = checkNumber(opts.qmin ?? -128, 'qmin', level);
  const qmax = checkNumber(opts.qmax ?? 127, 'qmax', { ...level, min: qmin });
  const zeroPoint = checkNumber(opts.zeroPoint ?? 0, 'zeroPoint', { integer: true, min: qmin, max: qmax });
  return maskedOutput('fakeQuantize', x, x.backend.fakeQuantize(x.storage, x.size, { scale: s, zeroPoint, qmin, qmax }));
}
