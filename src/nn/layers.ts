/** Layers with PyTorch's default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases. */
import { Tensor, nextSeed, rand } from '../tensor.js';
import { linear } from '../ops/matmul.js';
import { conv2d, maxPool2d } from '../ops/conv.js';
import { relu } from '../ops/unary.js';
import { flatten } from '../ops/shape.js';
import { dropout } from '../ops/dropout.js';
import { checkNumber } from '../kernels/validate.js';
import { Module } from './module.js';

export interface InitOptions {
  /** Seed of the initialisation (default: the global stream, see manualSeed). */
  seed?: number;
  bias?: boolean;
}

function uniformParam(shape: number[], bound: number, seed: number): Tensor {
  return rand(shape, { low: -bound, high: bound, seed });
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: InitOptions = {}) {
    super();
    checkNumber(inFeatures, 'inFeatures', { integer: true, min: 1 });
    checkNumber(outFeatures, 'outFeatures', { integer: true, min: 1 });
    const seed = opts.seed ?? nextSeed();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.registerParameter('weight', uniformParam([outFeatures, inFeatures], bound, seed));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', uniformParam([outFeatures], bound, seed + 1));
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

export interface Conv2dLayerOptions extends InitOptions {
  stride?: number;
  padding?: number;
  groups?: number;
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: number;
  readonly padding: number;
  readonly groups: number;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, opts: Conv2dLayerOptions = {}) {
    super();
    checkNumber(inChannels, 'inChannels', { integer: true, min: 1 });
    checkNumber(outChannels, 'outChannels', { integer: true, min: 1 });
    checkNumber(kernelSize, 'kernelSize', { integer: true, min: 1 });
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.groups = opts.groups ?? 1;
    if (inChannels % this.groups || outChannels % this.groups) {
      throw new RangeError(`groups (${this.groups}) must divide inChannels (${inChannels}) and outChannels (${outChannels})`);
    }
    const seed = opts.seed ?? nextSeed();
    const fanIn = (inChannels / this.groups) * kernelSize * kernelSize;
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = this.registerParameter('weight', uniformParam([outChannels, inChannels / this.groups, kernelSize, kernelSize], bound, seed));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', uniformParam([outChannels], bound, seed + 1));
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, groups: this.groups });
  }
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: number, readonly stride: number = kernelSize) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.stride);
  }
}

export class Flatten extends Module {
  forward(x: Tensor): Tensor {
    return flatten(x, 1);
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** Inverted dropout in training mode, identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkNumber(p, 'p', { min: 0, max: 1 });
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training });
  }
}

export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((l, i) => {
      if (!(l instanceof Module)) throw new TypeError(`Sequential: layer ${i} is not a Module`);
      this.registerModule(String(i), l);
    });
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (const l of this.layers) h = l.forward(h);
    return h;
  }
  /** Run the layers and also return the output of layer `index` (for hint / SP features). */
  forwardWithFeature(x: Tensor, index: number): { out: Tensor; feature: Tensor } {
    let h = x;
    let feature: Tensor | null = null;
    this.layers.forEach((l, i) => {
      h = l.forward(h);
      if (i === index) feature = h;
    });
    if (!feature) throw new RangeError(`forwardWithFeature: index must be in [0, ${this.layers.length}), got ${index}`);
    return { out: h, feature };
  }
}
