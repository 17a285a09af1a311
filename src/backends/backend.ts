/**
 * The Backend interface: storage (alloc / upload / read / dispose) and one method per kernel.
 *
 * Every backend (`cpu`, `native`, `webgpu`) implements this contract and nothing else. The
 * Tensor facade, autograd, reductions and validation live above it in TypeScript, so a backend
 * only has to run kernels on already-validated arguments.
 *
 * Conventions shared by every kernel:
 * - Matrices are row-major float32 `[rows, cols]`; labels are int32 `[rows]`.
 * - Methods never mutate their inputs unless the name ends in `InPlace` / `Step`.
 * - Every method returns fresh storages owned by the caller.
 * - A "grad scale" argument is the factor the reduction applies (1, 1/B, 1/(B*C), 1/denominator):
 *   fused loss kernels write `scale * d(rowLoss_i)/d(input)` in the same pass that computes the
 *   loss, so the gradient of a reduced loss costs no second pass. `null` means "no gradient".
 */

export type DType = 'float32' | 'int32';

/** The typed array that holds a dtype's values: Float32Array for float32, Int32Array for int32. */
export type DTypeArray<D extends DType> = D extends 'int32' ? Int32Array : Float32Array;

declare global {
  // The WebGPU types kd-kernels' declarations name, declared empty so that they resolve for every
  // consumer (skipLibCheck: false included) without adding anything: with @webgpu/types (or a lib
  // that has WebGPU) these merge into the real interfaces; without, they stay opaque handles.
  /* eslint-disable @typescript-eslint/no-empty-interface */
  interface GPUDevice {}
  interface GPUBuffer {}
  interface GPUBufferDescriptor {}
  interface GPUCommandEncoder {}
  interface GPUComputePipeline {}
}
export type BackendName = 'cpu' | 'native' | 'webgpu';

/** Opaque handle to a backend's memory. Backends subclass or brand it. */
export interface Storage {
  readonly size: number; // number of elements
  readonly dtype: DType;
}

export type Divergence = 'forward-kl' | 'reverse-kl' | 'jsd';

export interface SoftmaxKLAttrs {
  temperature: number;
  divergence: Divergence;
  /**
   * JSD mixture weight of the teacher: m = beta * p_t + (1 - beta) * p_s. Callers map 'jsd' at
   * beta 0 / 1 to 'forward-kl' / 'reverse-kl' first (src/kernels/divergence.ts), as TRL and Liger
   * define those endpoints; the kernel's own formula gives 0 there.
   */
  beta: number;
}

/**
 * Token mask (TRL's and Liger's labels == -100): a row whose label equals ignoreIndex gets
 * rowLoss 0 and a zero gradient row; the kernel skips it in its one pass (no extra passes).
 */
export interface RowMask {
  labels: Storage; // int32 [rows]
  ignoreIndex: number;
}

export interface SoftmaxKLArgs extends SoftmaxKLAttrs {
  student: Storage; // [rows, cols] logits
  teacher: Storage; // [rows, cols] logits; -Infinity marks a masked class
  rows: number;
  cols: number;
  /** Scale of d(rowLoss)/d(student) written to gradStudent, or null for none. */
  studentGradScale: number | null;
  /** Scale of d(rowLoss)/d(teacher) written to gradTeacher, or null for none. */
  teacherGradScale: number | null;
  rowMask?: RowMask | null;
}

export interface SoftmaxKLResult {
  /** [rows]: T^2 * divergence per row. */
  rowLoss: Storage;
  gradStudent?: Storage;
  gradTeacher?: Storage;
}

export interface CrossEntropyAttrs {
  labelSmoothing: number;
  ignoreIndex: number;
  /** Optional class weights [cols]. */
  weight: Storage | null;
}

export interface CrossEntropyArgs extends CrossEntropyAttrs {
  logits: Storage; // [rows, cols]
  labels: Storage; // int32 [rows], each in [0, cols) or === ignoreIndex
  rows: number;
  cols: number;
  gradScale: number | null;
}

