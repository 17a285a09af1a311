/**
 * The training loop of the demo: epochs of Adam steps (forward, loss, backward, step, zeroGrad)
 * with a cosine learning rate from `lr` down to 0 over the whole run, validation accuracy after
 * every epoch in eval mode under noGrad with batched inference, and the last epoch's weights kept
 * (with the cosine schedule they are the settled ones; a best-validation pick on 1,000 images
 * is optimistic).
 */
import { type Tensor, noGrad, optim, tensor } from '../index.js';
import { gather, permutation } from '../data/loader.js';
import type { Built } from './models.js';
import { CLASSES, IMAGE_DIM } from './models.js';
import { Progress } from './progress.js';

type Module = InstanceType<typeof import('../index.js').nn.Module>;

export interface Split {
  images: Float32Array;
  labels: Int32Array;
  n: number;
}

/** A batch of images `idx` of a row-major [n, 784] array, shaped for the model. */
export function makeInput(images: Float32Array, idx: ArrayLike<number>, inputShape: readonly number[]): Tensor {
  return tensor(gather(images, idx, IMAGE_DIM), [idx.length, ...inputShape]);
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((res) => setImmediate(res));
}

/** An endless stream of shuffled index batches over `indices`, reshuffled at every wrap. */
export class Cycler {
  private order: Int32Array;
  private pos = 0;
  private round = 0;
  constructor(private readonly indices: Int32Array, private readonly seed: number) {
    if (indices.length === 0) throw new Error('cannot draw batches from an empty set');
    this.order = this.shuffle();
  }
  private shuffle(): Int32Array {
    const p = permutation(this.indices.length, (this.seed + Math.imul(++this.round, 0x9e3779b9)) >>> 0);
    return p.map((i) => this.indices[i]);
  }
  next(b: number): Int32Array {
    const out = new Int32Array(b);
    for (let k = 0; k < b; k++) {
      if (this.pos === this.order.length) {
        this.order = this.shuffle();
        this.pos = 0;
      }
      out[k] = this.order[this.pos++];
    }
    return out;
  }
}

/**
 * Logits (and optionally the feature layer) of `built` on images `idx` (default all), in eval
 * mode under noGrad, in batches; the model's training mode is restored afterwards.
 */
export async function predict(
  built: Built,
  images: Float32Array,
  idx: Int32Array | null,
  batch = 500,
  withFeature = false,
): Promise<{ logits: Float32Array; features: Float32Array | null }> {
  const n = idx ? idx.length : images.length / IMAGE_DIM;
  const logits = new Float32Array(n * CLASSES);
  const features = withFeature ? new Float32Array(n * built.featureDim) : null;
  const wasTraining = built.model.training;
  built.model.eval();
  try {
    for (let start = 0; start < n; start += batch) {
      const end = Math.min(n, start + batch);
      const rows = new Int32Array(end - start);
      for (let k = 0; k < rows.length; k++) rows[k] = idx ? idx[start + k] : start + k;
      const x = makeInput(images, rows, built.inputShape);
      const r = noGrad(() => (withFeature ? built.model.forwardWithFeature(x, built.featureIndex) : { out: built.model.forward(x), feature: null }));
      logits.set((await r.out.data()) as Float32Array, start * CLASSES);
      if (features && r.feature) features.set((await r.feature.data()) as Float32Array, start * built.featureDim);
      x.dispose();
      r.out.dispose();
      r.feature?.dispose();
      await yieldToEventLoop();
    }
  } finally {
    built.model.train(wasTraining);
  }
  return { logits, features };
}

/** Fraction of rows whose arg-max logit is the label. */
export function accuracy(logits: Float32Array, labels: ArrayLike<number>): number {
  const n = labels.length;
  if (n === 0) return 0;
  let right = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (logits[i * CLASSES + c] > logits[i * CLASSES + best]) best = c;
    if (best === labels[i]) right++;
  }
  return right / n;
}

export async function evaluate(built: Built, split: Split, idx: Int32Array | null = null, batch = 500): Promise<number> {
  const { logits } = await predict(built, split.images, idx, batch);
  const labels = idx ? Array.from(idx, (i) => split.labels[i]) : split.labels;
  return accuracy(logits, labels);
}

/** A model followed through training: evaluated on validation after every epoch. */
export interface Tracked {
  name: string;
  built: Built;
  /** Extra modules trained with it (the hint regressor), not checkpointed. */
  extra?: Module[];
}

export interface FitOptions {
  phase: string;
  tracked: Tracked[];
  epochs: number;
  stepsPerEpoch: number;
  /** Peak learning rate: step k of N uses lr * (1 + cos(pi k / N)) / 2. */
  lr: number;
  /** One optimiser step's loss (built with the graph); `images`: rows it processed. */
  step: (epoch: number, step: number) => { loss: Tensor; images: number };
  /** Called after every optimiser step (a compressed student re-applies its pruning masks). */
  afterStep?: () => void;
  val: Split;
  valIdx: Int32Array;
  progress: Progress;
}

