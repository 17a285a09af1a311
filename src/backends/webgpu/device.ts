/**
 * Getting a GPUDevice: the caller's, the browser's navigator.gpu, or in Node Dawn through the
 * `webgpu` npm package (create(dawnFlags)). The device asks for the adapter's own limits on
 * storage buffer sizes and workgroup memory, not WebGPU's small defaults.
 */

export interface DeviceOptions {
  /** Use this device (the caller keeps ownership: destroy() of the backend leaves it alone). */
  device?: GPUDevice;
  /** Dawn toggles / flags for the Node `webgpu` package, e.g. ['adapter=lavapipe'] or ['enable-dawn-features=...']. */
  dawnFlags?: string[];
  powerPreference?: 'low-power' | 'high-performance';
  /**
   * Row reductions with subgroup operations when the adapter offers the `subgroups` feature
   * (default true; false keeps the shared-memory reductions, e.g. to test both paths).
   */
  subgroups?: boolean;
}

const HOW_TO =
  'No WebGPU adapter was found. In a browser, use one with WebGPU enabled (Chrome/Edge 113+, or ' +
  'Chromium with --enable-unsafe-webgpu). In Node, the `webgpu` package (Dawn) needs a Vulkan, Metal ' +
  'or D3D12 driver: on Linux without a GPU install Mesa\'s lavapipe (Debian/Ubuntu: ' +
  '`apt-get install mesa-vulkan-drivers`, on Debian bookworm from bookworm-backports) and set ' +
  'XDG_RUNTIME_DIR to a writable folder (e.g. mkdir -p /tmp/xdg && chmod 700 /tmp/xdg).';

interface NodeProcess {
  versions?: { node?: string };
  env: Record<string, string | undefined>;
  getBuiltinModule?: (id: string) => unknown;
  getuid?: () => number;
}

async function nodeGpu(flags: string[]): Promise<GPU> {
  const proc = (globalThis as { process?: NodeProcess }).process;
  // Dawn's Vulkan loader wants a runtime dir; give it a private one when the environment has none.
  if (proc && !proc.env.XDG_RUNTIME_DIR) {
    const fs = proc.getBuiltinModule?.('node:fs') as typeof import('node:fs') | undefined;
    const os = proc.getBuiltinModule?.('node:os') as typeof import('node:os') | undefined;
    if (fs && os) {
      const dir = `${os.tmpdir()}/kd-kernels-xdg-${proc.getuid?.() ?? 0}`;
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        proc.env.XDG_RUNTIME_DIR = dir;
      } catch { /* leave it unset */ }
    }
  }
  const name = 'webgpu';
  let mod: { create(flags: string[]): GPU; globals: object };
  try {
    mod = (await import(/* @vite-ignore */ name)) as typeof mod;
  } catch (e) {
    // An optional peer dependency (about 130 MB, Dawn for five platforms): installed only by those who want it.
    const missing = (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    throw new Error(
      missing
        ? 'kd-kernels: WebGPU in Node needs the optional peer dependency `webgpu` (Dawn): run `npm install webgpu`'
        : `kd-kernels/webgpu: the \`webgpu\` npm package (Dawn) could not be loaded: ${(e as Error).message}`,
    );
  }
  // Install GPUBufferUsage & co. for callers' convenience (kd-kernels itself does not need them).
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  return mod.create(flags);
}

/** Limits worth asking for: the adapter's own, where they beat WebGPU's defaults. */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxStorageBuffersPerShaderStage',
] as const;

/**
 * Dawn's GPU instance must outlive its devices: if it is garbage-collected, the process aborts
 * ("The futex facility returned an unexpected error code" / std::system_error). Keep it with the device.
 */
const instances = new WeakMap<GPUDevice, GPU>();

/** The device to run on; `owned` is true when kd-kernels created it (and so destroys it). */
export async function acquireDevice(opts: DeviceOptions = {}): Promise<{ device: GPUDevice; owned: boolean }> {
  if (opts.device) return { device: opts.device, owned: false };
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const gpu = nav?.gpu ?? (await nodeGpu(opts.dawnFlags ?? []));
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter(opts.powerPreference ? { powerPreference: opts.powerPreference } : undefined);
  } catch (e) {
    throw new Error(`${HOW_TO} (requestAdapter failed: ${(e as Error).message})`);
  }
  if (!adapter) throw new Error(HOW_TO);
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  const requiredFeatures: GPUFeatureName[] = opts.subgroups !== false && adapter.features.has('subgroups') ? ['subgroups' as GPUFeatureName] : [];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  instances.set(device, gpu);
  return { device, owned: true };
}