export interface CrossEntropyResult {
  /**
   * [rows]: PyTorch's per-row loss, 0 for ignored rows:
   * w[y] * (1 - eps) * (-log p_y) + (eps / C) * sum_c w[c] * (-log p_c).
   */
  rowLoss: Storage;
  grad?: Storage;
}

export interface HintonArgs {
  student: Storage; // [rows, cols]
  teacher: Storage; // [rows, cols]
  labels: Storage; // int32 [rows]
  rows: number;
  cols: number;
  temperature: number;
  labelSmoothing: number;
  ignoreIndex: number;
  weight: Storage | null;
  /**
   * When non-null, the kernel writes
   * grad = softScale * d(softRow)/ds + hardScale * d(hardRow)/ds
   * where the caller has folded alpha and the reductions into the two scales.
   */
  softGradScale: number | null;
  hardGradScale: number | null;
}

export interface HintonResult {
  /** [rows]: T^2 * KL(p_t || p_s) per row (forward KL); 0 (and no gradient) where the label is ignoreIndex. */
  softRow: Storage;
  /** [rows]: cross-entropy per row as in CrossEntropyResult. */
  hardRow: Storage;
  grad?: Storage;
}

export interface MultiTeacherArgs {
  student: Storage; // [rows, cols]
  teachers: Storage[]; // K x [rows, cols]
  weights: number[]; // K, sum to 1
  rows: number;
  cols: number;
  temperature: number;
  studentGradScale: number | null;
  /** One scale per teacher (null = no gradient for that teacher). */
  teacherGradScales: (number | null)[];
  rowMask?: RowMask | null;
}

export interface MultiTeacherResult {
  /** [rows]: T^2 * KL(q || p_s), q = sum_k w_k softmax(t_k / T). */
  rowLoss: Storage;
  gradStudent?: Storage;
  gradTeachers?: (Storage | undefined)[];
}

/**
 * Fused linear + KD (Liger's FusedLinearJSD / FusedLinearKLDiv): logits z_s = h_s W_s^T + b_s and
 * z_t = h_t W_t^T + b_t are computed `chunkSize` rows at a time, and each chunk goes straight
 * through the fused loss and its gradient, so no more than chunkSize x vocab logits per model are
 * held. Per row i: softRow_i = T^2 D(z_t,i || z_s,i) (SoftmaxKLArgs), hardRow_i = cross-entropy of
 * z_s,i against labels_i (when hardGradScale / labels are given). Rows whose label is ignoreIndex
 * give 0 for both. Gradients w.r.t. the student's hidden states, weight and bias are
 *   softGradScale * d(sum softRow)/dx + hardGradScale * d(sum hardRow)/dx,
 * accumulated over the chunks in the same pass (the teacher gets none).
 */
export interface FusedLinearKdArgs extends SoftmaxKLAttrs {
  studentHidden: Storage; // [rows, studentDim]
  studentWeight: Storage; // [vocab, studentDim]
  studentBias: Storage | null; // [vocab]
  teacherHidden: Storage; // [rows, teacherDim]
  teacherWeight: Storage; // [vocab, teacherDim]
  teacherBias: Storage | null; // [vocab]
  rows: number;
  vocab: number;
  studentDim: number;
  teacherDim: number;
  /** int32 [rows] or null: rows equal to ignoreIndex are masked; also the CE targets. */
  labels: Storage | null;
  ignoreIndex: number;
  chunkSize: number;
  softGradScale: number;
  /** Scale of the cross-entropy term's gradient, or null for no CE term (then hardRow is not returned). */
  hardGradScale: number | null;
  /** Which gradients to return. */
  grads: { hidden: boolean; weight: boolean; bias: boolean };
}

export interface FusedLinearKdResult {
  softRow: Storage; // [rows]
  hardRow?: Storage; // [rows]
  gradHidden?: Storage; // [rows, studentDim]
  gradWeight?: Storage; // [vocab, studentDim]
  gradBias?: Storage; // [vocab]
}

