// @tensorflow/tfjs-backend-wasm peer: the row-wise losses (kd, ce, hinton) forward + backward
// through tf.valueAndGrad, as a tfjs user would write them.
//
//   echo '{"cases":[...],"quick":false,"temperature":4,"alpha":0.9}' | node bench/peers/tfjs_peer.js
//
// Prints one JSON object on stdout: {"info": {...}, "results": [...]}. Timing is the same as the
// PyTorch peer: warm-up, samples of k back-to-back calls (a sample lasts >= ~2 ms), median.
// The wasm backend runs its kernels synchronously, so a call is complete when it returns; we still
// read the scalar loss back (dataSync) so nothing can be deferred. In Node the wasm backend is
// single-threaded (its multi-threaded build needs a cross-origin-isolated browser), so these are
// 1-thread figures. Cases it cannot run (out of wasm memory) are reported with their error.
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { lcgFloats, lcgLabels } from '../cases.js';

// The CommonJS builds of tfjs-core and the wasm backend (one engine). The gradient definitions ship
// only in tfjs-core's per-file ESM build (the @tensorflow/tfjs union package imports them; it is
// not a dependency here): import register_all_gradients.js from there, with a resolve hook for its
// extensionless imports. The engine and the gradient/kernel registries are process globals, so
// both builds see the same registrations.
register('./tfjs_esm_hook.js', import.meta.url);
const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-wasm');
await import(new URL('register_all_gradients.js', `file://${path.dirname(require.resolve('@tensorflow/tfjs-core'))}/`).href);

async function readStdin() {
  let s = '';
  for await (const chunk of process.stdin) s += chunk;
  return JSON.parse(s);
}

function timeFn(step, quick) {
  const [minSamples, minTime] = quick ? [3, 0.3] : [15, 3.0];
  step();
  step();
  let t0 = performance.now();
  step();
  const one = (performance.now() - t0) / 1e3;
  const k = Math.max(1, Math.floor(0.002 / Math.max(one, 1e-7)));
  const samples = [];
  const start = performance.now();
  while (samples.length < minSamples || (performance.now() - start) / 1e3 < minTime) {
    t0 = performance.now();
    for (let i = 0; i < k; i++) step();
    samples.push((performance.now() - t0) / k);
    if (samples.length >= 500) break;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const m = sorted.length >> 1;
  return {
    median_ms: sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2,
    mean_ms: samples.reduce((a, b) => a + b, 0) / samples.length,
    min_ms: sorted[0],
    samples: samples.length,
    iters_per_sample: k,
  };
}

function makeCase(c, spec) {
  const T = spec.temperature;
  const alpha = spec.alpha;
  const [B, C] = c.dims;
  const s = tf.tensor2d(lcgFloats(B * C, 1), [B, C]);
  const t = tf.tensor2d(lcgFloats(B * C, 2), [B, C]);
  const onehot = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(lcgLabels(B, C, 3), 'int32'), C), 'float32'));
  const kd = (x) => {
    const ls = tf.logSoftmax(tf.div(x, T));
    const lt = tf.logSoftmax(tf.div(t, T));
    // batchmean KL(p_t || p_s) * T^2
    return tf.mul(tf.sum(tf.mul(tf.exp(lt), tf.sub(lt, ls))), (T * T) / B);
  };
  const ce = (x) => tf.losses.softmaxCrossEntropy(onehot, x);
  const lossFn = c.suite === 'kd' ? kd : c.suite === 'ce' ? ce : (x) => tf.add(tf.mul(kd(x), alpha), tf.mul(ce(x), 1 - alpha));
  const vg = tf.valueAndGrad(lossFn);
  return {
    step() {
      tf.tidy(() => {
        const { value } = vg(s);
        value.dataSync();
      });
    },
    free() { tf.dispose([s, t, onehot]); },
  };
}

const spec = await readStdin();
await tf.setBackend('wasm');
await tf.ready();
const results = [];
for (const c of spec.cases) {
  const base = { suite: c.suite, size: c.size, threads: 1 };
  if (!['kd', 'ce', 'hinton'].includes(c.suite)) continue;
  let k = null;
  try {
    k = makeCase(c, spec);
    const r = timeFn(k.step, spec.quick);
    results.push({ ...base, ...r });
    process.stderr.write(`[tfjs-wasm] ${c.suite} ${c.size}: ${r.median_ms.toFixed(4)} ms\n`);
  } catch (e) {
    results.push({ ...base, error: String(e?.message ?? e).split('\n')[0] });
    process.stderr.write(`[tfjs-wasm] ${c.suite} ${c.size}: ERROR ${e?.message ?? e}\n`);
  } finally {
    try { k?.free(); } catch { /* the backend may be gone after an OOM */ }
  }
}
let version = null;
try { version = require('@tensorflow/tfjs-backend-wasm/package.json').version; } catch { /* exports may hide it */ }
const info = { tfjs: tf.version_core, tfjsBackendWasm: version, backend: tf.getBackend(), simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT').catch(() => null), threads: 1 };
process.stdout.write(`${JSON.stringify({ info, results })}\n`);
