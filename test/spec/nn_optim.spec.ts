/** nn layers, state dicts, optimisers (against torch.optim fixtures) and a small distillation run, on every backend. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { losses, manualSeed, nn, noGrad, optim, tensor, type Tensor } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { expectArrayClose } from '../harness/fixtures.js';
import { randnArray } from '../../src/tensor.js';

interface OptimCase {
  name: string;
  kind: 'sgd' | 'adam' | 'adamw';
  hyper: { lr: number; momentum?: number; dampening?: number; nesterov?: boolean; weight_decay?: number; betas?: [number, number]; eps?: number };
  steps: { param: number[] }[];
}
const OPTIM = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'optim.json'), 'utf8')) as {
  param0: number[];
  grads: number[][];
  cases: OptimCase[];
};

/** A synthetic 4-class task: Gaussian blobs in 8-D; the teacher knows the true class scores. */
function blobs(n: number, seed: number) {
  const centers = randnArray(4 * 8, 99).map((v) => 2.5 * v);
  const noise = randnArray(n * 8, seed);
  const x = new Float32Array(n * 8);
  const y = new Int32Array(n);
  const scores = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    y[i] = i % 4;
    for (let d = 0; d < 8; d++) x[i * 8 + d] = centers[y[i] * 8 + d] + noise[i * 8 + d];
    for (let c = 0; c < 4; c++) {
      let dist = 0;
      for (let d = 0; d < 8; d++) dist += (x[i * 8 + d] - centers[c * 8 + d]) ** 2;
      scores[i * 4 + c] = -dist / 2; // Bayes-optimal logits for unit-variance blobs
    }
  }
  return { x, y, scores };
}

async function accuracy(model: nn.Module, x: Float32Array, y: Int32Array): Promise<number> {
  const logits = (await noGrad(() => model.forward(tensor(x, [y.length, x.length / y.length]))).data()) as Float32Array;
  const C = logits.length / y.length;
  let ok = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits[i * C + c] > logits[i * C + best]) best = c;
    if (best === y[i]) ok++;
  }
  return ok / y.length;
}

describeEachBackend('nn and optim', ({ tol }) => {
  for (const c of OPTIM.cases) {
    it(`${c.kind} matches torch.optim: ${c.name}`, async () => {
      const p = tensor(Float32Array.from(OPTIM.param0), [OPTIM.param0.length], { requiresGrad: true });
      const h = c.hyper;
      const opt =
        c.kind === 'sgd'
          ? new optim.SGD([p], { lr: h.lr, momentum: h.momentum, dampening: h.dampening, nesterov: h.nesterov, weightDecay: h.weight_decay })
          : new (c.kind === 'adam' ? optim.Adam : optim.AdamW)([p], { lr: h.lr, betas: h.betas, eps: h.eps, weightDecay: h.weight_decay ?? (c.kind === 'adamw' ? 0.01 : 0) });
      for (let s = 0; s < c.steps.length; s++) {
        opt.zeroGrad();
        p.mul(tensor(Float32Array.from(OPTIM.grads[s]), [OPTIM.grads[s].length])).sum().backward(); // grad = g_s
        opt.step();
        expectArrayClose((await p.data()) as Float32Array, c.steps[s].param, `step ${s + 1}`, { rtol: 1e-5, atolRel: 1e-6 });
      }
    });
  }

  it("Linear and Conv2d use PyTorch's default init bounds; parameters() and numParameters()", async () => {
    const lin = new nn.Linear(50, 20, { seed: 3 });
    const w = (await lin.weight.data()) as Float32Array;
    const bound = 1 / Math.sqrt(50);
    expect(w.every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(Math.max(...w)).toBeGreaterThan(0.8 * bound);
    const conv = new nn.Conv2d(3, 8, 3, { seed: 4 });
    const cw = (await conv.weight.data()) as Float32Array;
    expect(cw.every((v) => Math.abs(v) <= 1 / Math.sqrt(27))).toBe(true);
    const model = new nn.Sequential(conv, new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(8 * 3 * 3, 10));
    expect(model.parameters()).toHaveLength(4);
    expect(model.numParameters()).toBe(8 * 27 + 8 + 72 * 10 + 10);
    const y = model.forward(tensor(new Float32Array(2 * 3 * 8 * 8).fill(0.5), [2, 3, 8, 8]));
    expect(y.shape).toEqual([2, 10]);
  });

  it('stateDict / loadStateDict round-trip, and shape mismatches are RangeErrors', async () => {
    const a = new nn.Sequential(new nn.Linear(4, 3, { seed: 1 }), new nn.ReLU(), new nn.Linear(3, 2, { seed: 2 }));
    const b = new nn.Sequential(new nn.Linear(4, 3, { seed: 5 }), new nn.ReLU(), new nn.Linear(3, 2, { seed: 6 }));
    const sd = await a.stateDictAsync();
    expect(Object.keys(sd)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    b.loadStateDict(sd);
    const x = tensor([1, 2, 3, 4], [1, 4]);
    expectArrayClose((await b.forward(x).data()) as Float32Array, (await a.forward(x).data()) as Float32Array, 'same outputs', tol);
    const wrong = new nn.Sequential(new nn.Linear(5, 3), new nn.ReLU(), new nn.Linear(3, 2));
    expect(() => wrong.loadStateDict(sd)).toThrow(RangeError);
  });

  it('Dropout is active in train() and the identity in eval()', async () => {
    const d = new nn.Dropout(0.5);
    const x = tensor(new Float32Array(100).fill(1), [1, 100]);
    const yTrain = (await d.forward(x).data()) as Float32Array;
    expect(yTrain.some((v) => v === 0)).toBe(true);
    d.eval();
    expect(d.forward(x)).toBe(x);
  });

  it('a student MLP trained with hintonLoss and SGD reaches >= 90% on a seeded synthetic task', async () => {
    manualSeed(42);
    const train = blobs(256, 1);
    const test = blobs(256, 2);
    const student = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Linear(16, 4));
    const opt = new optim.SGD(student.parameters(), { lr: 0.1, momentum: 0.9 });
    const before = await accuracy(student, test.x, test.y);
    for (let epoch = 0; epoch < 15; epoch++) {
      for (let b = 0; b < 256; b += 32) {
        const xb = tensor(train.x.subarray(b * 8, (b + 32) * 8), [32, 8]);
        const tb = tensor(train.scores.subarray(b * 4, (b + 32) * 4), [32, 4]);
        const yb = tensor(train.y.subarray(b, b + 32), [32], { dtype: 'int32' });
        opt.zeroGrad();
        const loss: Tensor = losses.hintonLoss(student.forward(xb), tb, yb, { temperature: 4, alpha: 0.9 });
        loss.backward();
        opt.step();
      }
    }
    const after = await accuracy(student, test.x, test.y);
    expect(before).toBeLessThan(0.6);
    expect(after).toBeGreaterThanOrEqual(0.9);
  });
});