export interface GramArgs {
  student: Storage; // [b, ds]
  teacher: Storage; // [b, dt]
  b: number;
  ds: number;
  dt: number;
  studentGradScale: number | null;
  teacherGradScale: number | null;
}

export interface GramResult {
  /** [1]: ||norm(Fs Fs^T) - norm(Ft Ft^T)||_F^2 / b^2 (rows of G L2-normalised, eps 1e-12). */
  loss: Storage;
  gradStudent?: Storage;
  gradTeacher?: Storage;
}

export interface MseArgs {
  a: Storage;
  b: Storage;
  size: number;
  aGradScale: number | null;
  bGradScale: number | null;
}

export interface MseResult {
  /** [1]: sum_i (a_i - b_i)^2. */
  sumSq: Storage;
  gradA?: Storage; // aGradScale * 2 (a - b)
  gradB?: Storage; // bGradScale * 2 (b - a)
}

/**
 * A 2-D operand view: element (i, j) of the [rows, cols] result reads
 * storage[i * rowStride + j * colStride]. Broadcasting a row vector [cols] is rowStride 0,
 * a column vector [rows] is colStride 0, a scalar is both 0.
 */
export interface View {
  storage: Storage;
  rowStride: number;
  colStride: number;
}

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'reluGrad' | 'max' | 'min';
/** reluGrad(g, x) = x > 0 ? g : 0. */

export type UnaryOp = 'relu' | 'exp' | 'log' | 'neg' | 'square' | 'sqrt' | 'abs';

export interface ConvShape {
  n: number;
  cIn: number;
  h: number;
  w: number;
  cOut: number;
  kh: number;
  kw: number;
  stride: number;
  padding: number;
  groups: number;
  hOut: number;
  wOut: number;
}

export interface PoolShape {
  n: number;
  c: number;
  h: number;
  w: number;
  kernel: number;
  stride: number;
  hOut: number;
  wOut: number;
}

/**
 * Per-tensor affine fake quantisation, torch.fake_quantize_per_tensor_affine: with s = float32(scale)
 * and inv = float32(1 / s) (PyTorch multiplies by the float32 reciprocal, it does not divide),
 *   q = roundHalfEven(float32(x * inv)) + zeroPoint
 *   y = float32((clamp(q, qmin, qmax) - zeroPoint) * s)
 *   mask = qmin <= q <= qmax ? 1 : 0            (the straight-through gradient is g * mask)
 * NaN gives y NaN and mask 0 (PyTorch's int64 cast of NaN is undefined: it gives qmin there);
 * +-Infinity gives the clamped end and mask 0. Integers qmin <= zeroPoint <= qmax, |q| <= 2^22.
 */
export interface FakeQuantizeParams {
  scale: number;
  zeroPoint: number;
  qmin: number;
  qmax: number;
}

export interface SgdParams {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  /** false on the first step: the momentum buffer is initialised to the gradient (PyTorch). */
  hasMomentumBuffer: boolean;
}

export interface AdamParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** true: AdamW (decoupled weight decay, p -= lr*wd*p); false: Adam (L2 added to the gradient). */
  decoupled: boolean;
  /** 1-based step count, for bias correction. */
  step: number;
}

export interface Backend {
  readonly name: BackendName;
  /** True when readSync works (cpu, native). */
  readonly sync: boolean;

  // ---- storage ------------------------------------------------------------
  /**
   * A storage holding `data`. Host backends copy it, or with `copy === false` adopt the array itself
   * (it is then never pooled); device backends always copy it to the device.
   */
  upload(data: Float32Array | Int32Array, copy?: boolean): Storage;
  zeros(size: number, dtype: DType): Storage;
  /** A copy of the values, owned by the caller. */
  read(s: Storage): Promise<Float32Array | Int32Array>;
  /** A copy, synchronously. Throws on asynchronous backends. */
  readSync(s: Storage): Float32Array | Int32Array;
  /**
   * The storage's own host memory, no copy (cpu, native). The array stays readable after dispose()
   * (it is then never pooled) and changes when the storage is written in place. Throws on
   * asynchronous backends.
   */
  readView(s: Storage): Float32Array | Int32Array;
  dispose(s: Storage): void;

