/**
 * A strict, hand-written argument parser for the `kd-kernels` CLI. Every problem (unknown flag,
 * missing or malformed value, value out of range) is a UsageError with one clear line.
 *
 * Accepted forms: `--flag value`, `--flag=value`, boolean `--flag`; no positional arguments.
 */

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type BackendChoice = 'cpu' | 'native' | 'webgpu';
export type Method = 'kd' | 'hint' | 'sp' | 'multi-teacher' | 'fsp';
export type Mode = 'offline' | 'online' | 'self';
export type DatasetChoice = 'embedded' | 'full';
/** --compress: the pruned fraction of each weight matrix (0: none) and int8 fake quantisation. */
export interface CompressSpec {
  prune: number;
  int8: boolean;
}

export interface DistillOptions {
  out: string;
  dataset: DatasetChoice;
  dataDir?: string;
  /** null: every training image outside the validation split is labelled ("all"). */
  labelsPerClass: number | null;
  valPerClass?: number;
  method: Method;
  mode: Mode;
  /** --teacher: the file of each seed, in seed order (one file for one seed). */
  teachers?: string[];
  teacherWeights: [number, number];
  /** --compress: adds the compressed and compressed-distilled arms (src/cli/compress.ts). */
  compress?: CompressSpec;
  temperature?: number;
  alpha?: number;
  featureWeight?: number;
  studentHidden: number;
  seed: number;
  seeds: number;
  epochs: number;
  /** undefined: about 100,000 training images' worth (100 epochs of 1,000 labelled images), at least 3. */
  teacherEpochs?: number;
  searchEpochs?: number;
  /** The teacher's batch (and inference batches). */
  batchSize: number;
  /** Rows per step of the MLP arms: labelled rows (cross-entropy) and transfer rows (the teacher's soft targets). */
  labelledBatch: number;
  transferBatch: number;
  /** Peak (cosine) learning rates of the MLP arms and of the teacher. */
  lr: number;
  teacherLr: number;
  backend?: BackendChoice;
  limitUnlabelled?: number;
  limitTest?: number;
  progress: boolean;
}

export interface EvalOptions {
  model: string;
  dataset: DatasetChoice;
  dataDir?: string;
  backend?: BackendChoice;
  limitTest?: number;
  batchSize: number;
}

export type Command =
  | { command: 'distill'; options: DistillOptions }
  | { command: 'eval'; options: EvalOptions }
  | { command: 'info' }
  | { command: 'build-native' }
  | { command: 'help'; topic?: string }
  | { command: 'version' };

type Kind = 'int' | 'number' | 'string' | 'bool' | 'choice' | 'labels' | 'weights' | 'compress';

interface FlagSpec {
  kind: Kind;
  key: string;
  choices?: readonly string[];
  min?: number;
  max?: number;
  minExclusive?: boolean;
}

const BACKENDS = ['cpu', 'native', 'webgpu'] as const;
const DATASETS = ['embedded', 'full'] as const;

const DISTILL_FLAGS: Record<string, FlagSpec> = {
  '--out': { kind: 'string', key: 'out' },
  '--dataset': { kind: 'choice', key: 'dataset', choices: DATASETS },
  '--data-dir': { kind: 'string', key: 'dataDir' },
  '--labels-per-class': { kind: 'labels', key: 'labelsPerClass', min: 1 },
  '--val-per-class': { kind: 'int', key: 'valPerClass', min: 1 },
  '--method': { kind: 'choice', key: 'method', choices: ['kd', 'hint', 'sp', 'multi-teacher', 'fsp'] },
  '--mode': { kind: 'choice', key: 'mode', choices: ['offline', 'online', 'self'] },
  '--teacher': { kind: 'string', key: 'teacher' },
  '--teacher-weights': { kind: 'weights', key: 'teacherWeights' },
  '--compress': { kind: 'compress', key: 'compress' },
  '--temperature': { kind: 'number', key: 'temperature', min: 0, minExclusive: true, max: 100 },
  '--alpha': { kind: 'number', key: 'alpha', min: 0, max: 1 },
  '--feature-weight': { kind: 'number', key: 'featureWeight', min: 0 },
  '--student-hidden': { kind: 'int', key: 'studentHidden', min: 1, max: 4096 },
  '--seed': { kind: 'int', key: 'seed', min: 0, max: 2 ** 31 - 1 },
  '--seeds': { kind: 'int', key: 'seeds', min: 1, max: 100 },
  '--epochs': { kind: 'int', key: 'epochs', min: 1, max: 10000 },
  '--teacher-epochs': { kind: 'int', key: 'teacherEpochs', min: 1, max: 10000 },
  '--search-epochs': { kind: 'int', key: 'searchEpochs', min: 0, max: 10000 },
  '--batch-size': { kind: 'int', key: 'batchSize', min: 1, max: 65536 },
  '--labelled-batch': { kind: 'int', key: 'labelledBatch', min: 1, max: 65536 },
  '--transfer-batch': { kind: 'int', key: 'transferBatch', min: 1, max: 65536 },
  '--lr': { kind: 'number', key: 'lr', min: 0, minExclusive: true, max: 10 },
  '--teacher-lr': { kind: 'number', key: 'teacherLr', min: 0, minExclusive: true, max: 10 },
  '--backend': { kind: 'choice', key: 'backend', choices: BACKENDS },
  '--limit-unlabelled': { kind: 'int', key: 'limitUnlabelled', min: 0 },
  '--limit-test': { kind: 'int', key: 'limitTest', min: 1 },
  '--no-progress': { kind: 'bool', key: 'noProgress' },
};

