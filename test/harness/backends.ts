/**
 * describeEachBackend: one spec, run on every available backend. A backend that is missing is
 * reported as skipped with its reason (printed, and in the suite name). With KD_REQUIRE_WEBGPU=1
 * (CI) a missing WebGPU adapter fails the run instead; KD_REQUIRE_NATIVE=1 likewise for the addon.
 * KD_TEST_BACKENDS=cpu,native restricts the list (the qemu ARM run uses it).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { nativeLoadError, releaseWebGPU, setBackend, useWebGPU } from '../../src/index.js';
import type { BackendName } from '../../src/index.js';
import type { Tolerance } from './fixtures.js';

/** Per-backend tolerances against float64 references (float32 storage everywhere). */
export const TOLERANCES: Record<BackendName, Tolerance> = {
  cpu: { rtol: 1e-4, atolRel: 1e-5 },
  native: { rtol: 2e-4, atolRel: 2e-5 },
  webgpu: { rtol: 1e-3, atolRel: 1e-4 },
};

export interface BackendContext {
  name: BackendName;
  tol: Tolerance;
}

const only = process.env.KD_TEST_BACKENDS?.split(',').map((s) => s.trim()) ?? null;

async function availability(): Promise<Record<BackendName, string | null>> {
  const out: Record<BackendName, string | null> = { cpu: null, native: null, webgpu: null };
  const nErr = nativeLoadError();
  if (nErr) out.native = `native addon not loaded: ${nErr.message}`;
  if (only && !only.includes('webgpu')) out.webgpu = `not in KD_TEST_BACKENDS=${process.env.KD_TEST_BACKENDS}`;
  else {
    try {
      await useWebGPU({ makeCurrent: false });
    } catch (e) {
      out.webgpu = `no WebGPU adapter: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  for (const b of ['cpu', 'native'] as const) {
    if (only && !only.includes(b)) out[b] = `not in KD_TEST_BACKENDS=${process.env.KD_TEST_BACKENDS}`;
  }
  return out;
}

export const available = await availability();

const required: Partial<Record<BackendName, boolean>> = {
  webgpu: process.env.KD_REQUIRE_WEBGPU === '1',
  native: process.env.KD_REQUIRE_NATIVE === '1',
};

const printed = new Set<string>();

export function describeEachBackend(title: string, fn: (ctx: BackendContext) => void): void {
  for (const name of ['cpu', 'native', 'webgpu'] as BackendName[]) {
    const reason = available[name];
    if (reason) {
      if (required[name] && !(only && !only.includes(name))) {
        describe(`${title} [${name}]`, () => {
          it(`${name} backend is required here`, () => {
            throw new Error(`KD_REQUIRE_${name.toUpperCase()}=1 but ${reason}`);
          });
        });
        continue;
      }
      if (!printed.has(name)) {
        printed.add(name);
        console.log(`[skip] ${name} backend: ${reason}`);
      }
      describe.skip(`${title} [${name}] (skipped: ${reason})`, () => fn({ name, tol: TOLERANCES[name] }));
      continue;
    }
    describe(`${title} [${name}]`, () => {
      beforeAll(async () => {
        if (name === 'webgpu') await useWebGPU();
        else setBackend(name);
      });
      fn({ name, tol: TOLERANCES[name] });
    });
  }
  afterAll(() => releaseWebGPU());
}
