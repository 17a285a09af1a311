/**
 * Loads the C++ addon (kd_kernels.node) once, synchronously, on first use. Looked for, relative to
 * the package root:
 *   1. prebuilds/<process.platform>-<process.arch>/kd_kernels.node   (shipped in the npm tarball)
 *   2. build/Release/kd_kernels.node                                 (a local cmake-js build)
 * On failure, one Error lists every path tried with its reason and how to fix it.
 * KD_NATIVE_ADDON=/path/to/kd_kernels.node loads that file instead (and only it): a sanitizer or
 * debug build (.ci/sanitize.sh), an addon built elsewhere, or the addon of a CommonJS/IIFE bundle
 * (a bundler that rewrites this module to CommonJS leaves `import.meta.url` empty, so the package
 * root, and with it 1. and 2., is unknown; the load error then says so).
 *
 * No top-level await and no static `node:*` import: Node's modules come from
 * process.getBuiltinModule (Node >= 20.16) when the addon is first asked for, so the package's
 * graph loads with require() (Node >= 20.19) and bundles for browsers, where this throws one
 * Error and the cpu backend is used.
 */

type F32 = Float32Array;
type Opt<T> = T | null;

/** The raw addon: positional arguments, outputs written in place (see native/README.md). */
export interface NativeAddon {
  info(): { isa: string; threads: number; isasSupported: string[] };
  softmaxKL(
    student: F32, teacher: F32, rows: number, cols: number, temperature: number, divergence: number,
    beta: number, rowLoss: F32, gradStudent: Opt<F32>, gradTeacher: Opt<F32>,
    studentGradScale: number, teacherGradScale: number, maskLabels?: Opt<Int32Array>, maskIgnore?: number,
  ): void;
  crossEntropy(
    logits: F32, labels: Int32Array, rows: number, cols: number, labelSmoothing: number, ignoreIndex: number,
    weight: Opt<F32>, rowLoss: F32, grad: Opt<F32>, gradScale: number,
  ): void;
  hinton(
    student: F32, teacher: F32, labels: Int32Array, rows: number, cols: number, temperature: number,
    labelSmoothing: number, ignoreIndex: number, weight: Opt<F32>, softRow: F32, hardRow: F32,
    grad: Opt<F32>, softGradScale: number, hardGradScale: number,
  ): void;
  multiTeacherKL(
    student: F32, teachers: F32[], weights: Float64Array, rows: number, cols: number, temperature: number,
    rowLoss: F32, gradStudent: Opt<F32>, gradTeachers: Opt<Opt<F32>[]>, studentGradScale: number,
    teacherGradScales: Opt<Float64Array>, maskLabels?: Opt<Int32Array>, maskIgnore?: number,
  ): void;
  gramSimilarity(
    student: F32, teacher: F32, b: number, ds: number, dt: number, loss: F32, gradStudent: Opt<F32>,
    gradTeacher: Opt<F32>, studentGradScale: number, teacherGradScale: number,
  ): void;
  mse(a: F32, b: F32, size: number, sumSq: F32, gradA: Opt<F32>, gradB: Opt<F32>, aGradScale: number, bGradScale: number): void;
  // Training ops (native/binding/ops.cc) are registered on the same object.
  [op: string]: unknown;
}

interface NodeModules {
  fs: typeof import('node:fs');
  module: typeof import('node:module');
  url: typeof import('node:url');
}

/** Node's built-in modules, or null outside Node (a browser, a worker without process). */
function nodeModules(): NodeModules | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const get = proc?.getBuiltinModule;
  if (typeof get !== 'function') return null;
  return {
    fs: get('node:fs') as NodeModules['fs'],
    module: get('node:module') as NodeModules['module'],
    url: get('node:url') as NodeModules['url'],
  };
}

/** This module's URL, or undefined inside a CommonJS/IIFE bundle (where `import.meta` is `{}`). */
const moduleUrl: string | undefined = import.meta.url;

const BUNDLED =
  'kd-kernels was bundled into CommonJS or IIFE code, where import.meta.url is empty, so it cannot find its ' +
  'addon: keep kd-kernels out of the bundle (esbuild --external:kd-kernels, webpack externals) or set ' +
  'KD_NATIVE_ADDON=/path/to/kd_kernels.node (the prebuilds/<platform>-<arch>/ file of the package)';

/** Where the addon is looked for, first match wins (this file is src/ or dist/backends/native/addon.*). */
export function addonCandidates(): string[] {
  const node = nodeModules();
  if (!node) return [];
  const override = process.env.KD_NATIVE_ADDON;
  if (override) return [override];
  if (!moduleUrl) return [];
  const root = new URL('../../../', moduleUrl);
  return [
    `prebuilds/${process.platform}-${process.arch}/kd_kernels.node`,
    'build/Release/kd_kernels.node',
  ].map((rel) => node.url.fileURLToPath(new URL(rel, root)));
}

let cached: NativeAddon | null = null;
let failure: Error | null = null;

/** The addon, loaded on first use; throws the same helpful Error on every call when it cannot load. */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  if (failure) throw failure;
  const node = nodeModules();
  if (!node) {
    failure = new Error('kd-kernels: the native addon needs Node.js >= 20.16 (process.getBuiltinModule); the cpu and webgpu backends run here');
    throw failure;
  }
  // Every candidate is an absolute path, so the require's base only has to be some file.
  const require = node.module.createRequire(moduleUrl ?? `${process.cwd()}/`);
  if (!moduleUrl && !process.env.KD_NATIVE_ADDON) {
    failure = new Error(`kd-kernels: the native addon (kd_kernels.node) could not be loaded: ${BUNDLED}; or use the cpu backend (setBackend('cpu')).`);
    throw failure;
  }
  const tried: string[] = [];
  for (const path of addonCandidates()) {
    if (!node.fs.existsSync(path)) {
      tried.push(`  - ${path}: not found`);
      continue;
    }
    try {
      cached = require(path) as NativeAddon;
      return cached;
    } catch (e) {
      tried.push(`  - ${path}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  failure = new Error(
    `kd-kernels: the native addon (kd_kernels.node) could not be loaded for ${process.platform}-${process.arch}. Tried:\n` +
      `${tried.join('\n')}\n` +
      'Fix: build it with `npx kd-kernels build-native` (needs cmake and a C++17 compiler), or ' +
      '`npm run build:native` in a clone of the repository; or use the cpu backend (setBackend(\'cpu\')).',
  );
  throw failure;
}

/** The addon, or null (the reason is then in addonLoadError()). */
export function tryLoadAddon(): NativeAddon | null {
  try {
    return loadAddon();
  } catch {
    return null;
  }
}

export function addonLoadError(): Error | null {
  tryLoadAddon();
  return failure;
}
