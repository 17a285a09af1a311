/**
 * The CLI's training loop (src/cli/train.ts fit): the epoch's loss on every backend, with no
 * readback per step on webgpu: the number of readbacks of an epoch does not grow with its steps
 * (counted by the backend's `stats.reads`), and the loss it reports is the mean of the steps'.
 * The learning rate follows a cosine from its peak to 0, and the last epoch's weights are kept.
 */
import { expect, it } from 'vitest';
import { getBackend, losses, manualSeed, tensor } from '../../src/index.js';
import { buildModel, studentArch } from '../../src/cli/models.js';
import { Progress, type Io } from '../../src/cli/progress.js';
import { Cycler, MAX_VALIDATIONS, type Split, cosineLr, evaluate, fit, makeInput } from '../../src/cli/train.js';
import { describeEachBackend } from '../harness/backends.js';

/** 40 random images of 784 pixels with labels 0..9. */
function toyData(): Split {
  const n = 40;
  const images = new Float32Array(n * 784);
  let x = 12345;
  for (let i = 0; i < images.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    images[i] = (x >>> 8) / 2 ** 24;
  }
  return { images, labels: Int32Array.from({ length: n }, (_, i) => i % 10), n };
}

/** One epoch of `steps` cross-entropy steps; the readbacks it made, the step losses and the reported epoch loss. */
async function oneEpoch(steps: number, epochs = 1) {
  const data = toyData();
  manualSeed(7);
  const built = buildModel(studentArch(8), 7);
  const cyc = new Cycler(Int32Array.from({ length: data.n }, (_, i) => i), 3);
  const stepLosses: number[] = [];
  let err = '';
  const io: Io = { stdout: () => {}, stderr: (s) => void (err += s), isTTY: false };
  const stats = (getBackend() as { stats?: { reads: number } }).stats;
  const before = stats?.reads ?? 0;
  const valIdx = Int32Array.from({ length: 10 }, (_, i) => i);
  const [result] = await fit({
    phase: 'toy', tracked: [{ name: 'toy', built }], epochs, stepsPerEpoch: steps, lr: 1e-3,
    val: data, valIdx, progress: new Progress(io, 'toy', true),
    step: () => {
      const idx = cyc.next(8);
      const loss = losses.crossEntropy(built.model.forward(makeInput(data.images, idx, built.inputShape)), tensor(Int32Array.from(idx, (i) => data.labels[i]), [8], { dtype: 'int32' }));
      if (getBackend().sync) stepLosses.push(loss.itemSync());
      return { loss, images: 8 };
    },
  });
  const epochLoss = Number(/toy: epoch 1\/1 loss (\S+)/.exec(err)?.[1]);
  const reads = (stats?.reads ?? 0) - before;
  return { reads, stepLosses, epochLoss, result, keptVal: await evaluate(built, data, valIdx) };
}

describeEachBackend('CLI training loop: the epoch loss', ({ name }) => {
  it('reports the mean step loss at the epoch end', async () => {
    const r = await oneEpoch(6);
    expect(Number.isFinite(r.epochLoss)).toBe(true);
    expect(r.epochLoss).toBeGreaterThan(1); // about ln 10 on random images
    if (name !== 'webgpu') {
      const mean = r.stepLosses.reduce((a, b) => a + b, 0) / r.stepLosses.length;
      expect(r.epochLoss).toBeCloseTo(mean, 3);
    }
  });

  it('keeps the last epoch (cosine learning rate from lr to 0)', async () => {
    const r = await oneEpoch(4, 3);
    expect(r.result.history).toHaveLength(3);
    expect(r.result.val).toBe(r.result.history[2]);
    expect(r.keptVal).toBe(r.result.val);
    expect([cosineLr(2e-3, 0, 8), cosineLr(2e-3, 4, 8), cosineLr(2e-3, 8, 8)]).toEqual([2e-3, expect.closeTo(1e-3, 12), 0]);
  });

  it(`validates at most ${MAX_VALIDATIONS} times, the last epoch included`, async () => {
    const r = await oneEpoch(1, 60); // every 3rd epoch: 3, 6, ..., 60
    expect(r.result.history).toHaveLength(20);
    expect(r.result.imagesSeen).toEqual(Array.from({ length: 20 }, (_, k) => 8 * 3 * (k + 1)));
    expect(r.result.val).toBe(r.keptVal);
    expect(r.result.bestEpoch % 3).toBe(0);
  });

  if (name === 'webgpu') {
    it('reads back no more per epoch with 50 steps than with 5', async () => {
      const few = await oneEpoch(5);
      const many = await oneEpoch(50);
      expect(few.reads).toBeGreaterThan(0);
      expect(many.reads).toBe(few.reads);
    });
  }
});
