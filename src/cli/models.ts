/**
 * The networks of the distillation demo, built from a small JSON-able description (so a model
 * file can be rebuilt by `kd-kernels eval`):
 *
 *   cnn   the teacher: conv3x3(32)-ReLU-maxpool2, conv3x3(64)-ReLU-maxpool2, dropout, fc128-ReLU,
 *         dropout (headDropout; absent in older files), fc10
 *   mlp   784-h1-...-10 with ReLU (the student is 784-32-10; the second multi-teacher teacher is 784-256-10);
 *         with `compress` (distill --compress) its Linear layers are CompressedLinear (src/cli/compress.ts)
 *
 * Every model also names its "feature" layer: the output of its last hidden ReLU (fc128 of the CNN,
 * the last hidden layer of an MLP), used by the hint (FitNets) and SP methods.
 */
import { nn } from '../index.js';
import type { CompressSpec } from './args.js';
import { CompressedLinear, describeCompress } from './compress.js';

export type Arch =
  | { kind: 'cnn'; channels: [number, number]; hidden: number; dropout: number; headDropout?: number }
  | { kind: 'mlp'; hidden: number[]; dropout: number; compress?: CompressSpec };

export const CLASSES = 10;
export const IMAGE_DIM = 784;

export const TEACHER_ARCH: Arch = { kind: 'cnn', channels: [32, 64], hidden: 128, dropout: 0.25, headDropout: 0.5 };
export const SECOND_TEACHER_ARCH: Arch = { kind: 'mlp', hidden: [256], dropout: 0.2 };
export function studentArch(hidden: number): Arch {
  return { kind: 'mlp', hidden: [hidden], dropout: 0 };
}

export interface Built {
  arch: Arch;
  model: InstanceType<typeof nn.Sequential>;
  /** Shape of one input image: [1, 28, 28] for the CNN, [784] for an MLP. */
  inputShape: number[];
  /** Layer index whose output is the feature (for forwardWithFeature) and its width. */
  featureIndex: number;
  featureDim: number;
}

export function describeArch(a: Arch): string {
  if (a.kind === 'cnn') return `CNN conv${a.channels[0]}-conv${a.channels[1]}-fc${a.hidden}-fc${CLASSES}`;
  return `MLP ${[IMAGE_DIM, ...a.hidden, CLASSES].join('-')}${a.compress ? ` (${describeCompress(a.compress)})` : ''}`;
}

/**
 * The largest model a file may declare, checked before anything is allocated: at most
 * MAX_MODEL_PARAMETERS parameters (64 MiB of float32), MAX_HIDDEN_LAYERS hidden layers, and at most
 * MAX_ACTIVATIONS_PER_IMAGE hidden activations per image (so a batch of 500 images stays within
 * 256 MiB). The demo's largest network (an MLP of --student-hidden 4096) is 3.3 M parameters.
 */
export const MAX_MODEL_PARAMETERS = 2 ** 24;
export const MAX_HIDDEN_LAYERS = 16;
export const MAX_ACTIVATIONS_PER_IMAGE = 2 ** 17;

/** Parameters and hidden activations per image of an architecture (arithmetic only, no allocation). */
export function archSize(a: Arch): { parameters: number; activations: number } {
  if (a.kind === 'cnn') {
    const [c1, c2] = a.channels;
    const parameters = c1 * 9 + c1 + c2 * c1 * 9 + c2 + a.hidden * c2 * 49 + a.hidden + CLASSES * a.hidden + CLASSES;
    return { parameters, activations: c1 * 28 * 28 + c2 * 14 * 14 + a.hidden };
  }
  let parameters = 0;
  let width = IMAGE_DIM;
  for (const h of [...a.hidden, CLASSES]) {
    parameters += width * h + h;
    width = h;
  }
  return { parameters, activations: a.hidden.reduce((x, y) => x + y, 0) };
}

