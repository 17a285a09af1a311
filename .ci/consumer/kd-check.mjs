// Shared by the consumer check (.ci/consumer.sh): a kdLoss + backward through the public API,
// checked against a float64 reference computed here. Copied into each fresh consumer project and
// used from check.mjs (import), check.cjs (require of an ES module) and browser-entry.mjs (bundled).
export const rows = 3;
export const cols = 7;
export const T = 2;
export const student = Float32Array.from({ length: rows * cols }, (_, i) => 3 * Math.sin(1.3 * i + 0.4));
export const teacher = Float32Array.from({ length: rows * cols }, (_, i) => 3 * Math.cos(0.7 * i - 0.2));

const softmax = (x) => {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};

/** float64: batchmean of T^2 KL(softmax(t/T) || softmax(s/T)) and its gradient T (p_s - p_t) / rows. */
export function reference() {
  let loss = 0;
  const grad = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const ps = softmax(Array.from(student.subarray(i * cols, (i + 1) * cols), (v) => v / T));
    const pt = softmax(Array.from(teacher.subarray(i * cols, (i + 1) * cols), (v) => v / T));
    for (let j = 0; j < cols; j++) {
      loss += (T * T * pt[j] * (Math.log(pt[j]) - Math.log(ps[j]))) / rows;
      grad[i * cols + j] = (T * (ps[j] - pt[j])) / rows;
    }
  }
  return { loss, grad };
}

function close(name, got, want) {
  if (!(Math.abs(got - want) <= 1e-5 + 1e-4 * Math.abs(want))) throw new Error(`${name}: got ${got}, float64 reference ${want}`);
}

/** kd = the package's main entry; backend = the backend name the tensors must be on. */
export async function checkKdLoss(kd, backend) {
  const s = kd.tensor(student, [rows, cols], { requiresGrad: true });
  if (s.backend.name !== backend) throw new Error(`tensors are on the ${s.backend.name} backend, expected ${backend}`);
  const loss = kd.losses.kdLoss(s, kd.tensor(teacher, [rows, cols]), { temperature: T });
  loss.backward();
  const value = (await loss.data())[0];
  const grad = await s.grad.data();
  const ref = reference();
  close('kdLoss', value, ref.loss);
  ref.grad.forEach((g, i) => close(`grad[${i}]`, grad[i], g));
  return `${backend}: kdLoss ${value.toFixed(6)} and its ${grad.length} gradients match float64 (${ref.loss.toFixed(6)})`;
}

/** In Node: the three entries loaded, the prebuilt addon is the backend, a missing `webgpu` is explained. */
export async function checkNode(how, kd, nativeEntry, webgpuEntry) {
  if (kd.getBackend().name !== 'native') throw new Error(`${how}: the default backend is ${kd.getBackend().name}, expected native (the prebuilt addon): ${kd.nativeLoadError()?.message}`);
  const info = nativeEntry.native.info();
  if (typeof webgpuEntry.createKernels !== 'function') throw new Error(`${how}: kd-kernels/webgpu has no createKernels`);
  const line = await checkKdLoss(kd, 'native');
  const err = await kd.useWebGPU().then(() => null, (e) => e);
  if (!err || !/npm install webgpu/.test(err.message)) throw new Error(`${how}: useWebGPU() without the webgpu package should say \`npm install webgpu\`, got: ${err?.message ?? 'a device'}`);
  return `${how}: native addon ${info.isa} (${info.threads} threads); ${line}; useWebGPU() without webgpu says "${err.message}"`;
}
