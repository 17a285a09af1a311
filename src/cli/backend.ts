/** Backend selection for the CLI: --backend, else native when the addon loads, else cpu. */
import { nativeLoadError, setBackend, useWebGPU, type BackendName } from '../index.js';
import type { BackendChoice } from './args.js';
import type { Io } from './progress.js';

export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

/** One short line out of the native loader's (multi-line) error. */
export function nativeReason(e: Error): string {
  return e.message.split('\n')[0].replace(/^kd-kernels: /, '').replace(/\.?\s*Tried:\s*$/, '');
}

export async function selectBackend(choice: BackendChoice | undefined, io: Io): Promise<BackendName> {
  if (choice === 'webgpu') {
    try {
      await useWebGPU();
    } catch (e) {
      throw new BackendUnavailableError(`the webgpu backend is not available: ${String((e as Error).message ?? e).split('\n')[0]}`);
    }
    return 'webgpu';
  }
  const nErr = nativeLoadError();
  if (choice === 'native') {
    if (nErr) {
      throw new BackendUnavailableError(
        `the native backend is not available (${nativeReason(nErr)}); run 'npx kd-kernels build-native' or use --backend cpu`,
      );
    }
    setBackend('native');
    return 'native';
  }
  if (choice === 'cpu' || nErr) {
    setBackend('cpu');
    if (!choice) {
      io.stderr(
        `kd-kernels: using the cpu backend (the slow reference): the native addon did not load (${nativeReason(nErr!)}); ` +
          `run 'npx kd-kernels build-native' for the fast one\n`,
      );
    }
    return 'cpu';
  }
  setBackend('native');
  return 'native';
}
