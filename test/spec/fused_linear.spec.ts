/**
 * losses.fusedLinearKdLoss (chunked linear layers + fused KD) on every backend, against the
 * unfused composition of the public API: linear() for both models, then kdLoss (+ crossEntropy).
 * PyTorch values for the same cases: test/spec/llm_fixtures.spec.ts.
 */
import { expect, it } from 'vitest';
import { linear, losses, noGrad, tensor, type Tensor } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { expectArrayClose, expectClose } from '../harness/fixtures.js';
import { uniformInputs } from '../harness/inputs.js';

const [N, Hs, Ht, V] = [13, 6, 9, 23];
const data = async (x: Tensor) => (await x.data()) as Float32Array;

function inputs() {
  return {
    hs: tensor(uniformInputs(91, N * Hs, -1, 1), [N, Hs], { requiresGrad: true }),
    ws: tensor(uniformInputs(92, V * Hs, -1, 1), [V, Hs], { requiresGrad: true }),
    bs: tensor(uniformInputs(93, V, -0.5, 0.5), [V], { requiresGrad: true }),
    ht: tensor(uniformInputs(94, N * Ht, -1, 1), [N, Ht]),
    wt: tensor(uniformInputs(95, V * Ht, -1, 1), [V, Ht]),
    bt: tensor(uniformInputs(96, V, -0.5, 0.5), [V]),
  };
}

const labelsOf = (y: number[]) => tensor(Int32Array.from(y), [y.length], { dtype: 'int32' });
const y = Array.from({ length: N }, (_, i) => (i % 4 === 2 ? -100 : (i * 5) % V));

describeEachBackend('fusedLinearKdLoss', ({ tol }) => {
  const configs = [
    { name: 'forward-kl, T 2, batchmean, no labels', o: { temperature: 2 } },
    { name: 'jsd beta 0.3, labels masking rows', o: { divergence: 'jsd', beta: 0.3, labels: true } },
    { name: 'reverse-kl, alpha 0.7 with CE, sum', o: { divergence: 'reverse-kl', alpha: 0.7, labels: true, reduction: 'sum' } },
    { name: 'jsd beta 1 (reverse KL), alpha 0.5, normalizer 40', o: { divergence: 'jsd', beta: 1, alpha: 0.5, labels: true, normalizer: 40 } },
  ] as const;
  for (const { name, o } of configs) {
    for (const chunkSize of [4, 13, 64]) {
      it(`${name}, chunkSize ${chunkSize}: loss and the 3 gradients equal the unfused composition`, async () => {
        const { labels: useLabels, alpha = 1, ...kd } = o as Record<string, any>;
        const labels = useLabels ? labelsOf(y) : undefined;
        const a = inputs();
        const fused = losses.fusedLinearKdLoss(a.hs, a.ws, a.ht, a.wt, {
          ...kd, alpha, labels, studentBias: a.bs, teacherBias: a.bt, chunkSize,
        });
        fused.backward();
        const b = inputs();
        const zs = linear(b.hs, b.ws, b.bs);
        const zt = noGrad(() => linear(b.ht, b.wt, b.bt));
        let ref = losses.kdLoss(zs, zt, { ...kd, ...(labels ? { labels } : {}) });
        if (alpha < 1) {
          const { reduction, normalizer } = kd;
          const ce = losses.crossEntropy(zs, labels!, { ...(reduction ? { reduction } : {}), ...(normalizer ? { normalizer } : {}) });
          ref = ref.mul(alpha).add(ce.mul(1 - alpha));
        }
        ref.backward();
        expectClose((await data(fused))[0], (await data(ref))[0], 'loss', tol);
        expectArrayClose(await data(a.hs.grad!), await data(b.hs.grad!), 'grad studentHidden', tol);
        expectArrayClose(await data(a.ws.grad!), await data(b.ws.grad!), 'grad studentWeight', tol);
        expectArrayClose(await data(a.bs.grad!), await data(b.bs.grad!), 'grad studentBias', tol);
      });
    }
  }

  it('[B, T, H] hidden states with labels [B, T]; bad shapes and options throw', async () => {
    const a = inputs();
    const h3 = a.hs.reshape([1, N, Hs]);
    const l = losses.fusedLinearKdLoss(h3, a.ws, a.ht.reshape([1, N, Ht]), a.wt, { labels: labelsOf(y).reshape([1, N]), chunkSize: 5 });
    expect(Number.isFinite((await data(l))[0])).toBe(true);
    expect(() => losses.fusedLinearKdLoss(a.hs, a.ws, a.ht, a.ws)).toThrow(/teacherWeight must be \[vocab, 9\]/);
    expect(() => losses.fusedLinearKdLoss(a.hs, a.ws, a.ht, a.wt, { alpha: 0.5 })).toThrow(/pass labels/);
    expect(() => losses.fusedLinearKdLoss(a.hs, a.ws, a.ht, a.wt, { chunkSize: 0 })).toThrow(/chunkSize must be >= 1/);
    expect(() => losses.fusedLinearKdLoss(a.hs, a.ws, a.ht, a.wt, { reduction: 'none' } as never)).toThrow(/reduction must be one of/);
  });
});
