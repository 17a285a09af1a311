/**
 * WGSL sources of the kernels (shaders/*.wgsl, one file per kernel).
 *
 * Preferred: the generated module of strings (scripts/bundle-shaders.mjs), which works in browsers
 * and bundles. In Node, a shader missing from it, or every shader when KD_WEBGPU_SHADERS=fs is set
 * (for shader development), is read from the package's shaders/ folder with fs.
 */
import { generatedShaders } from './shaders.generated.js';

export type ShaderName =
  | 'softmax_kl' | 'cross_entropy' | 'hinton' | 'multi_teacher' | 'gram' | 'mse' | 'matmul'
  | 'elementwise' | 'reduce' | 'softmax' | 'transpose' | 'dropout' | 'fake_quantize' | 'conv2d' | 'maxpool2d' | 'optim';

interface NodeFs { readFileSync(p: URL, enc: 'utf8'): string }

function nodeFs(): NodeFs | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
}

function fromFs(): boolean {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.KD_WEBGPU_SHADERS === 'fs';
}

const cache = new Map<string, string>();

/**
 * Shaders built from shared snippets (shaders/_*.wgsl), prepended in this order: the workgroup
 * reductions (_reduce_sg with subgroups, after `enable subgroups;`, else _reduce_wg), then _row.
 */
const ROW_SHADERS: ReadonlySet<ShaderName> = new Set(['softmax_kl', 'cross_entropy', 'hinton', 'multi_teacher']);

/** Whether a shader has a subgroup variant (its pipelines are keyed by the variant). */
export const usesReductions = (name: ShaderName): boolean => ROW_SHADERS.has(name);

/**
 * The WGSL source of one kernel; `subgroups` picks the subgroup reductions for the shaders that
 * reduce over a row (the device must have the `subgroups` feature).
 */
export function shaderSource(name: ShaderName, subgroups = false): string {
  if (!ROW_SHADERS.has(name)) return fileSource(name);
  const key = `${name}:${subgroups}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const src = (subgroups ? 'enable subgroups;\n' + fileSource('_reduce_sg') : fileSource('_reduce_wg')) +
    fileSource('_row') + fileSource(name);
  cache.set(key, src);
  return src;
}

/** One shaders/<name>.wgsl file, as is. */
function fileSource(name: string): string {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  let src = fromFs() ? undefined : generatedShaders[name];
  if (src === undefined) {
    const fs = nodeFs();
    if (!fs) throw new Error(`kd-kernels: no WGSL source for shader '${name}' (run node scripts/bundle-shaders.mjs)`);
    // src/backends/webgpu/ and dist/backends/webgpu/ are both three levels below the package root.
    const url = new URL(`../../../shaders/${name}.wgsl`, import.meta.url);
    try {
      src = fs.readFileSync(url, 'utf8');
    } catch (e) {
      throw new Error(`kd-kernels: cannot read the WGSL source of '${name}' from ${url.pathname}: ${(e as Error).message}`);
    }
  }
  cache.set(name, src);
  return src;
}
