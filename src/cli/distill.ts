/**
 * `kd-kernels distill`: Hinton knowledge distillation with scarce labels (Hinton, Vinyals & Dean
 * 2015, "transfer set"). Per seed:
 *
 *   1. Split the training images: a stratified validation split (never the test set), then
 *      --labels-per-class labelled images; the rest are unlabelled. Transfer set = labelled + unlabelled.
 *   2. teacher     CNN trained on the labelled images (CE), or loaded with --teacher (one per seed).
 *   3. student     MLP 784-h-10 on the labelled images alone (CE on --labelled-batch rows per step).
 *   4. distilled   the same MLP (same initial weights, same labelled batches): every step also
 *                  takes --transfer-batch rows of the transfer set:
 *                    alpha * T^2 * KL(teacher || student) on the transfer rows
 *                    + (1 - alpha) * CE on the labelled rows.
 *                  hint / sp add a feature term; multi-teacher mixes two teachers' soft targets;
 *                  fsp (src/cli/fsp.ts) replaces steps 3-5 with CNN students.
 *   5. control     the same MLP with label smoothing and no teacher.
 *   6. --compress: compressed and compressed-distilled, the student pruned and/or int8-quantised
 *      (src/cli/compress.ts), on labels alone and with the distilled arm's T and alpha.
 *
 * The three MLP arms get the same budget: --epochs passes over the transfer set
 * (ceil(|transfer set| / --transfer-batch) steps each), a cosine learning rate to 0, and the last
 * epoch kept. T and alpha come from a small grid on validation.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type Tensor, getBackend, losses, manualSeed, tensor,
} from '../index.js';
import { type FashionMnist, loadFashionMnist } from '../data/fashion.js';
import { gather, permutation, stratifiedSplit } from '../data/loader.js';
import { DISTILL_DEFAULTS, type DistillOptions, UsageError } from './args.js';
import { selectBackend } from './backend.js';
import {
  type Built, CLASSES, SECOND_TEACHER_ARCH, TEACHER_ARCH, buildModel, buildRegressor, describeArch, studentArch,
} from './models.js';
import { fspArms } from './fsp.js';
import { compressInfo, compressedFit, describeCompress, modelBytes } from './compress.js';
import { Progress, type Io } from './progress.js';
import {
  type RunRecord, formatTable, loadModel, meanStd, saveModel, summarise, writeOutputs,
} from './report.js';
import { Cycler, type FitOptions, type FitResult, type Split, accuracy, evaluate, fit, makeInput, predict } from './train.js';

const T_GRID = [1, 2, 4];
const ALPHA_GRID = [0.5, 1];
const SMOOTHING_GRID = [0.1, 0.3];
const DEFAULT_T = 4;
const DEFAULT_ALPHA = 0.9;
const DEFAULT_SMOOTHING = 0.1;
const FEATURE_WEIGHT: Record<string, number> = { hint: 0.5, sp: 300 };
const IGNORE = -100;
const TEST_SUBSET_SEED = 20240601;

/** A fixed (seed-independent) subset of `k` test images, the same in distill and eval. */
export function testSubset(n: number, k: number | undefined): Int32Array | null {
  if (k === undefined || k >= n) return null;
  return permutation(n, TEST_SUBSET_SEED).slice(0, k).sort();
}

/**
 * A teacher's outputs on the transfer set, refused (one line) when any is NaN or infinite: a student
 * would silently train on them. `file`: the --teacher file, named in the message.
 */
function checkTeacherOutputs(v: Float32Array, what: string, rows: Int32Array, dim: number, file?: string, name = 'teacher'): Float32Array {
  const bad = v.findIndex((x) => !Number.isFinite(x));
  if (bad < 0) return v;
  const who = file === undefined ? `the trained ${name}` : `the ${name} loaded from ${file}`;
  throw new Error(
    `${who} gives non-finite ${what} (${v[bad]} on training image ${rows[Math.floor(bad / dim)]}): refusing to distill from it`,
  );
}

interface SeedResult {
  runs: RunRecord[];
  chosen: Record<string, unknown>;
  notes: string[];
}