export interface FitResult {
  name: string;
  /** Validation accuracy of the kept (last) weights. */
  val: number;
  /** The best validation accuracy of any epoch and its epoch (reported, not kept). */
  bestVal: number;
  bestEpoch: number;
  history: number[];
  /**
   * Training images each tracked network had processed at each validation (end of each epoch): the
   * steps' images, split evenly between the tracked networks (online: both see the same batch).
   */
  imagesSeen: number[];
  seconds: number;
  epochs: number;
}

/** Cosine learning rate of step `k` (0-based) of `total`, from `lr` to 0. */
export function cosineLr(lr: number, k: number, total: number): number {
  return (lr * (1 + Math.cos((Math.PI * k) / total))) / 2;
}

/**
 * Validation passes per run at most: every epoch up to 25 epochs, else every ceil(epochs / 25)-th
 * and the last (the teacher's 100 epochs would otherwise spend a fifth of its time validating).
 */
export const MAX_VALIDATIONS = 25;

/** Train with a cosine learning rate, validate (at most MAX_VALIDATIONS times), keep the last epoch's weights. */
export async function fit(o: FitOptions): Promise<FitResult[]> {
  const t0 = performance.now();
  const params = o.tracked.flatMap((t) => [...t.built.model.parameters(), ...(t.extra ?? []).flatMap((m) => m.parameters())]);
  const opt = new optim.Adam(params, { lr: o.lr });
  const state = o.tracked.map(() => ({ best: -1, bestEpoch: 0, history: [] as number[] }));
  const total = o.epochs * o.stepsPerEpoch;
  const sync = params[0].backend.sync;
  let previousLoss = Number.NaN;
  let imagesSeen = 0;
  const imagesHistory: number[] = [];
  const validateEvery = Math.ceil(o.epochs / MAX_VALIDATIONS);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    for (const t of o.tracked) {
      t.built.model.train();
      t.extra?.forEach((m) => m.train());
    }
    // The epoch's loss: read every step where that is free (cpu/native); on webgpu summed on the
    // device and read once, at the epoch's end (progress shows the previous epoch's mean meanwhile).
    let lossSum = 0;
    let lossOnDevice: Tensor | null = null;
    for (let s = 1; s <= o.stepsPerEpoch; s++) {
      const { loss, images } = o.step(epoch, s);
      imagesSeen += images;
      opt.lr = cosineLr(o.lr, (epoch - 1) * o.stepsPerEpoch + s - 1, total);
      loss.backward();
      opt.step();
      o.afterStep?.();
      opt.zeroGrad();
      if (sync) lossSum += loss.itemSync();
      else {
        const prev: Tensor | null = lossOnDevice;
        lossOnDevice = noGrad((): Tensor => (prev ? prev.add(loss) : loss.mul(1)));
        prev?.dispose();
      }
      loss.dispose();
      // Yield to the event loop: dropped tensors' storage is reclaimed by FinalizationRegistry
      // callbacks, which only run between tasks (without this an epoch holds all its garbage).
      await yieldToEventLoop();
      o.progress.update({ epoch, epochs: o.epochs, step: s, steps: o.stepsPerEpoch, loss: sync ? lossSum / s : previousLoss, images });
    }
    if (lossOnDevice) {
      lossSum = await lossOnDevice.item();
      lossOnDevice.dispose();
    }
    const epochLoss = lossSum / o.stepsPerEpoch;
    previousLoss = epochLoss;
    if (epoch % validateEvery !== 0 && epoch !== o.epochs) continue;
    imagesHistory.push(imagesSeen / o.tracked.length);
    for (let k = 0; k < o.tracked.length; k++) {
      const t = o.tracked[k];
      const st = state[k];
      const acc = await evaluate(t.built, o.val, o.valIdx);
      st.history.push(acc);
      const better = acc > st.best;
      if (better) {
        st.best = acc;
        st.bestEpoch = epoch;
      }
      const label = o.tracked.length > 1 ? `${o.phase} (${t.name})` : o.phase;
      if (o.tracked.length > 1) o.progress.note(`${label}: epoch ${epoch}/${o.epochs} val ${(100 * acc).toFixed(2)}%${better ? ' *' : ''}`);
      else o.progress.epochDone(epoch, o.epochs, epochLoss, acc, better);
    }
  }
  o.progress.done();
  const seconds = (performance.now() - t0) / 1000;
  return o.tracked.map((t, k) => ({
    name: t.name,
    val: state[k].history[state[k].history.length - 1],
    bestVal: state[k].best,
    bestEpoch: state[k].bestEpoch,
    history: state[k].history,
    imagesSeen: imagesHistory,
    seconds,
    epochs: o.epochs,
  }));
}
