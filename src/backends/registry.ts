/**
 * Where backends come from. `cpu` is always there; `native` loads the C++ addon
 * (src/backends/native/index.ts: loadNativeBackend(), throws with the reason when it cannot);
 * `webgpu` needs an async device (src/backends/webgpu/index.ts: createWebGPUBackend()).
 */
import type { Backend, BackendName } from './backend.js';
import { cpuBackend } from './cpu/index.js';

export { cpuBackend };