interface Ctx {
  o: DistillOptions;
  io: Io;
  data: FashionMnist;
  outDir: string;
  /** --teacher: one loaded network per seed. */
  loadedTeachers: Built[] | null;
}

const fmtPct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** Inference time on the test images in ms per 1000 images, and the accuracy. */
async function testRun(built: Built, test: Split, idx: Int32Array | null, batch: number): Promise<{ acc: number; msPer1000: number }> {
  // Timed twice, the faster pass kept (the first also warms caches and the allocator).
  let ms = Infinity;
  let logits: Float32Array = new Float32Array(0);
  for (let k = 0; k < 2; k++) {
    const t0 = performance.now();
    logits = (await predict(built, test.images, idx, Math.max(batch, 250))).logits;
    ms = Math.min(ms, performance.now() - t0);
  }
  const labels = idx ? Array.from(idx, (i) => test.labels[i]) : test.labels;
  return { acc: accuracy(logits, labels), msPer1000: (ms / labels.length) * 1000 };
}

async function runSeed(ctx: Ctx, seed: number, seedIndex: number): Promise<SeedResult> {
  const { o, io, data } = ctx;
  const train: Split = data.train;
  const test: Split = data.test;
  const B = o.batchSize;
  const notes: string[] = [];
  const chosen: Record<string, unknown> = {};
  manualSeed(seed);
  const tag = o.seeds > 1 ? ` [seed ${seed}]` : '';
  const info = (msg: string) => {
    if (o.progress) io.stderr(`${msg}\n`);
  };

  // 1. Splits: validation first (stratified), then the labelled images among the rest.
  const valPerClass = o.valPerClass ?? (o.dataset === 'full' ? 500 : 100);
  let split;
  try {
    split = stratifiedSplit(train.labels, valPerClass, seed);
  } catch (e) {
    throw new UsageError(`--val-per-class ${valPerClass} is too large for this dataset (${(e as Error).message.replace(/^stratifiedSplit: /, '')})`);
  }
  const valIdx = split.selected;
  const pool = split.rest;
  let labIdx: Int32Array;
  let unlabIdx: Int32Array;
  if (o.labelsPerClass === null) {
    labIdx = pool;
    unlabIdx = new Int32Array(0);
  } else {
    const poolLabels = Int32Array.from(pool, (i) => train.labels[i]);
    let s2;
    try {
      s2 = stratifiedSplit(poolLabels, o.labelsPerClass, seed + 1);
    } catch (e) {
      throw new UsageError(
        `--labels-per-class ${o.labelsPerClass} is too large: ${(e as Error).message.replace(/^stratifiedSplit: /, '')} outside the validation split`,
      );
    }
    labIdx = s2.selected.map((k) => pool[k]);
    unlabIdx = s2.rest.map((k) => pool[k]);
  }
  if (o.limitUnlabelled !== undefined && unlabIdx.length > o.limitUnlabelled) {
    unlabIdx = permutation(unlabIdx.length, seed + 2).slice(0, o.limitUnlabelled).map((k) => unlabIdx[k]).sort();
  }
  const transferIdx = new Int32Array(labIdx.length + unlabIdx.length);
  transferIdx.set(labIdx);
  transferIdx.set(unlabIdx, labIdx.length);
  const testIdx = testSubset(test.n, o.limitTest);
  const nTest = testIdx ? testIdx.length : test.n;
  info(
    `${data.name}${tag}: ${labIdx.length} labelled, ${unlabIdx.length} unlabelled, ${valIdx.length} validation (from the training images), ${nTest} test images`,
  );
  Object.assign(chosen, { labelled: labIdx.length, unlabelled: unlabIdx.length, validation: valIdx.length, test: nTest });

  const teacherEpochs = o.teacherEpochs ?? Math.max(3, Math.round(DISTILL_DEFAULTS.teacherImages / labIdx.length));
  chosen.teacherEpochs = teacherEpochs;
  const labelOf = (idx: Int32Array) => Int32Array.from(idx, (i) => train.labels[i]);
  const LB = o.labelledBatch;
  const TB = o.transferBatch;
  const labStepsPerEpoch = Math.ceil(labIdx.length / B);
  const mlpStepsPerEpoch = Math.ceil(transferIdx.length / TB);
  const runs: RunRecord[] = [];
  const fileName = (name: string) => (o.seeds > 1 ? `${name}-seed${seed}.json` : `${name}.json`);

  const record = async (name: string, built: Built, r: FitResult | null, extra: Record<string, unknown> = {}) => {
    const t = await testRun(built, test, testIdx, B);
    const file = fileName(name);
    await saveModel(join(ctx.outDir, file), built, { run: name, seed, testAccuracy: t.acc, limitTest: o.limitTest ?? null, dataset: o.dataset, ...extra });
    const rec: RunRecord = {
      name,
      seed,
      arch: describeArch(built.arch),
      params: built.model.numParameters(),
      testAccuracy: t.acc,
      validationAccuracy: r ? r.val : await evaluate(built, train, valIdx),
      trainSeconds: r ? r.seconds : 0,
      epochs: r ? r.epochs : 0,
      bestEpoch: r ? r.bestEpoch : 0,
      inferenceMsPer1000: t.msPer1000,
      sizeBytes: modelBytes(built.model, built.arch.kind === 'mlp' ? built.arch.compress : undefined),
      gapClosed: null,
      validationHistory: r ? r.history : [],
      imagesSeen: r ? r.imagesSeen : [],
      file,
      ...extra,
    };
    runs.push(rec);
    info(`${name}${tag}: test ${fmtPct(t.acc)} (validation ${fmtPct(rec.validationAccuracy)}), ${rec.trainSeconds.toFixed(1)} s`);
    return rec;
  };

  // Labelled-only batches (same stream for every arm that uses `seed`).
  const ceStep = (built: Built, cyc: Cycler, smoothing = 0, batch = LB) => () => {
    const idx = cyc.next(batch);
    const x = makeInput(train.images, idx, built.inputShape);
    const y = tensor(labelOf(idx), [idx.length], { dtype: 'int32' });
    const loss = losses.crossEntropy(built.model.forward(x), y, smoothing ? { labelSmoothing: smoothing } : {});
    return { loss, images: idx.length };
  };
  const progress = (phase: string) => new Progress(io, phase + tag, o.progress);
  const fitArgs = { val: train, valIdx, lr: o.lr };
  const teacherFit = { val: train, valIdx, lr: o.teacherLr };
  const mlpSeed = seed * 1000 + 17;

  // 2. Teacher (offline and self modes).
  let teacher: Built | null = null;
  if (o.mode !== 'online') {
    if (ctx.loadedTeachers) {
      teacher = ctx.loadedTeachers[seedIndex];
      await record('teacher', teacher, null, { loadedFrom: o.teachers![seedIndex] });
    } else {
      teacher = buildModel(TEACHER_ARCH, seed * 1000 + 1);
      const r = await fit({
        ...teacherFit, phase: 'teacher', tracked: [{ name: 'teacher', built: teacher }], epochs: teacherEpochs,
        stepsPerEpoch: labStepsPerEpoch, step: ceStep(teacher, new Cycler(labIdx, seed + 11), 0, B), progress: progress('teacher'),
      });
      await record('teacher', teacher, r[0]);
    }
  }

  if (o.method === 'fsp') {
    await fspArms({
      o, seed, train, teacher: teacher!, transferIdx, fitArgs, stepsPerEpoch: mlpStepsPerEpoch,
      ceStep: (b, cyc) => ceStep(b, cyc), labelled: () => new Cycler(labIdx, seed + 21), progress, record, notes,
    });
    setGapClosed(runs);
    return { runs, chosen, notes };
  }

  // 3. Soft targets (and features) of the frozen teacher(s) on the whole transfer set, once.
  const rowOf = new Int32Array(train.n).fill(-1);
  transferIdx.forEach((i, k) => (rowOf[i] = k));
  const rowsOf = (idx: Int32Array) => Int32Array.from(idx, (i) => rowOf[i]);
  let tLogits: Float32Array | null = null;
  let tFeatures: Float32Array | null = null;
  let t2Logits: Float32Array | null = null;
  if (teacher) {
    const t0 = performance.now();
    const needFeatures = o.method === 'hint' || o.method === 'sp';
    const p = await predict(teacher, train.images, transferIdx, 500, needFeatures);
    const file = o.teachers?.[seedIndex];
    tLogits = checkTeacherOutputs(p.logits, 'soft targets', transferIdx, CLASSES, file);
    tFeatures = p.features && checkTeacherOutputs(p.features, 'features', transferIdx, teacher.featureDim, file);
    info(`teacher${tag}: soft targets on ${transferIdx.length} transfer images in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  if (o.method === 'multi-teacher') {
    const t2 = buildModel(SECOND_TEACHER_ARCH, seed * 1000 + 2);
    const r = await fit({
      ...teacherFit, phase: 'teacher2', tracked: [{ name: 'teacher2', built: t2 }], epochs: teacherEpochs,
      stepsPerEpoch: labStepsPerEpoch, step: ceStep(t2, new Cycler(labIdx, seed + 12), 0, B), progress: progress('teacher2'),
    });
    await record('teacher2', t2, r[0]);
    t2Logits = checkTeacherOutputs((await predict(t2, train.images, transferIdx)).logits, 'soft targets', transferIdx, CLASSES, undefined, 'teacher2');
    chosen.teacherWeights = o.teacherWeights;
  }

  // 4. The distillation steps. Online: a labelled batch + a transfer batch, the soft term on all of
  //    it and cross-entropy on the labelled rows (label -100 on the transfer rows). Offline and self: the soft-target term on the transfer
  //    rows alone, cross-entropy on a smaller labelled slice.
  const mixedBatch = (inputShape: number[], lab: Cycler, tr: Cycler) => {
    const L = lab.next(LB);
    const U = tr.next(TB);
    const rows = new Int32Array(L.length + U.length);
    rows.set(L);
    rows.set(U, L.length);
    const yArr = new Int32Array(rows.length).fill(IGNORE);
    yArr.set(labelOf(L));
    return {
      rows,
      x: makeInput(train.images, rows, inputShape),
      y: tensor(yArr, [rows.length], { dtype: 'int32' }),
    };
  };
  const softTargets = (src: Float32Array, rows: Int32Array, dim: number) => tensor(gather(src, rowsOf(rows), dim), [rows.length, dim]);

  const featureWeight = o.featureWeight ?? FEATURE_WEIGHT[o.method] ?? 0;
  const distillArm = (
    built: Built, T: number, alpha: number, stepsPerEpoch: number, epochs: number, phase: string, lr = o.lr,
    wrap: (f: FitOptions) => FitOptions = (f) => f,
  ) => {
    const lab = new Cycler(labIdx, seed + 21);
    const tr = new Cycler(transferIdx, seed + 22);
    const regressor = o.method === 'hint' ? buildRegressor(built.featureDim, teacher!.featureDim, mlpSeed + 5) : null;
    const step = () => {
      const U = tr.next(TB);
      const x = makeInput(train.images, U, built.inputShape);
      const t = softTargets(tLogits!, U, CLASSES);
      let soft: Tensor;
      let extra: Tensor | null = null;
      if (o.method === 'multi-teacher') {
        soft = losses.multiTeacherKdLoss(built.model.forward(x), [t, softTargets(t2Logits!, U, CLASSES)], { weights: o.teacherWeights, temperature: T });
      } else if (o.method === 'hint' || o.method === 'sp') {
        const { out, feature } = built.model.forwardWithFeature(x, built.featureIndex);
        const tf = softTargets(tFeatures!, U, teacher!.featureDim);
        soft = losses.kdLoss(out, t, { temperature: T });
        extra = (o.method === 'hint' ? losses.hintLoss(regressor!.forward(feature), tf) : losses.similarityLoss(feature, tf)).mul(featureWeight);
      } else {
        soft = losses.kdLoss(built.model.forward(x), t, { temperature: T });
      }
      let loss = soft;
      let images = U.length;
      if (alpha < 1) {
        const ce = ceStep(built, lab)();
        loss = soft.mul(alpha).add(ce.loss.mul(1 - alpha));
        images += ce.images;
      }
      if (extra) loss = loss.add(extra);
      return { loss, images };
    };
    return fit(wrap({
      ...fitArgs, lr, phase, tracked: [{ name: 'distilled', built, extra: regressor ? [regressor] : [] }],
      epochs, stepsPerEpoch, step, progress: progress(phase),
    }));
  };

  // 5. T and alpha on the validation split (offline MLP methods). With the full budget per
  //    candidate (the default), the best candidate is the distilled arm itself (same initial
  //    weights, same batches): it is kept rather than trained again. Likewise the control.
  let T = o.temperature ?? DEFAULT_T;
  let alpha = o.alpha ?? DEFAULT_ALPHA;
  let smoothing = DEFAULT_SMOOTHING;
  const searchEpochs = o.searchEpochs ?? o.epochs;
  const reuse = searchEpochs === o.epochs;
  let bestDistilled: { built: Built; r: FitResult } | null = null;
  let bestControl: { built: Built; r: FitResult } | null = null;
  const search = o.mode === 'offline' && searchEpochs > 0 && (o.temperature === undefined || o.alpha === undefined);
  if (search) {
    const Ts = o.temperature !== undefined ? [o.temperature] : T_GRID;
    const As = o.alpha !== undefined ? [o.alpha] : ALPHA_GRID;
    const grid: { temperature: number; alpha: number; validationAccuracy: number }[] = [];
    for (const t of Ts) {
      for (const a of As) {
        manualSeed(seed);
        const built = buildModel(studentArch(o.studentHidden), mlpSeed);
        const [r] = await distillArm(built, t, a, mlpStepsPerEpoch, searchEpochs, `search T=${t} alpha=${a}`);
        grid.push({ temperature: t, alpha: a, validationAccuracy: r.val });
        if (reuse && (!bestDistilled || r.val > bestDistilled.r.val)) bestDistilled = { built, r };
      }
    }
    const best = grid.reduce((p, c) => (c.validationAccuracy > p.validationAccuracy ? c : p));
    T = best.temperature;
    alpha = best.alpha;
    chosen.search = { epochsPerCandidate: searchEpochs, grid };
    notes.push(`T=${T} and alpha=${alpha} were chosen on the validation split (${grid.length} candidates, ${searchEpochs} epoch(s) each)`);
    // The control's label smoothing gets the same treatment, so it is tuned as fairly as the distilled arm.
    const lsGrid: { labelSmoothing: number; validationAccuracy: number }[] = [];
    for (const ls of SMOOTHING_GRID) {
      manualSeed(seed);
      const built = buildModel(studentArch(o.studentHidden), mlpSeed);
      const [r] = await fit({
        ...fitArgs, phase: `search smoothing=${ls}`, tracked: [{ name: 'control', built }], epochs: searchEpochs,
        stepsPerEpoch: mlpStepsPerEpoch, step: ceStep(built, new Cycler(labIdx, seed + 21), ls), progress: progress(`search smoothing=${ls}`),
      });
      lsGrid.push({ labelSmoothing: ls, validationAccuracy: r.val });
      if (reuse && (!bestControl || r.val > bestControl.r.val)) bestControl = { built, r };
    }
    smoothing = lsGrid.reduce((p, c) => (c.validationAccuracy > p.validationAccuracy ? c : p)).labelSmoothing;
    (chosen.search as Record<string, unknown>).labelSmoothingGrid = lsGrid;
  } else if (o.temperature === undefined || o.alpha === undefined) {
    notes.push(`T=${T} and alpha=${alpha}: defaults (no validation search${o.mode !== 'offline' ? ` in --mode ${o.mode}` : ''})`);
  }
  Object.assign(chosen, { temperature: T, alpha, labelSmoothing: smoothing });
  const kdInfo = { method: o.method, mode: o.mode, temperature: T, alpha, ...(featureWeight ? { featureWeight } : {}) };

  // 6. The arms.
  if (o.mode === 'online') {
    // Deep mutual learning: CNN and MLP trained together, each distilling from the other's soft targets.
    teacher = buildModel(TEACHER_ARCH, seed * 1000 + 1);
    manualSeed(seed);
    const student = buildModel(studentArch(o.studentHidden), mlpSeed);
    const lab = new Cycler(labIdx, seed + 21);
    const tr = new Cycler(transferIdx, seed + 22);
    const tb = teacher;
    const step = () => {
      const { rows, x, y } = mixedBatch(student.inputShape, lab, tr);
      const xc = x.reshape([rows.length, ...tb.inputShape]);
      const t = tb.model.forward(xc);
      const s = student.model.forward(x);
      // The soft term on every row (the transfer rows too), cross-entropy on the labelled rows only
      // (hintonLoss would mask both terms on the -100 rows).
      const mutual = (a: Tensor, b: Tensor, w: number) =>
        losses.kdLoss(a, b, { temperature: T }).mul(w).add(losses.crossEntropy(a, y).mul(1 - w));
      const lossS = mutual(s, t.detach(), alpha);
      const lossT = mutual(t, s.detach(), alpha * 0.5);
      return { loss: lossS.add(lossT), images: 2 * rows.length };
    };
    const rs = await fit({
      ...teacherFit, phase: 'online', tracked: [{ name: 'teacher', built: tb }, { name: 'distilled', built: student }],
      epochs: teacherEpochs, stepsPerEpoch: labStepsPerEpoch, step, progress: progress('online'),
    });
    await record('teacher', tb, rs[0], { mode: 'online' });
    await record('distilled', student, rs[1], kdInfo);
    notes.push(`online: teacher and student trained together for ${teacherEpochs} epochs of ${labStepsPerEpoch} steps (the teacher's budget)`);
  }

  if (o.mode !== 'self') {
    manualSeed(seed);
    const student = buildModel(studentArch(o.studentHidden), mlpSeed);
    const r = await fit({
      ...fitArgs, phase: 'student', tracked: [{ name: 'student', built: student }], epochs: o.epochs,
      stepsPerEpoch: mlpStepsPerEpoch, step: ceStep(student, new Cycler(labIdx, seed + 21)), progress: progress('student'),
    });
    await record('student', student, r[0]);
  }

  if (o.mode === 'offline' && bestDistilled) {
    await record('distilled', bestDistilled.built, bestDistilled.r, kdInfo);
  } else if (o.mode === 'offline') {
    manualSeed(seed);
    const built = buildModel(studentArch(o.studentHidden), mlpSeed);
    const [r] = await distillArm(built, T, alpha, mlpStepsPerEpoch, o.epochs, 'distilled');
    await record('distilled', built, r, kdInfo);
  } else if (o.mode === 'self') {
    // Born-again (Furlanello et al. 2018): a network of the teacher's own shape, on the teacher's budget.
    manualSeed(seed);
    const built = buildModel(teacher!.arch, seed * 1000 + 3);
    const [r] = await distillArm(built, T, alpha, labStepsPerEpoch, teacherEpochs, 'born-again', o.teacherLr);
    await record('distilled', built, r, kdInfo);
    notes.push(`self: a ${describeArch(teacher!.arch)} distilled from the teacher, ${teacherEpochs} epochs of ${labStepsPerEpoch} steps (the teacher's budget)`);
  }

  if (o.mode !== 'self' && bestControl) {
    await record('control', bestControl.built, bestControl.r, { labelSmoothing: smoothing });
  } else if (o.mode !== 'self') {
    manualSeed(seed);
    const control = buildModel(studentArch(o.studentHidden), mlpSeed);
    const r = await fit({
      ...fitArgs, phase: 'control', tracked: [{ name: 'control', built: control }], epochs: o.epochs,
      stepsPerEpoch: mlpStepsPerEpoch, step: ceStep(control, new Cycler(labIdx, seed + 21), smoothing), progress: progress('control'),
    });
    await record('control', control, r[0], { labelSmoothing: smoothing });
  }

  // 7. Compressed students (--compress, offline kd): the student's architecture pruned and/or
  //    int8-quantised, from the student's initial weights, on the student's batches and budget: on
  //    labels alone (compressed), and with the distilled arm's T and alpha (compressed-distilled).
  if (o.compress) {
    const spec = o.compress;
    const arch = { ...studentArch(o.studentHidden), compress: spec };
    const info = compressInfo(spec, o.epochs);
    manualSeed(seed);
    const c = buildModel(arch, mlpSeed);
    const [rc] = await fit(compressedFit(c.model, spec, {
      ...fitArgs, phase: 'compressed', tracked: [{ name: 'compressed', built: c }], epochs: o.epochs,
      stepsPerEpoch: mlpStepsPerEpoch, step: ceStep(c, new Cycler(labIdx, seed + 21)), progress: progress('compressed'),
    }));
    await record('compressed', c, rc, info);
    manualSeed(seed);
    const cd = buildModel(arch, mlpSeed);
    const [rd] = await distillArm(cd, T, alpha, mlpStepsPerEpoch, o.epochs, 'compressed-distilled', o.lr, (f) => compressedFit(cd.model, spec, f));
    await record('compressed-distilled', cd, rd, { ...kdInfo, ...info });
  }

  setGapClosed(runs);
  return { runs, chosen, notes };
}

/** 8. Gap closed: how much of the teacher-student gap each student arm recovers. */
function setGapClosed(runs: RunRecord[]): void {
  const acc = (n: string) => runs.find((r) => r.name === n)?.testAccuracy;
  const tAcc = acc('teacher');
  const sAcc = acc('student');
  if (tAcc !== undefined && sAcc !== undefined && tAcc - sAcc > 1e-9) {
    for (const r of runs) if (r.name === 'distilled' || r.name === 'control') r.gapClosed = (r.testAccuracy - sAcc) / (tAcc - sAcc);
  }
}

/**
 * What KD wins back of the accuracy lost to compression: lost = student - compressed, recovered =
 * compressed-distilled - compressed, as a share of lost; and compressed-distilled against the
 * uncompressed student.
 */
export function compressionLine(student: number, compressed: number, distilled: number): string {
  const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;
  const lost = student - compressed;
  const recovered = distilled - compressed;
  const pct = `${((100 * recovered) / lost).toFixed(0)}%`;
  const share = lost <= 1e-9
    ? `compression lost nothing here (compressed - student: ${pts(-lost)}), so there is nothing to recover; compressed-distilled - compressed: ${pts(recovered)}`
    : recovered >= lost
      ? `KD recovers all of the ${(100 * lost).toFixed(2)} points lost to compression (student - compressed) and more: ${pts(recovered)} points (${pct} of it)`
      : `KD recovers ${pts(recovered)} points, ${pct} of the ${(100 * lost).toFixed(2)} points lost to compression (student - compressed)`;
  return `${share}; compressed-distilled vs the uncompressed student: ${pts(distilled - student)} points`;
}

export async function runDistill(o: DistillOptions, io: Io): Promise<number> {
  const wall = performance.now();
  const outDir = resolve(o.out);
  // 1. Everything that can fail fast: the data, the backend, the teacher file, the output folder.
  const data = await loadFashionMnist({
    source: o.dataset,
    dataDir: o.dataDir,
    onProgress: (m) => {
      if (o.progress) io.stderr(`${m}\n`);
    },
  });
  const backend = await selectBackend(o.backend, io);
  const loadedTeachers = o.teachers?.map((f) => {
    const t = loadModel(f).built;
    if ((o.method === 'hint' || o.method === 'sp') && t.arch.kind === 'mlp' && t.arch.hidden.length === 0) {
      throw new Error(`teacher file ${f}: a model without a hidden layer has no features for --method ${o.method}`);
    }
    if (o.method === 'fsp' && t.arch.kind !== 'cnn') {
      throw new Error(`teacher file ${f}: --method fsp needs a CNN teacher (its conv maps), got ${describeArch(t.arch)}`);
    }
    return t;
  }) ?? null;
  try {
    await mkdir(outDir, { recursive: true });
  } catch (e) {
    throw new Error(`cannot create the output folder ${outDir}: ${(e as Error).message}`);
  }
  if (o.progress) {
    io.stderr(
      `kd-kernels distill: backend ${getBackend().name}, method ${o.method}, mode ${o.mode}, ` +
        (o.compress ? `compress ${describeCompress(o.compress)}, ` : '') +
        `${o.labelsPerClass === null ? 'all' : o.labelsPerClass} labels per class, seeds ${o.seed}..${o.seed + o.seeds - 1}\n`,
    );
  }
  const ctx: Ctx = { o, io, data, outDir, loadedTeachers };
  const runs: RunRecord[] = [];
  const perSeed: Record<string, unknown>[] = [];
  const notes: string[] = [];
  for (let k = 0; k < o.seeds; k++) {
    const seed = o.seed + k;
    const r = await runSeed(ctx, seed, k);
    runs.push(...r.runs);
    perSeed.push({ seed, ...r.chosen });
    notes.push(...r.notes.map((n) => (o.seeds > 1 ? `seed ${seed}: ${n}` : n)));
  }
  const summaries = summarise(runs);
  const table = formatTable(summaries, o.seeds);
  const wallSeconds = (performance.now() - wall) / 1000;
  const report = {
    dataset: data.name,
    backend,
    seed: o.seed,
    seeds: Array.from({ length: o.seeds }, (_, k) => o.seed + k),
    labelsPerClass: o.labelsPerClass === null ? 'all' : o.labelsPerClass,
    method: o.method,
    mode: o.mode,
    compress: o.compress ?? null,
    epochs: o.epochs,
    teacherEpochs: o.teacherEpochs ?? 'auto',
    batchSize: o.batchSize,
    labelledBatch: o.labelledBatch,
    transferBatch: o.transferBatch,
    lr: o.lr,
    teacherLr: o.teacherLr,
    schedule: 'cosine to 0, last epoch kept',
    limitUnlabelled: o.limitUnlabelled ?? null,
    limitTest: o.limitTest ?? null,
    wallSeconds,
    perSeed,
    summary: summaries.map((s) => ({
      name: s.name,
      params: s.params,
      sizeBytes: s.sizeBytes,
      testAccuracyMean: meanStd(s.test).mean,
      testAccuracyStd: meanStd(s.test).std,
    })),
    runs,
  };
  const title = `Validation accuracy per epoch: ${data.name}, ${report.labelsPerClass} labels/class, ${o.method} ${o.mode}`;
  await writeOutputs(outDir, report, title);

  // 2. The table and what it says.
  io.stdout(`\n${table}`);
  const mean = (n: string) => {
    const s = summaries.find((x) => x.name === n);
    return s ? meanStd(s.test).mean : undefined;
  };
  const [t, s, d, c] = ['teacher', 'student', 'distilled', 'control'].map(mean);
  const lines: string[] = [];
  if (d !== undefined && s !== undefined) {
    const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;
    lines.push(
      `distilled vs student: ${pts(d - s)} points` +
        (t !== undefined && t - s > 1e-9 ? ` (${((100 * (d - s)) / (t - s)).toFixed(0)}% of the teacher-student gap)` : '') +
        (c !== undefined ? `; control (label smoothing) vs student: ${pts(c - s)}; distilled vs control: ${pts(d - c)}` : ''),
    );
  } else if (d !== undefined && t !== undefined) {
    lines.push(`born-again vs teacher: ${d - t >= 0 ? '+' : ''}${(100 * (d - t)).toFixed(2)} points`);
  }
  const [cs, cd] = ['compressed', 'compressed-distilled'].map(mean);
  if (s !== undefined && cs !== undefined && cd !== undefined) lines.push(compressionLine(s, cs, cd));
  lines.push(...notes);
  if (o.labelsPerClass === null) {
    lines.push(
      'with every training image labelled there is no unlabelled transfer set: Hinton KD into this MLP is expected to gain about nothing here ' +
        '(PyTorch: about +0.0 points); its gain comes from soft targets on unlabelled images',
    );
  } else if (o.limitUnlabelled !== undefined || o.limitTest !== undefined || o.epochs < 5) {
    lines.push('a reduced run (--limit-unlabelled / --limit-test / few epochs): the numbers are a smoke test, not the result');
  }
  if (o.seeds === 1 && d !== undefined && s !== undefined && o.labelsPerClass !== null) {
    lines.push('one seed: differences under about 1 point are within seed-to-seed noise (use --seeds 3)');
  }
  for (const l of lines) io.stdout(`${l}\n`);
  io.stdout(`wrote ${join(outDir, 'report.json')}, accuracy.svg and ${runs.length} model file(s) in ${wallSeconds.toFixed(1)} s\n`);
  return 0;
}
