/**
 * Which backend new tensors go to. `cpu` is always there; `native` loads the C++ addon
 * (src/backends/native/index.ts); `webgpu` needs an async device (src/backends/webgpu/index.ts).
 *
 * Default: `native` when the addon loads, else `cpu` with one warning that says why and how to
 * fix it (in Node; a browser gets `cpu` silently). `KD_BACKEND=cpu|native` picks one;
 * `KD_BACKEND=native` turns a load failure into an error. Nothing loads at import time: the addon
 * is loaded synchronously on first use (no top-level await, so require('kd-kernels') works).
 */
import type { Backend, BackendName } from './backend.js';
import { cpuBackend } from './cpu/index.js';
import { loadNativeBackend } from './native/index.js';

export { cpuBackend };

let current: Backend | null = null;
let nativeBackend: Backend | null = null;
let nativeError: Error | null = null;
let webgpuBackend: (Backend & { destroy(): void }) | null = null;
let warned = false;

function env(name: string): string | undefined {
  return typeof process !== 'undefined' ? process.env?.[name] : undefined;
}

/** The native backend, or null with the reason in nativeLoadError(). Loads once. */
export function tryNative(): Backend | null {
  if (nativeBackend || nativeError) return nativeBackend;
  try {
    nativeBackend = loadNativeBackend();
  } catch (e) {
    nativeError = e instanceof Error ? e : new Error(String(e));
  }
  return nativeBackend;
}

export function nativeLoadError(): Error | null {
  tryNative();
  return nativeError;
}

export function getBackend(): Backend {
  if (current) return current;
  const wanted = env('KD_BACKEND');
  if (wanted === 'cpu') return (current = cpuBackend);
  const nb = tryNative();
  if (nb) return (current = nb);
  if (wanted === 'native') throw new Error(`KD_BACKEND=native but the native addon did not load: ${nativeError?.message}`);
  // In Node the cpu fallback is worth a warning; in a browser it is the expected default.
  if (!warned && typeof process !== 'undefined') {
    warned = true;
    console.warn(`kd-kernels: using the cpu backend (slow reference); ${nativeError?.message}`);
  }
  return (current = cpuBackend);
}

export function backendByName(name: BackendName): Backend {
  if (name === 'cpu') return cpuBackend;
  if (name === 'native') {
    const nb = tryNative();
    if (!nb) throw new Error(`the native backend is not available: ${nativeError?.message}`);
    return nb;
  }
  if (!webgpuBackend) throw new Error("the webgpu backend is not initialised: call `await useWebGPU()` first");
  return webgpuBackend;
}

/** Make 'cpu' or 'native' the backend of new tensors ('webgpu': use `await useWebGPU()`). */
export function setBackend(name: BackendName): void {
  if (name !== 'cpu' && name !== 'native' && name !== 'webgpu') {
    throw new RangeError(`backend must be 'cpu', 'native' or 'webgpu', got ${JSON.stringify(name)}`);
  }
  current = backendByName(name);
}

export interface WebGPUOptions {
  /** Use this device instead of creating one. */
  device?: GPUDevice;
  /** Dawn toggles for Node (the `webgpu` package's create([...])). */
  dawnFlags?: string[];
  powerPreference?: 'low-power' | 'high-performance';
  /** Subgroup reductions where the adapter offers them (default true). */
  subgroups?: boolean;
  /** Make webgpu the current backend (default true). */
  makeCurrent?: boolean;
}

/** Create (or adopt) a GPUDevice and make `webgpu` the current backend. */
export async function useWebGPU(opts: WebGPUOptions = {}): Promise<Backend & { device: GPUDevice; destroy(): void }> {
  if (!webgpuBackend) {
    const { createWebGPUBackend } = await import('./webgpu/index.js');
    webgpuBackend = await createWebGPUBackend(opts);
  }
  if (opts.makeCurrent !== false) current = webgpuBackend;
  return webgpuBackend as Backend & { device: GPUDevice; destroy(): void };
}

/** Destroy the WebGPU device (lets Node exit) and fall back to the default backend. */
export function releaseWebGPU(): void {
  if (!webgpuBackend) return;
  if (current === webgpuBackend) current = null;
  webgpuBackend.destroy();
  webgpuBackend = null;
}