  // ---- fused losses (forward + gradient in one pass) -----------------------
  softmaxKL(a: SoftmaxKLArgs): SoftmaxKLResult;
  crossEntropy(a: CrossEntropyArgs): CrossEntropyResult;
  hinton(a: HintonArgs): HintonResult;
  multiTeacherKL(a: MultiTeacherArgs): MultiTeacherResult;
  /** Chunked linear layers + fused softmax-KL (+ CE), see FusedLinearKdArgs. */
  fusedLinearKd(a: FusedLinearKdArgs): FusedLinearKdResult;
  gramSimilarity(a: GramArgs): GramResult;
  mse(a: MseArgs): MseResult;

  // ---- training ops -----------------------------------------------------
  /** C[m, n] = op(A) op(B), op(A) [m, k], op(B) [k, n]; transA: A stored [k, m]; transB: B stored [n, k]. */
  matmul(a: Storage, b: Storage, m: number, k: number, n: number, transA: boolean, transB: boolean): Storage;
  /** out[i, j] = a(i, j) op b(i, j) over a [rows, cols] result. */
  binary(op: BinaryOp, a: View, b: View, rows: number, cols: number): Storage;
  unary(op: UnaryOp, x: Storage, size: number): Storage;
  /** alpha * x + beta, elementwise. */
  affine(x: Storage, size: number, alpha: number, beta: number): Storage;
  /** axis 'rows': sum over rows -> [cols]; 'cols': sum over cols -> [rows]; 'all' -> [1]. Result times `scale`. */
  sum(x: Storage, rows: number, cols: number, axis: 'rows' | 'cols' | 'all', scale: number): Storage;
  /** Row softmax (or log-softmax) of a [rows, cols] matrix. */
  softmax(x: Storage, rows: number, cols: number, log: boolean): Storage;
  /** Gradient of softmax/logSoftmax given its output y and upstream g. */
  softmaxBackward(y: Storage, g: Storage, rows: number, cols: number, log: boolean): Storage;
  transpose(x: Storage, rows: number, cols: number): Storage;
  /**
   * Inverted dropout with a counter-based RNG: keep[i] = hashUniform(seed, i) >= p, see
   * src/kernels/rng.ts; mask[i] = keep ? 1 / (1 - p) : 0; y = x * mask. Same masks on every backend.
   */
  dropout(x: Storage, size: number, p: number, seed: number): { y: Storage; mask: Storage };
  /** Fake quantisation (FakeQuantizeParams): y and the float32 0/1 mask of in-range elements. */
  fakeQuantize(x: Storage, size: number, p: FakeQuantizeParams): { y: Storage; mask: Storage };
  /** y[N, cOut, hOut, wOut] = conv(x[N, cIn, h, w], w[cOut, cIn/groups, kh, kw]) + bias[cOut]. */
  conv2d(x: Storage, w: Storage, bias: Storage | null, s: ConvShape): Storage;
  conv2dBackward(
    g: Storage, x: Storage, w: Storage, s: ConvShape,
    need: { x: boolean; w: boolean; bias: boolean },
  ): { dx?: Storage; dw?: Storage; dbias?: Storage };
  /** Max pooling without padding; argmax holds flat input indices (int32) for the backward. */
  maxPool2d(x: Storage, s: PoolShape): { y: Storage; argmax: Storage };
  maxPool2dBackward(g: Storage, argmax: Storage, s: PoolShape): Storage;

  // ---- in-place updates ----------------------------------------------------
  /** dst += src (gradient accumulation). */
  addInPlace(dst: Storage, src: Storage, size: number): void;
  /** PyTorch SGD step on one parameter; updates param and momentumBuf in place. */
  sgdStep(param: Storage, grad: Storage, momentumBuf: Storage | null, size: number, p: SgdParams): void;
  /** PyTorch Adam/AdamW step on one parameter; updates param, m and v in place. */
  adamStep(param: Storage, grad: Storage, m: Storage, v: Storage, size: number, p: AdamParams): void;
}
