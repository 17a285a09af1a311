/**
 * Sequence inputs [..., V] (language-model logits [batch, tokens, vocab]) on every backend:
 * the losses reduce over the last dimension, 'none' has the leading shape, 'batchmean' divides by
 * shape[0] (PyTorch kl_div), a `normalizer` divides the 'sum', and 'jsd' at beta 0 / 1 is the
 * forward / reverse KL (TRL, Liger).
 */
import { expect, it } from 'vitest';
import { losses, tensor, type Tensor } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { expectArrayClose, expectClose } from '../harness/fixtures.js';
import { uniformInputs } from '../harness/inputs.js';

const [B, T, V] = [2, 3, 11];
const ints = (v: number[], shape: number[]) => tensor(Int32Array.from(v), shape, { dtype: 'int32' });
const data = async (x: Tensor) => (await x.data()) as Float32Array;

describeEachBackend('sequence inputs [..., V]', ({ tol }) => {
  const sv = uniformInputs(81, B * T * V, -3, 3);
  const tv = uniformInputs(82, B * T * V, -3, 3);
  const y = [1, -100, 4, 10, 0, -100];

  it("kdLoss on [B, T, V] is the 2-D loss over B*T rows; 'none' is [B, T], 'batchmean' / B", async () => {
    const s3 = tensor(sv, [B, T, V], { requiresGrad: true });
    const none = losses.kdLoss(s3, tensor(tv, [B, T, V]), { temperature: 2, reduction: 'none' });
    expect(none.shape).toEqual([B, T]);
    const rows = losses.kdLoss(tensor(sv, [B * T, V]), tensor(tv, [B * T, V]), { temperature: 2, reduction: 'none' });
    expectArrayClose(await data(none), await data(rows), 'rows', tol);
    const bm = losses.kdLoss(s3, tensor(tv, [B, T, V]), { temperature: 2 });
    const sum = (await data(rows)).reduce((a, b) => a + b, 0);
    expectClose((await data(bm))[0], sum / B, 'batchmean', tol);
    bm.backward();
    const s2 = tensor(sv, [B * T, V], { requiresGrad: true });
    losses.kdLoss(s2, tensor(tv, [B * T, V]), { temperature: 2, reduction: 'sum' }).mul(1 / B).backward();
    expect(s3.grad!.shape).toEqual([B, T, V]);
    expectArrayClose(await data(s3.grad!), await data(s2.grad!), 'grad', tol);
  });

  it("crossEntropy, hintonLoss and multiTeacherKdLoss take [B, T, V] with labels [B, T]; 'none' is [B, T]", async () => {
    const ce3 = losses.crossEntropy(tensor(sv, [B, T, V]), ints(y, [B, T]), { reduction: 'none' });
    const ce2 = losses.crossEntropy(tensor(sv, [B * T, V]), ints(y, [B * T]), { reduction: 'none' });
    expect(ce3.shape).toEqual([B, T]);
    expectArrayClose(await data(ce3), await data(ce2), 'ce rows', tol);
    const h3 = losses.hintonLoss(tensor(sv, [B, T, V]), tensor(tv, [B, T, V]), ints(y, [B, T]), { reduction: 'none' });
    const h2 = losses.hintonLoss(tensor(sv, [B * T, V]), tensor(tv, [B * T, V]), ints(y, [B * T]), { reduction: 'none' });
    expect(h3.shape).toEqual([B, T]);
    expectArrayClose(await data(h3), await data(h2), 'hinton rows', tol);
    const m3 = losses.multiTeacherKdLoss(tensor(sv, [B, T, V]), [tensor(tv, [B, T, V]), tensor(sv, [B, T, V])], { reduction: 'none' });
    expect(m3.shape).toEqual([B, T]);
    expect(() => losses.crossEntropy(tensor(sv, [B, T, V]), ints(y, [B * T]))).toThrow(/labels must have shape \[2, 3\]/);
  });

  it("'jsd' at beta 0 is forward KL and at beta 1 reverse KL (TRL, Liger), gradients included", async () => {
    for (const [beta, divergence] of [[0, 'forward-kl'], [1, 'reverse-kl']] as const) {
      const a = tensor(sv, [B, T, V], { requiresGrad: true });
      const at = tensor(tv, [B, T, V], { requiresGrad: true });
      const jsd = losses.kdLoss(a, at, { divergence: 'jsd', beta, temperature: 2 });
      const b = tensor(sv, [B, T, V], { requiresGrad: true });
      const bt = tensor(tv, [B, T, V], { requiresGrad: true });
      const kl = losses.kdLoss(b, bt, { divergence, temperature: 2 });
      const v = (await data(jsd))[0];
      expect(v, `beta ${beta}`).toBeGreaterThan(0.01);
      expectClose(v, (await data(kl))[0], `beta ${beta} loss`, tol);
      jsd.backward();
      kl.backward();
      expectArrayClose(await data(a.grad!), await data(b.grad!), `beta ${beta} student grad`, tol);
      expectArrayClose(await data(at.grad!), await data(bt.grad!), `beta ${beta} teacher grad`, tol);
    }
  });

  it("normalizer divides the 'sum' and implies it; any other reduction with it is a RangeError", async () => {
    const s = tensor(sv, [B, T, V]);
    const t = tensor(tv, [B, T, V]);
    const sum = (await data(losses.kdLoss(s, t, { reduction: 'sum' })))[0];
    expectClose((await data(losses.kdLoss(s, t, { normalizer: 7 })))[0], sum / 7, 'kd', tol);
    expectClose((await data(losses.multiTeacherKdLoss(s, [t], { normalizer: 7, reduction: 'sum' })))[0], sum / 7, 'multi-teacher', tol);
    expect(() => losses.kdLoss(s, t, { normalizer: 7, reduction: 'mean' })).toThrow(/normalizer divides the 'sum'/);
    expect(() => losses.kdLoss(s, t, { normalizer: 0 })).toThrow(/normalizer must be > 0/);
    expect(() => losses.crossEntropy(s, ints(y, [B, T]), { normalizer: -1 })).toThrow(RangeError);
    const hs = losses.hintonLoss(s, t, ints(y, [B, T]), { reduction: 'sum', returnParts: true });
    const hn = losses.hintonLoss(s, t, ints(y, [B, T]), { normalizer: 4, returnParts: true });
    expectClose((await data(hn.loss))[0], (await data(hs.loss))[0] / 4, 'hinton', tol);
  });
});
