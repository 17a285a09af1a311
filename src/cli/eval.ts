/** `kd-kernels eval --model FILE`: the test accuracy of a model file written by `kd-kernels distill`. */
import { loadFashionMnist } from '../data/fashion.js';
import type { EvalOptions } from './args.js';
import { selectBackend } from './backend.js';
import { testSubset } from './distill.js';
import type { Io } from './progress.js';
import { describeArch } from './models.js';
import { modelBytes } from './compress.js';
import { loadModel } from './report.js';
import { accuracy, predict } from './train.js';

export async function runEval(o: EvalOptions, io: Io): Promise<number> {
  const data = await loadFashionMnist({ source: o.dataset, dataDir: o.dataDir });
  const backend = await selectBackend(o.backend, io);
  const { built, file } = loadModel(o.model);
  const idx = testSubset(data.test.n, o.limitTest);
  const t0 = performance.now();
  const { logits } = await predict(built, data.test.images, idx, o.batchSize);
  const ms = performance.now() - t0;
  const labels = idx ? Array.from(idx, (i) => data.test.labels[i]) : data.test.labels;
  const acc = accuracy(logits, labels);
  const run = typeof file.meta?.run === 'string' ? ` (${file.meta.run})` : '';
  io.stdout(
    `${o.model}${run}: ${describeArch(built.arch)}, ${built.model.numParameters().toLocaleString('en-US')} parameters, ` +
      `${modelBytes(built.model, built.arch.kind === 'mlp' ? built.arch.compress : undefined).toLocaleString('en-US')} bytes\n` +
      `test accuracy ${(100 * acc).toFixed(2)}% on ${labels.length} ${data.name} test images ` +
      `(${backend}, ${((ms / labels.length) * 1000).toFixed(1)} ms per 1000 images)\n`,
  );
  return 0;
}
