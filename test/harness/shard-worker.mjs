/**
 * One data-parallel rank for test/spec/shards.spec.ts: a worker thread with its own kd-kernels
 * module instance (and so its own backends), loaded from the TypeScript sources. For each job
 * ({ backend, loss, masked, options }; masked: the shard's labels mask tokens) it computes the loss over its shard of the batch and posts back the
 * losses and the gradients w.r.t. the student logits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import './ts-register.mjs';

const kd = await import('../../src/index.ts');
const { jobs, shape, student, teacher, labels } = workerData;
const results = jobs.map(({ backend, loss, masked, options }) => {
  kd.setBackend(backend);
  const s = kd.tensor(student, shape, { requiresGrad: true });
  const t = kd.tensor(teacher, shape);
  const y = kd.tensor(labels, shape.slice(0, -1), { dtype: 'int32' });
  const opts = masked ? { ...options, labels: y } : options;
  const value = loss === 'crossEntropy' ? kd.losses.crossEntropy(s, y, options)
    : loss === 'multiTeacherKdLoss' ? kd.losses.multiTeacherKdLoss(s, [t], opts)
      : kd.losses.kdLoss(s, t, opts);
  value.backward();
  return { backend: kd.getBackend().name, loss: value.dataSync()[0], grad: s.grad.dataSync() };
});
parentPort.postMessage(results);
