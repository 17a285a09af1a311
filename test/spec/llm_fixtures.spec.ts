/**
 * LLM distillation against PyTorch re-derivations of TRL's generalized_jsd_loss and Liger's masked
 * JSD / KL and fused-linear losses (test/fixtures/llm.json, llm_cases() in gen_fixtures.py), on every
 * backend: [B, T, V] logits with masked tokens, the JSD endpoints (beta 0 / 1), the normalizer of
 * data-parallel shards, and fusedLinearKdLoss with its three gradients.
 */
import { it } from 'vitest';
import { losses, tensor, type Tensor } from '../../src/index.js';
import { describeEachBackend } from '../harness/backends.js';
import { expectArrayClose, expectClose, expectGrad, loadFixtures, materialise, num, type Num, type Recipe } from '../harness/fixtures.js';

const data = async (x: Tensor) => (await x.data()) as Float32Array;
const ints = (y: number[], shape: number[]) => tensor(Int32Array.from(y), shape, { dtype: 'int32' });

describeEachBackend('LLM distillation (TRL / Liger fixtures)', ({ tol }) => {
  for (const c of loadFixtures('llm.json')) {
    it(`${c.kernel}: ${c.name}`, async () => {
      const o = c.options;
      if (c.kernel === 'fusedLinearKdLoss') {
        const { N, Hs, Ht, V } = c.shape;
        const x = (k: string, shape: number[], requiresGrad = false) =>
          c.inputs[k] ? tensor(materialise(c.inputs[k] as Recipe), shape, { requiresGrad }) : undefined;
        const hs = x('studentHidden', [N, Hs], true)!;
        const ws = x('studentWeight', [V, Hs], true)!;
        const bs = x('studentBias', [V], true);
        const loss = losses.fusedLinearKdLoss(hs, ws, x('teacherHidden', [N, Ht])!, x('teacherWeight', [V, Ht])!, {
          studentBias: bs, teacherBias: x('teacherBias', [V]), labels: c.inputs.labels ? ints(c.inputs.labels, [N]) : undefined,
          temperature: o.temperature, divergence: o.divergence, beta: o.beta, alpha: o.alpha, reduction: o.reduction, chunkSize: o.chunkSize,
        });
        expectClose((await data(loss))[0], num(c.loss as Num), 'loss', tol);
        loss.backward();
        expectGrad(await data(hs.grad!), c.grads.studentHidden, 'grad studentHidden', tol);
        expectGrad(await data(ws.grad!), c.grads.studentWeight, 'grad studentWeight', tol);
        if (bs) expectGrad(await data(bs.grad!), c.grads.studentBias, 'grad studentBias', tol);
        return;
      }
      const { B, T, V } = c.shape;
      const [lo, hi] = (c.shape as { shard?: [number, number] }).shard ?? [0, B];
      const rows = hi - lo;
      const shard = (r: Recipe) => materialise(r).subarray(lo * T * V, hi * T * V);
      const s = tensor(shard(c.inputs.student), [rows, T, V], { requiresGrad: true });
      const labels = c.inputs.labels ? ints(c.inputs.labels.slice(lo * T, hi * T), [rows, T]) : undefined;
      let loss: Tensor;
      let t: Tensor | undefined;
      if (c.kernel === 'multiTeacherKdLoss') {
        const ts = (c.inputs.teachers as Recipe[]).map((r) => tensor(shard(r), [rows, T, V]));
        loss = losses.multiTeacherKdLoss(s, ts, { weights: o.weights, temperature: o.temperature, labels });
      } else if (c.kernel === 'hintonLoss') {
        const parts = losses.hintonLoss(s, tensor(shard(c.inputs.teacher), [rows, T, V]), labels!, {
          temperature: o.temperature, alpha: o.alpha, returnParts: true,
        });
        expectClose((await data(parts.soft))[0], num(c.parts!.soft), 'soft', tol);
        expectClose((await data(parts.hard))[0], num(c.parts!.hard), 'hard', tol);
        loss = parts.loss;
      } else {
        t = tensor(shard(c.inputs.teacher), [rows, T, V], { requiresGrad: !!c.grads.teacher });
        loss = losses.kdLoss(s, t, { ...o, labels });
      }
      const value = await data(loss);
      if (Array.isArray(c.loss)) expectArrayClose(value, c.loss.map(num), 'loss [B, T]', tol);
      else expectClose(value[0], num(c.loss as Num), 'loss', tol);
      (Array.isArray(c.loss) ? loss.sum() : loss).backward();
      expectGrad(await data(s.grad!), c.grads.student, 'grad student', tol);
      if (c.grads.teacher) expectGrad(await data(t!.grad!), c.grads.teacher, 'grad teacher', tol);
    });
  }
});