const EVAL_FLAGS: Record<string, FlagSpec> = {
  '--model': { kind: 'string', key: 'model' },
  '--dataset': { kind: 'choice', key: 'dataset', choices: DATASETS },
  '--data-dir': { kind: 'string', key: 'dataDir' },
  '--backend': { kind: 'choice', key: 'backend', choices: BACKENDS },
  '--limit-test': { kind: 'int', key: 'limitTest', min: 1 },
  '--batch-size': { kind: 'int', key: 'batchSize', min: 1, max: 65536 },
};

export const DISTILL_DEFAULTS = {
  out: './kd-out',
  labelsPerClass: 100,
  studentHidden: 32,
  seed: 1,
  seeds: 1,
  epochs: 50,
  teacherImages: 100000,
  batchSize: 64,
  labelledBatch: 32,
  transferBatch: 128,
  lr: 2e-3,
  teacherLr: 1e-3,
} as const;

/**
 * --teacher with --seeds N: one file per seed, as a comma list of N files or a pattern with
 * `{seed}`; one file shared by several seeds is refused (it was trained on labels that are
 * validation or unlabelled images for the other seeds).
 */
function teacherFiles(raw: string, seed: number, seeds: number): string[] {
  if (raw.includes('{seed}')) return Array.from({ length: seeds }, (_, k) => raw.split('{seed}').join(String(seed + k)));
  const files = raw.split(',');
  if (files.some((f) => f === '')) throw new UsageError(`--teacher has an empty file name in '${raw}'`);
  if (files.length === seeds) return files;
  if (files.length === 1) {
    throw new UsageError(
      `--teacher ${raw} with --seeds ${seeds}: one teacher for every seed has seen labels that are validation or unlabelled ` +
        `images for the other seeds; give one file per seed (a comma list of ${seeds} files, or a pattern with {seed})`,
    );
  }
  throw new UsageError(`--teacher lists ${files.length} files for --seeds ${seeds}; give exactly one per seed`);
}

