/**
 * The networks of the distillation demo, built from a small JSON-able description (so a model
 * file can be rebuilt by `kd-kernels eval`):
 *
 *   cnn   the teacher: conv3x3(32)-ReLU-maxpool2, conv3x3(64)-ReLU-maxpool2, dropout, fc128-ReLU, fc10
 *   mlp   784-h1-...-10 with ReLU (the student is 784-32-10; the second multi-teacher teacher is 784-256-10)
 *
 * Every model also names its "feature" layer: the output of its last hidden ReLU (fc128 of the CNN,
 * the last hidden layer of an MLP), used by the hint (FitNets) and SP methods.
 */
import { nn } from '../index.js';

export type Arch =
  | { kind: 'cnn'; channels: [number, number]; hidden: number; dropout: number }
  | { kind: 'mlp'; hidden: number[]; dropout: number };

export const CLASSES = 10;
export const IMAGE_DIM = 784;

export const TEACHER_ARCH: Arch = { kind: 'cnn', channels: [32, 64], hidden: 128, dropout: 0.25 };
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
  return `MLP ${[IMAGE_DIM, ...a.hidden, CLASSES].join('-')}`;
}

/** Check an arch read from a file (throws Error with one line). */
export function checkArch(a: unknown): Arch {
  const o = a as Record<string, unknown> | null;
  const posInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 65536;
  const prob = (v: unknown) => typeof v === 'number' && v >= 0 && v < 1;
  if (o && o.kind === 'cnn' && Array.isArray(o.channels) && o.channels.length === 2 && o.channels.every(posInt) && posInt(o.hidden) && prob(o.dropout)) {
    return a as Arch;
  }
  if (o && o.kind === 'mlp' && Array.isArray(o.hidden) && o.hidden.every(posInt) && prob(o.dropout)) return a as Arch;
  throw new Error(`unknown model architecture ${JSON.stringify(a)}`);
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
      new nn.Linear(arch.hidden, CLASSES, { seed: s() }),
    ];
    return { arch, model: new nn.Sequential(...layers), inputShape: [1, 28, 28], featureIndex: 9, featureDim: arch.hidden };
  }
  const layers: InstanceType<typeof nn.Module>[] = [];
  let width = IMAGE_DIM;
  let featureIndex = -1;
  for (const h of arch.hidden) {
    layers.push(new nn.Linear(width, h, { seed: s() }), new nn.ReLU());
    featureIndex = layers.length - 1;
    if (arch.dropout > 0) layers.push(new nn.Dropout(arch.dropout));
    width = h;
  }
  layers.push(new nn.Linear(width, CLASSES, { seed: s() }));
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
