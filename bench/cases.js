// The benchmark cases, defined once: our suites (bench/suites.js), the PyTorch peer
// (bench/peers/torch_peer.py, which gets them as JSON) and the tfjs peer read this list.

export const TEMPERATURE = 4;
export const ALPHA = 0.9;

/** B x C for the row-wise loss kernels (kd, ce, hinton). */
export const LOSS_SIZES = [
  [256, 10],
  [4096, 10],
  [1024, 1000],
  [4096, 1000],
  [256, 32000],
  [64, 128000],
];
export const LOSS_SIZES_QUICK = [
  [256, 10],
  [4096, 1000],
  [256, 32000],
];

/** B x C of the loss cases on a GPU (bench/gpu.sh): large batches, LLM vocabularies, few wide rows. */
export const GPU_LOSS_SIZES = [
  [8192, 32000],
  [2048, 128256],
  [64, 128000],
  [256, 32000],
  [4096, 1000],
];
/** bench/gpu.sh --quick (and --dry-run on a software adapter): one row-per-workgroup and one split case. */
export const GPU_LOSS_SIZES_QUICK = [
  [256, 1000],
  [8, 20000],
];

/** (b, ds, dt) for the Gram similarity (SP) loss. */
export const SP_SIZES = [
  [128, 512, 512],
  [256, 2048, 2048],
  [1024, 256, 1024],
];
export const SP_SIZES_QUICK = [[128, 512, 512]];

/** The training-step cases: one size each. */
export const MLP = { batch: 128, layers: [784, 64, 10], lr: 0.01, momentum: 0.9 };
export const CNN = { batch: 128, inChannels: 1, height: 28, width: 28, conv: [32, 64], kernel: 3, padding: 1, fc: 128, classes: 10, lr: 1e-3 };

/** [B, C] of the gradient read back by the grad-read suite (the kd case's gradient). */
export const GRAD_READ = [4096, 1000];

export const SUITES = ['kd', 'ce', 'hinton', 'sp', 'mlp', 'cnn', 'grad-read'];

/**
 * The case list for a run: [{ suite, size: string, dims: number[] }].
 * `size` is the label in the tables ("4096x1000", "b128 ds512 dt512", "batch 128"); `sizes` (optional)
 * keeps only the cases whose label it lists; `gpu` takes the loss sizes of bench/gpu.sh.
 */
export function caseList(suites, quick, sizes = null, gpu = false) {
  const out = [];
  const lossSizes = gpu ? (quick ? GPU_LOSS_SIZES_QUICK : GPU_LOSS_SIZES) : quick ? LOSS_SIZES_QUICK : LOSS_SIZES;
  for (const suite of suites) {
    if (suite === 'kd' || suite === 'ce' || suite === 'hinton') {
      for (const [B, C] of lossSizes) out.push({ suite, size: `${B}x${C}`, dims: [B, C] });
    } else if (suite === 'sp') {
      for (const [b, ds, dt] of quick ? SP_SIZES_QUICK : SP_SIZES) out.push({ suite, size: `b${b} ds${ds} dt${dt}`, dims: [b, ds, dt] });
    } else if (suite === 'mlp') {
      out.push({ suite, size: `batch ${MLP.batch}`, dims: [MLP.batch, ...MLP.layers] });
    } else if (suite === 'cnn') {
      out.push({ suite, size: `batch ${CNN.batch}`, dims: [CNN.batch, CNN.inChannels, CNN.height, CNN.width] });
    } else if (suite === 'grad-read') {
      // Reading a kd gradient: a copy (data() / dataSync()) and a view (hostView(), cpu and native).
      const [B, C] = GRAD_READ;
      for (const read of ['copy', 'view']) out.push({ suite, size: `${B}x${C} ${read}`, dims: [B, C], read });
    }
  }
  return sizes ? out.filter((c) => sizes.includes(c.size)) : out;
}

/** Bytes a loss kernel must move once (forward + backward fused): the basis of "effective GB/s". */
export function effectiveBytes(c) {
  const [B, C] = c.dims;
  if (c.suite === 'kd' || c.suite === 'hinton') return 3 * B * C * 4; // read s, read t, write ds
  if (c.suite === 'ce') return 2 * B * C * 4; // read s, write ds (labels are B ints: ignored)
  if (c.suite === 'grad-read') return c.read === 'copy' ? B * C * 4 : null; // the gradient, copied once; a view moves nothing
  return null;
}

/** Deterministic inputs (a small LCG, the same in every process that needs them). */
export function lcgFloats(n, seed, scale = 3) {
  const out = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = (x / 4294967296 - 0.5) * 2 * scale;
  }
  return out;
}

export function lcgLabels(n, classes, seed) {
  const out = new Int32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x % classes;
  }
  return out;
}