function parseValue(flag: string, spec: FlagSpec, raw: string): unknown {
  const range = (v: number, what: string): number => {
    if (spec.min !== undefined && (spec.minExclusive ? v <= spec.min : v < spec.min)) {
      throw new UsageError(`${flag} must be ${what} ${spec.minExclusive ? '>' : '>='} ${spec.min}, got '${raw}'`);
    }
    if (spec.max !== undefined && v > spec.max) throw new UsageError(`${flag} must be ${what} <= ${spec.max}, got '${raw}'`);
    return v;
  };
  switch (spec.kind) {
    case 'string':
      if (raw === '') throw new UsageError(`${flag} needs a non-empty value`);
      return raw;
    case 'choice':
      if (!spec.choices!.includes(raw)) {
        throw new UsageError(`${flag} must be one of ${spec.choices!.join(', ')}, got '${raw}'`);
      }
      return raw;
    case 'int': {
      if (!/^[+]?\d+$/.test(raw)) throw new UsageError(`${flag} must be an integer, got '${raw}'`);
      return range(Number(raw), 'an integer');
    }
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${flag} must be a number, got '${raw}'`);
      return range(v, 'a number');
    }
    case 'labels': {
      if (raw === 'all') return null;
      if (!/^[+]?\d+$/.test(raw)) throw new UsageError(`${flag} must be 'all' or a positive integer, got '${raw}'`);
      return range(Number(raw), "'all' or an integer");
    }
    case 'weights': {
      const parts = raw.split(',');
      const ws = parts.map(Number);
      if (parts.length !== 2 || parts.some((p) => p.trim() === '') || ws.some((w) => !Number.isFinite(w) || w < 0)) {
        throw new UsageError(`${flag} must be two non-negative numbers separated by a comma (e.g. 0.5,0.5), got '${raw}'`);
      }
      const total = ws[0] + ws[1];
      if (total <= 0) throw new UsageError(`${flag} must not be all zero, got '${raw}'`);
      return [ws[0] / total, ws[1] / total];
    }
    case 'compress':
      return parseCompress(raw);
    default:
      return raw;
  }
}

/** `--compress prune=F,int8`: a comma list of prune=F (0 <= F < 1) and int8, each at most once. */
function parseCompress(raw: string): CompressSpec {
  const expected = 'a comma list of prune=F (0 <= F < 1) and int8, e.g. prune=0.5,int8';
  const spec: Partial<CompressSpec> = {};
  for (const item of raw.split(',')) {
    const [key, value] = [item.split('=')[0], item.includes('=') ? item.slice(item.indexOf('=') + 1) : undefined];
    if (key !== 'prune' && key !== 'int8') {
      throw new UsageError(item.trim() === '' ? `--compress has an empty item in '${raw}': expected ${expected}` : `--compress: unknown item '${item}': expected ${expected}`);
    }
    if (spec[key] !== undefined) throw new UsageError(`--compress: ${key} given twice in '${raw}'`);
    if (key === 'int8') {
      if (value !== undefined) throw new UsageError(`--compress: int8 takes no value, got '${item}'`);
      spec.int8 = true;
    } else {
      const f = Number(value);
      if (value === undefined || value.trim() === '' || !Number.isFinite(f) || f < 0 || f >= 1) {
        throw new UsageError(`--compress: prune must be a fraction F with 0 <= F < 1 (prune=F), got '${item}'`);
      }
      spec.prune = f;
    }
  }
  const out = { prune: spec.prune ?? 0, int8: spec.int8 ?? false };
  if (out.prune === 0 && !out.int8) throw new UsageError(`--compress '${raw}' compresses nothing: expected ${expected}`);
  return out;
}

/** Parse `--flag value` pairs against a table; returns the values by key. */
function parseFlags(command: string, argv: readonly string[], table: Record<string, FlagSpec>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      throw new UsageError(`${command}: unexpected argument '${arg}' (flags start with --; see kd-kernels ${command} --help)`);
    }
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const spec = table[flag];
    if (!spec) {
      const near = Object.keys(table).find((k) => k.startsWith(flag) || flag.startsWith(k));
      throw new UsageError(`${command}: unknown flag '${flag}'${near ? ` (did you mean ${near}?)` : ''}; see kd-kernels ${command} --help`);
    }
    if (seen.has(flag)) throw new UsageError(`${command}: ${flag} given twice`);
    seen.add(flag);
    if (spec.kind === 'bool') {
      if (eq >= 0) throw new UsageError(`${flag} takes no value`);
      out[spec.key] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new UsageError(`${flag} needs a value`);
      raw = argv[++i];
    }
    out[spec.key] = parseValue(flag, spec, raw);
  }
  return out;
}

function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export function parseDistill(argv: readonly string[]): DistillOptions {
  const v = parseFlags('distill', argv, DISTILL_FLAGS);
  const dataset = (v.dataset as DatasetChoice | undefined) ?? (v.dataDir !== undefined ? 'full' : 'embedded');
  if (v.dataDir !== undefined && dataset !== 'full') throw new UsageError('--data-dir is only used with --dataset full');
  const method = (v.method as Method | undefined) ?? 'kd';
  const mode = (v.mode as Mode | undefined) ?? 'offline';
  if (v.teacherWeights !== undefined && method !== 'multi-teacher') {
    throw new UsageError('--teacher-weights is only used with --method multi-teacher');
  }
  if (v.featureWeight !== undefined && method !== 'hint' && method !== 'sp') {
    throw new UsageError('--feature-weight is only used with --method hint or sp');
  }
  if (mode !== 'offline' && method !== 'kd') {
    throw new UsageError(`--mode ${mode} works with --method kd only (got --method ${method})`);
  }
  if (v.compress !== undefined && (method !== 'kd' || mode !== 'offline')) {
    throw new UsageError(`--compress works with --method kd --mode offline only (got --method ${method} --mode ${mode})`);
  }
  if (v.compress !== undefined && v.backend === 'webgpu') {
    throw new UsageError('--compress needs the cpu or native backend: its int8 scales are read from the weights and activations at every step');
  }
  const seed = (v.seed as number | undefined) ?? DISTILL_DEFAULTS.seed;
  const seeds = (v.seeds as number | undefined) ?? DISTILL_DEFAULTS.seeds;
  if (mode === 'online' && v.teacher !== undefined) {
    throw new UsageError('--teacher cannot be used with --mode online (the teacher is trained together with the student)');
  }
  return {
    out: (v.out as string | undefined) ?? DISTILL_DEFAULTS.out,
    dataset,
    dataDir: v.dataDir as string | undefined,
    labelsPerClass: v.labelsPerClass === undefined ? DISTILL_DEFAULTS.labelsPerClass : (v.labelsPerClass as number | null),
    valPerClass: v.valPerClass as number | undefined,
    method,
    mode,
    teachers: v.teacher === undefined ? undefined : teacherFiles(v.teacher as string, seed, seeds),
    teacherWeights: (v.teacherWeights as [number, number] | undefined) ?? [0.5, 0.5],
    compress: v.compress as CompressSpec | undefined,
    temperature: v.temperature as number | undefined,
    alpha: v.alpha as number | undefined,
    featureWeight: v.featureWeight as number | undefined,
    studentHidden: (v.studentHidden as number | undefined) ?? DISTILL_DEFAULTS.studentHidden,
    seed,
    seeds,
    epochs: (v.epochs as number | undefined) ?? DISTILL_DEFAULTS.epochs,
    teacherEpochs: v.teacherEpochs as number | undefined,
    searchEpochs: v.searchEpochs as number | undefined,
    batchSize: (v.batchSize as number | undefined) ?? DISTILL_DEFAULTS.batchSize,
    labelledBatch: (v.labelledBatch as number | undefined) ?? DISTILL_DEFAULTS.labelledBatch,
    transferBatch: (v.transferBatch as number | undefined) ?? DISTILL_DEFAULTS.transferBatch,
    lr: (v.lr as number | undefined) ?? DISTILL_DEFAULTS.lr,
    teacherLr: (v.teacherLr as number | undefined) ?? DISTILL_DEFAULTS.teacherLr,
    backend: v.backend as BackendChoice | undefined,
    limitUnlabelled: v.limitUnlabelled as number | undefined,
    limitTest: v.limitTest as number | undefined,
    progress: !v.noProgress,
  };
}

export function parseEval(argv: readonly string[]): EvalOptions {
  const v = parseFlags('eval', argv, EVAL_FLAGS);
  if (v.model === undefined) throw new UsageError('eval needs --model FILE (a model file written by kd-kernels distill)');
  const dataset = (v.dataset as DatasetChoice | undefined) ?? (v.dataDir !== undefined ? 'full' : 'embedded');
  if (v.dataDir !== undefined && dataset !== 'full') throw new UsageError('--data-dir is only used with --dataset full');
  return {
    model: v.model as string,
    dataset,
    dataDir: v.dataDir as string | undefined,
    backend: v.backend as BackendChoice | undefined,
    limitTest: v.limitTest as number | undefined,
    batchSize: (v.batchSize as number | undefined) ?? 500,
  };
}

const COMMANDS = ['distill', 'eval', 'info', 'build-native'] as const;

export function parseArgs(argv: readonly string[]): Command {
  if (argv.length === 0) return { command: 'help' };
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') return { command: 'help', topic: rest[0] };
  if (first === '--version' || first === '-v' || first === 'version') {
    if (rest.length) throw new UsageError(`--version takes no arguments, got '${rest[0]}'`);
    return { command: 'version' };
  }
  if (!(COMMANDS as readonly string[]).includes(first)) {
    throw new UsageError(`unknown command '${first}' (commands: ${COMMANDS.join(', ')}; see kd-kernels --help)`);
  }
  if (wantsHelp(rest)) return { command: 'help', topic: first };
  switch (first) {
    case 'distill':
      return { command: 'distill', options: parseDistill(rest) };
    case 'eval':
      return { command: 'eval', options: parseEval(rest) };
    default:
      if (rest.length) throw new UsageError(`${first} takes no arguments, got '${rest[0]}'`);
      return { command: first as 'info' | 'build-native' };
  }
}

export const HELP: Record<string, string> = {
  main: `kd-kernels: knowledge distillation on Fashion-MNIST with the kd-kernels backends

Usage:
  kd-kernels distill [flags]        teacher, student, distilled and control runs; table + report
  kd-kernels eval --model FILE      test accuracy of a model file written by distill
  kd-kernels info                   available backends (and the native ISA)
  kd-kernels build-native           compile the native addon here (cmake-js)
  kd-kernels --help | --version

kd-kernels <command> --help shows the command's flags.`,
  distill: `kd-kernels distill [flags]

Keeps --labels-per-class labelled training images, a validation split carved out of the training
images, and treats the rest as unlabelled. Trains a CNN teacher on the labelled images, an MLP
student on them alone, the same MLP distilled from the teacher's soft targets on every training
image (the transfer set), and a label-smoothing control; prints a table and writes --out.

Data:
  --dataset embedded|full     embedded 10k/2k subset (default) or the full 60k/10k Fashion-MNIST
  --data-dir DIR              folder of the four IDX files (implies --dataset full)
  --labels-per-class N|all    labelled images per class (default 100); 'all' = fully labelled
  --val-per-class N           validation images per class (default 100 embedded, 500 full)
  --limit-unlabelled N        use at most N unlabelled images (quick runs)
  --limit-test N              evaluate on a fixed subset of N test images (quick runs)
Method:
  --method kd|hint|sp|multi-teacher|fsp   (default kd; fsp: FSP (Yim et al. 2017) into a CNN
                              student conv8-conv16-fc(--student-hidden), against the same CNN on labels)
  --mode offline|online|self          (default offline: frozen teacher)
  --teacher FILE              load the teacher (a model file from a previous run) instead of training it;
                              with --seeds N, one per seed: F1,...,FN or a pattern such as
                              kd-out/teacher-seed{seed}.json
  --teacher-weights W1,W2     multi-teacher weights of the CNN and the MLP teacher (default 0.5,0.5)
  --temperature T, --alpha A  fix T and alpha (default: chosen on the validation split)
  --feature-weight W          weight of the hint / SP feature term
  --compress SPEC             also train the student compressed, on labels (compressed) and distilled
                              (compressed-distilled); SPEC: prune=F (magnitude pruning of the fraction F
                              of each weight matrix, fixed masks) and/or int8 (int8 fake quantisation of
                              weights and activations), e.g. prune=0.5,int8 (--method kd, offline)
  --student-hidden N          hidden width of the MLP student (default 32)
Training (Adam, cosine learning rate to 0, the last epoch's weights kept):
  --epochs N                  epochs (passes over the transfer set) of every MLP arm (default ${DISTILL_DEFAULTS.epochs})
  --teacher-epochs N          epochs of the teacher over the labelled images (default: ${DISTILL_DEFAULTS.teacherImages.toLocaleString('en-US')}
                              images' worth, at least 3: 100 with 1,000 labelled images)
  --search-epochs N           epochs per T/alpha candidate (default --epochs: the best candidate is
                              the distilled run; fewer = a cheaper, rougher search; 0 = no search)
  --batch-size N              the teacher's batch (default ${DISTILL_DEFAULTS.batchSize})
  --labelled-batch N          labelled rows per MLP step, cross-entropy (default ${DISTILL_DEFAULTS.labelledBatch})
  --transfer-batch N          transfer rows per distillation step, soft targets (default ${DISTILL_DEFAULTS.transferBatch})
  --lr X                      peak learning rate of the MLP arms (default ${DISTILL_DEFAULTS.lr})
  --teacher-lr X              peak learning rate of the teacher (default ${DISTILL_DEFAULTS.teacherLr})
  --seed N, --seeds N         first seed (default ${DISTILL_DEFAULTS.seed}) and number of seeds (mean and spread)
  --backend cpu|native|webgpu (default: native when the addon loads, else cpu)
Output:
  --out DIR                   report.json, model files, accuracy.svg (default ./kd-out)
  --no-progress               no progress bar or periodic lines`,
  eval: `kd-kernels eval --model FILE [--dataset embedded|full] [--data-dir DIR] [--backend B] [--limit-test N]

Evaluates a model file written by kd-kernels distill on the test split and prints its accuracy.`,
  info: `kd-kernels info

Lists the backends that load here, and the native addon's instruction set.`,
  'build-native': `kd-kernels build-native

Compiles the native addon in the package folder with cmake-js (needs cmake, a C++17 compiler and the
packages cmake-js and node-addon-api; it says how to install them when they are missing).`,
};