function isCompressSpec(c: unknown): boolean {
  const o = c as Record<string, unknown> | null;
  return !!o && typeof o === 'object' && Object.keys(o).length === 2 && typeof o.prune === 'number' && o.prune >= 0 && o.prune < 1 &&
    typeof o.int8 === 'boolean' && (o.prune > 0 || o.int8);
}

/** Check an arch read from a file, its size included (throws Error with one line). */
export function checkArch(a: unknown): Arch {
  const o = a as Record<string, unknown> | null;
  const posInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 65536;
  const prob = (v: unknown) => typeof v === 'number' && v >= 0 && v < 1;
  let arch: Arch | null = null;
  if (o && o.kind === 'cnn' && Array.isArray(o.channels) && o.channels.length === 2 && o.channels.every(posInt) && posInt(o.hidden) && prob(o.dropout) && (o.headDropout === undefined || prob(o.headDropout))) {
    arch = a as Arch;
  } else if (o && o.kind === 'mlp' && Array.isArray(o.hidden) && o.hidden.every(posInt) && prob(o.dropout) && (o.compress === undefined || isCompressSpec(o.compress))) {
    arch = a as Arch;
  }
  if (!arch) throw new Error(`unknown model architecture ${JSON.stringify(a)}`);
  const { parameters, activations } = archSize(arch);
  const big = (what: string) =>
    new Error(`architecture ${describeArch(arch!)} is too large: ${what} (a cap that keeps a model file from claiming unbounded memory)`);
  if (arch.kind === 'mlp' && arch.hidden.length > MAX_HIDDEN_LAYERS) throw big(`${arch.hidden.length} hidden layers, at most ${MAX_HIDDEN_LAYERS}`);
  if (parameters > MAX_MODEL_PARAMETERS) throw big(`${parameters} parameters, at most ${MAX_MODEL_PARAMETERS}`);
  if (activations > MAX_ACTIVATIONS_PER_IMAGE) throw big(`${activations} hidden activations per image, at most ${MAX_ACTIVATIONS_PER_IMAGE}`);
  return arch;
}

export function buildModel(arch: Arch, seed?: number): Built {
  // Seeds: one per layer, derived from `seed` so a run is reproducible.
  let k = 0;
  const s = () => (seed === undefined ? undefined : (seed * 7919 + ++k * 104729) >>> 0);
  if (arch.kind === 'cnn') {
    const [c1, c2] = arch.channels;
    const layers = [
      new nn.Conv2d(1, c1, 3, { padding: 1, seed: s() }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(c1, c2, 3, { padding: 1, seed: s() }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Dropout(arch.dropout),
      new nn.Linear(c2 * 7 * 7, arch.hidden, { seed: s() }),
      new nn.ReLU(),
      ...(arch.headDropout ? [new nn.Dropout(arch.headDropout)] : []),
      new nn.Linear(arch.hidden, CLASSES, { seed: s() }),
    ];
    return { arch, model: new nn.Sequential(...layers), inputShape: [1, 28, 28], featureIndex: 9, featureDim: arch.hidden };
  }
  const layers: InstanceType<typeof nn.Module>[] = [];
  let width = IMAGE_DIM;
  let featureIndex = -1;
  const spec = arch.compress;
  const dense = (i: number, o: number) => (spec ? new CompressedLinear(i, o, spec, { seed: s() }) : new nn.Linear(i, o, { seed: s() }));
  for (const h of arch.hidden) {
    layers.push(dense(width, h), new nn.ReLU());
    featureIndex = layers.length - 1;
    if (arch.dropout > 0) layers.push(new nn.Dropout(arch.dropout));
    width = h;
  }
  layers.push(dense(width, CLASSES));
  return {
    arch,
    model: new nn.Sequential(...layers),
    inputShape: [IMAGE_DIM],
    featureIndex: featureIndex < 0 ? layers.length - 1 : featureIndex,
    featureDim: arch.hidden.length ? width : CLASSES,
  };
}

/** The FitNets regressor from the student's hidden layer to the teacher's feature layer. */
export function buildRegressor(studentDim: number, teacherDim: number, seed?: number) {
  return new nn.Linear(studentDim, teacherDim, { seed });
}
