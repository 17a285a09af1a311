/**
 * What every WebGPU kernel needs, shared by the backend and the raw layer (src/webgpu.ts):
 * pipelines cached per shader + entry point + override constants, immutable uniform buffers
 * cached by content, dummy buffers for optional bindings, and a dispatch helper.
 */
import { shaderSource, usesReductions, type ShaderName } from './shaders.js';

/** GPUBufferUsage / GPUMapMode values, so nothing depends on the WebGPU globals being installed. */
export const Usage = {
  MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128,
} as const;
export const MapRead = 1;

/** A uniform field: its WGSL type and value. */
export type UField = ['u32' | 'i32' | 'f32', number];

/** A binding: a whole buffer, or undefined where the entry point does not use that slot. */
export type Binding = GPUBuffer | undefined;

/** Largest workgroup count per dimension a dispatch may use (WebGPU's default limit). */
const MAX_WG = 65535;

export class KernelContext {
  readonly maxBinding: number;
  private pipelines = new Map<string, GPUComputePipeline>();
  private modules = new Map<string, GPUShaderModule>();
  private uniforms = new Map<string, GPUBuffer>();
  private dummies: GPUBuffer[] = [];
  private maxWg: number;
  /** Buffers this context created (storage, scratch, uniforms, dummies, staging): backend.stats.buffers. */
  readonly count = { buffers: 0 };
  /** Row reductions use subgroup operations (the device has `subgroups` and they are not turned off). */
  readonly subgroups: boolean;

  constructor(readonly device: GPUDevice, opts: { subgroups?: boolean } = {}) {
    this.subgroups = opts.subgroups !== false && device.features.has('subgroups');
    this.maxBinding = device.limits.maxStorageBufferBindingSize;
    this.maxWg = Math.min(device.limits.maxComputeWorkgroupsPerDimension ?? MAX_WG, MAX_WG);
  }

  /** The compute pipeline of one entry point with the given override constants, cached. */
  pipeline(shader: ShaderName, entry: string, constants: Record<string, number> = {}): GPUComputePipeline {
    const key = `${shader}:${entry}:${JSON.stringify(constants)}`;
    let p = this.pipelines.get(key);
    if (p) return p;
    const sg = this.subgroups && usesReductions(shader);
    let module = this.modules.get(shader);
    if (!module) {
      module = this.device.createShaderModule({ label: sg ? `${shader} (subgroups)` : shader, code: shaderSource(shader, sg) });
      this.modules.set(shader, module);
    }
    p = this.device.createComputePipeline({
      label: `${shader}.${entry}`,
      layout: 'auto',
      compute: { module, entryPoint: entry, constants },
    });
    this.pipelines.set(key, p);
    return p;
  }

  /**
   * An immutable uniform buffer holding the fields (16-byte aligned), cached by content: being
   * immutable, it is safe to share between dispatches in any encoder, submitted or not.
   */
  uniform(fields: UField[]): GPUBuffer {
    // 64 bytes at least: every Params struct fits, whatever fields a caller leaves out.
    const n = Math.max(16, Math.ceil(fields.length / 4) * 4);
    const bytes = new ArrayBuffer(n * 4);
    const dv = new DataView(bytes);
    fields.forEach(([t, v], i) => {
      if (t === 'f32') dv.setFloat32(i * 4, v, true);
      else if (t === 'i32') dv.setInt32(i * 4, v, true);
      else dv.setUint32(i * 4, v >>> 0, true);
    });
    const words = new Uint32Array(bytes);
    const key = words.join(',');
    let buf = this.uniforms.get(key);
    if (buf) {
      // Refresh its place in the LRU order.
      this.uniforms.delete(key);
      this.uniforms.set(key, buf);
      return buf;
    }
    buf = this.createBuffer({ size: bytes.byteLength, usage: Usage.UNIFORM, mappedAtCreation: true });
    new Uint32Array(buf.getMappedRange()).set(words);
    buf.unmap();
    this.uniforms.set(key, buf);
    if (this.uniforms.size > 4096) {
      // Dropped, not destroyed: a pending command buffer may still use it; WebGPU keeps it alive.
      const oldest = this.uniforms.keys().next().value as string;
      this.uniforms.delete(oldest);
    }
    return buf;
  }

  /** A small buffer for the i-th unused optional binding of a dispatch (distinct per slot, no aliasing). */
  dummy(i: number): GPUBuffer {
    while (this.dummies.length <= i) {
      this.dummies.push(this.createBuffer({ size: 16, usage: Usage.STORAGE }));
    }
    return this.dummies[i];
  }

  /** Workgroup counts [x, y] covering `n` workgroups within the per-dimension limit. */
  grid(n: number): [number, number] {
    if (n <= this.maxWg) return [n, 1];
    const y = Math.ceil(n / this.maxWg);
    if (y > this.maxWg) throw new RangeError(`kd-kernels/webgpu: ${n} workgroups exceed the dispatch limit`);
    return [this.maxWg, y];
  }

  /**
   * Encodes one compute dispatch: bindings[i] goes to @binding(i) of group 0 (undefined: slot unused
   * by this entry point). `workgroups` is a flat count (spread over x and y) or explicit [x, y].
   */
  dispatch(
    encoder: GPUCommandEncoder, pipeline: GPUComputePipeline, bindings: Binding[],
    workgroups: number | [number, number],
  ): void {
    const entries: GPUBindGroupEntry[] = [];
    bindings.forEach((b, i) => { if (b) entries.push({ binding: i, resource: { buffer: b } }); });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const [x, y] = typeof workgroups === 'number' ? this.grid(workgroups) : workgroups;
    if (x === 0 || y === 0) return;
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y);
    pass.end();
  }

  /**
   * A scratch storage buffer for one encode, and its release once encoded. The raw layer creates a
   * fresh buffer and lets it be garbage-collected after the caller's submit; the backend replaces
   * both with its buffer pool (safe, since every later use of a pooled buffer is GPU-ordered).
   */
  scratch = (bytes: number): GPUBuffer => {
    this.checkBinding(bytes, 'a scratch buffer');
    return this.createBuffer({
      size: Math.max(16, Math.ceil(bytes / 4) * 4),
      usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST,
    });
  };

  /** device.createBuffer, counted. */
  createBuffer(desc: GPUBufferDescriptor): GPUBuffer {
    this.count.buffers++;
    return this.device.createBuffer(desc);
  }
  release = (_buf: GPUBuffer): void => {};

  /** The WebGPU spec forbids binding more than maxStorageBufferBindingSize bytes. */
  checkBinding(bytes: number, what: string): void {
    if (bytes > this.maxBinding) {
      throw new RangeError(
        `kd-kernels/webgpu: ${what} needs ${bytes} bytes, over this device's maxStorageBufferBindingSize ` +
        `(${this.maxBinding} bytes); split the batch`,
      );
    }
  }
}

/**
 * Workgroup size (the WGSL `WG` override) for kernels with one workgroup per row: enough threads
 * for the row, no more, so narrow rows do not pay for 256 threads and their barriers.
 */
export function rowWG(cols: number): number {
  if (cols <= 64) return 32;
  if (cols <= 512) return 64;
  if (cols <= 4096) return 128;
  return 256;
}

/** 1 when v is non-null (the gradient is wanted), as a flag bit. */
export const want = (v: number | null | undefined): number => (v === null || v === undefined ? 0 : 1);
