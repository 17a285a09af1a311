/**
 * Shard-additive losses (data parallelism): a batch [B, T, V] split over two worker threads, each
 * with its own kd-kernels instance and backends (cpu and native), each reducing its shard with
 * reduction 'sum' and the global `normalizer` (TRL's num_items_in_batch). The two shard losses add
 * up to the loss of the whole batch, and the shard gradients, side by side, are its gradient.
 * WebGPU is not run here: a worker would need its own GPU device (the other specs cover it).
 */
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { losses, tensor, setBackend } from '../../src/index.js';
import { available, TOLERANCES } from '../harness/backends.js';
import { expectArrayClose, expectClose } from '../harness/fixtures.js';
import { uniformInputs } from '../harness/inputs.js';

const WORKER = new URL('../harness/shard-worker.mjs', import.meta.url);
const [B, T, V] = [4, 5, 37];
const rowLen = T * V;
const s = uniformInputs(71, B * rowLen, -4, 4);
const t = uniformInputs(72, B * rowLen, -4, 4);
const labels = Int32Array.from({ length: B * T }, (_, i) => (i % 3 === 1 ? -100 : (i * 7) % V));
const valid = labels.filter((y) => y !== -100).length;

// masked: the labels mask tokens, and the whole batch's loss is its mean over the valid tokens.
const cases = [
  { loss: 'kdLoss', masked: false, options: { divergence: 'jsd', beta: 0.3, temperature: 2 }, normalizer: B * T },
  { loss: 'kdLoss', masked: true, options: { divergence: 'jsd', beta: 0.3, temperature: 2 }, normalizer: valid },
  { loss: 'multiTeacherKdLoss', masked: true, options: { temperature: 2 }, normalizer: valid },
  { loss: 'crossEntropy', masked: false, options: { labelSmoothing: 0.1 }, normalizer: valid },
] as const;

interface ShardResult { backend: string; loss: number; grad: Float32Array }

function runShard(k: number, jobs: object[]): Promise<ShardResult[]> {
  const half = B / 2;
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, {
      workerData: {
        jobs, shape: [half, T, V],
        student: s.slice(k * half * rowLen, (k + 1) * half * rowLen),
        teacher: t.slice(k * half * rowLen, (k + 1) * half * rowLen),
        labels: labels.slice(k * half * T, (k + 1) * half * T),
      },
    });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`shard worker exited with code ${code}`)));
  });
}

const backends = (['cpu', 'native'] as const).filter((b) => {
  if (available[b]) console.log(`[skip] shards on ${b}: ${available[b]}`);
  return !available[b];
});
const jobs = backends.flatMap((backend) => cases.map((c, index) => ({
  backend, index, loss: c.loss, masked: c.masked, options: { ...c.options, reduction: 'sum', normalizer: c.normalizer },
})));

describe('normalizer: a batch split over two worker threads', () => {
  let shards: ShardResult[][] = [];
  // Both ranks at once, each computing every (backend, loss) job on its half of the batch.
  beforeAll(async () => {
    shards = await Promise.all([runShard(0, jobs), runShard(1, jobs)]);
  }, 120_000);

  jobs.forEach((job, j) => {
    it(`${job.loss}${job.masked ? ' (masked tokens)' : ''} [${job.backend}]: shard losses add up to the whole batch's, shard gradients are its gradient`, () => {
      const tol = TOLERANCES[job.backend];
      const [a, b] = [shards[0][j], shards[1][j]];
      expect([a.backend, b.backend]).toEqual([job.backend, job.backend]);
      // The whole batch in this thread: the mean over its tokens (valid tokens for cross-entropy).
      setBackend(job.backend);
      const st = tensor(s, [B, T, V], { requiresGrad: true });
      const c = cases[job.index];
      const y = tensor(labels, [B, T], { dtype: 'int32' });
      const tt = tensor(t, [B, T, V]);
      const whole = c.loss === 'crossEntropy' ? losses.crossEntropy(st, y, c.options)
        : c.loss === 'multiTeacherKdLoss' ? losses.multiTeacherKdLoss(st, [tt], { ...c.options, labels: y })
          : losses.kdLoss(st, tt, c.masked ? { ...c.options, labels: y } : { ...c.options, normalizer: B * T });
      whole.backward();
      expectClose(a.loss + b.loss, whole.dataSync()[0], 'sum of shard losses', tol);
      const grad = new Float32Array(B * rowLen);
      grad.set(a.grad, 0);
      grad.set(b.grad, a.grad.length);
      expectArrayClose(grad, st.grad!.dataSync(), 'shard gradients side by side', tol);
    });
  });
});
