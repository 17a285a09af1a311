/**
 * `distill --method fsp`: FSP distillation (Yim et al. 2017) of a narrower CNN from the CNN teacher.
 *
 *   student      CNN conv3x3(8)-pool-conv3x3(16)-pool-fc(--student-hidden)-fc10, labels alone.
 *   distilled    the same network (same initial weights), in Yim's two stages:
 *                  1. FSP: on the transfer set (no labels), minimise the FSP loss of two layer pairs,
 *                     one per resolution: (image, conv1) at 28x28 and (pool1, conv2) at 14x14. The
 *                     student's maps are narrower than the teacher's (8/16 against 32/64 channels), so
 *                     its maps are regressed to the teacher's widths by bias-free 1x1 convolutions
 *                     (applied to its FSP matrices, which is the same; dropped after stage 1).
 *                  2. the student's own training on labels (the same budget and batches as the student arm).
 * The teacher's FSP matrices of the whole transfer set are computed once (it is frozen).
 */
import { type Tensor, losses, nn, noGrad, tensor } from '../index.js';
import { gather } from '../data/loader.js';
import type { DistillOptions } from './args.js';
import { type Arch, type Built, buildModel, describeArch } from './models.js';
import type { Progress } from './progress.js';
import { Cycler, type FitResult, type Split, fit, makeInput } from './train.js';

export const FSP_STUDENT_CHANNELS: [number, number] = [8, 16];

/** The CNN student of --method fsp. */
export function fspStudentArch(hidden: number): Arch {
  return { kind: 'cnn', channels: FSP_STUDENT_CHANNELS, hidden, dropout: 0 };
}

/** The maps of a CNN (models.ts layout) that the FSP pairs use: image, conv1-ReLU, pool1, conv2-ReLU. */
function maps(built: Built, x: Tensor): [Tensor, Tensor, Tensor, Tensor] {
  const l = built.model.layers;
  const a = l[1].forward(l[0].forward(x));
  const p = l[2].forward(a);
  const c = l[4].forward(l[3].forward(p));
  return [x, a, p, c];
}

export interface FspArmsArgs {
  o: DistillOptions;
  seed: number;
  train: Split;
  teacher: Built;
  transferIdx: Int32Array;
  fitArgs: { val: Split; valIdx: Int32Array; lr: number };
  stepsPerEpoch: number;
  /** One labelled cross-entropy step of `built` over `cyc`. */
  ceStep: (built: Built, cyc: Cycler) => () => { loss: Tensor; images: number };
  labelled: () => Cycler;
  progress: (phase: string) => Progress;
  record: (name: string, built: Built, r: FitResult | null, extra?: Record<string, unknown>) => Promise<unknown>;
  notes: string[];
}

export async function fspArms(a: FspArmsArgs): Promise<void> {
  const { o, seed, train, teacher } = a;
  const arch = fspStudentArch(o.studentHidden);
  const initSeed = seed * 1000 + 19;
  const stage1Epochs = Math.max(1, Math.round(o.epochs / 5));

  // The teacher's FSP matrices [n, c1, c2] per pair, over the transfer set, once.
  const n = a.transferIdx.length;
  const [tc1, tc2] = (teacher.arch as Extract<Arch, { kind: 'cnn' }>).channels;
  const dims = [[1, tc1], [tc1, tc2]];
  const tG = dims.map(([c1, c2]) => new Float32Array(n * c1 * c2));
  teacher.model.eval();
  for (let k = 0; k < n; k += 250) {
    const rows = a.transferIdx.subarray(k, Math.min(n, k + 250));
    const g = noGrad(() => {
      const [x, c1, p, c2] = maps(teacher, makeInput(train.images, rows, teacher.inputShape));
      return [losses.fspMatrix(x, c1), losses.fspMatrix(p, c2)];
    });
    for (let j = 0; j < 2; j++) tG[j].set(await g[j].data(), k * dims[j][0] * dims[j][1]);
  }
  teacher.model.train();

  // Student arm: labels alone.
  const student = buildModel(arch, initSeed);
  const [rs] = await fit({
    ...a.fitArgs, phase: 'cnn student', tracked: [{ name: 'student', built: student }], epochs: o.epochs,
    stepsPerEpoch: a.stepsPerEpoch, step: a.ceStep(student, a.labelled()), progress: a.progress('cnn student'),
  });
  await a.record('student', student, rs);

  // Distilled arm, stage 1: FSP on the transfer set. The student's maps are narrower than the teacher's;
  // bias-free 1x1 regressors R1, R2 to the teacher's widths give FSP(R1 F1, R2 F2) = R1 FSP(F1, F2) R2^T,
  // so they are applied to the student's small FSP matrix: R1 as a 1x1 convolution over its rows
  // (viewed [b, c1, c2, 1]), R2 as a linear map of its columns.
  const built = buildModel(arch, initSeed);
  const [sc1, sc2] = FSP_STUDENT_CHANNELS;
  const left = [[1, 1], [sc1, tc1]].map(([i, out], k) => new nn.Conv2d(i, out, 1, { bias: false, seed: initSeed + 31 + k }));
  const right = [[sc1, tc1], [sc2, tc2]].map(([i, out], k) => new nn.Linear(i, out, { bias: false, seed: initSeed + 41 + k }));
  const regress = (g: Tensor, j: number) => {
    const [b, c1, c2] = g.shape;
    const l = left[j].forward(g.reshape([b, c1, c2, 1]));
    return right[j].forward(l.reshape([b * dims[j][0], c2])).reshape([b, dims[j][0], dims[j][1]]);
  };
  const positions = Int32Array.from({ length: n }, (_, k) => k);
  const tr = new Cycler(positions, seed + 22);
  const step = () => {
    const pos = tr.next(o.transferBatch);
    const rows = Int32Array.from(pos, (k) => a.transferIdx[k]);
    const [x, c1, p, c2] = maps(built, makeInput(train.images, rows, built.inputShape));
    const gs = [losses.fspMatrix(x, c1), losses.fspMatrix(p, c2)].map(regress);
    const loss = losses.fspLoss(gs, dims.map(([d1, d2], j) => tensor(gather(tG[j], pos, d1 * d2), [pos.length, d1, d2])));
    return { loss, images: pos.length };
  };
  await fit({
    ...a.fitArgs, phase: 'fsp stage 1', tracked: [{ name: 'fsp stage 1', built, extra: [...left, ...right] }], epochs: stage1Epochs,
    stepsPerEpoch: a.stepsPerEpoch, step, progress: a.progress('fsp stage 1'),
  });
  // Stage 2: the student's own training, from the FSP-initialised weights.
  const [rd] = await fit({
    ...a.fitArgs, phase: 'fsp stage 2', tracked: [{ name: 'distilled', built }], epochs: o.epochs,
    stepsPerEpoch: a.stepsPerEpoch, step: a.ceStep(built, a.labelled()), progress: a.progress('fsp stage 2'),
  });
  await a.record('distilled', built, rd, { method: 'fsp', fspStage1Epochs: stage1Epochs });
  a.notes.push(
    `fsp: ${describeArch(arch)} student; stage 1 = ${stage1Epochs} epoch(s) of FSP loss on the transfer set ` +
      `(pairs image-conv1 at 28x28 and pool1-conv2 at 14x14, 1x1 regressors to the teacher's widths), ` +
      `stage 2 = the student arm's ${o.epochs} epochs of cross-entropy on the labels`,
  );
}
