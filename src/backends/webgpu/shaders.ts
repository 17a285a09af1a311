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
  | 'elementwise' | 'reduce' | 'softmax' | 'transpose' | 'dropout' | 'conv2d' | 'maxpool2d' | 'optim';

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

/** The WGSL source of one kernel. */
export function shaderSource(name: ShaderName): string {
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
