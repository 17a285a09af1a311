/**
 * 2-D convolution (NCHW, stride, padding, groups) and its backward on WebGPU (shaders/conv2d.wgsl):
 * dx a thread per input element, dw a workgroup per weight, dbias a workgroup per channel.
 */
import type { ConvShape, Storage } from '../backend.js';
import type { GpuRuntime } from './runtime.js';

const WG = 256;

function params(rt: GpuRuntime, s: ConvShape, hasBias: boolean): GPUBuffer {
  return rt.ctx.uniform([
    ['u32', s.n], ['u32', s.cIn], ['u32', s.h], ['u32', s.w],
    ['u32', s.cOut], ['u32', s.kh], ['u32', s.kw], ['u32', s.stride],
    ['u32', s.padding], ['u32', s.groups], ['u32', s.hOut], ['u32', s.wOut],
    ['u32', hasBias ? 1 : 0],
  ]);
}

export function conv2d(rt: GpuRuntime, x: Storage, w: Storage, bias: Storage | null, s: ConvShape): Storage {
  const size = s.n * s.cOut * s.hOut * s.wOut;
  const y = rt.alloc(size);
  const ctx = rt.ctx;
  ctx.dispatch(rt.encoder(), ctx.pipeline('conv2d', 'forward'), [
    params(rt, s, !!bias), rt.buf(x), rt.buf(w), bias ? rt.buf(bias) : ctx.dummy(0), y.buffer!,
  ], Math.ceil(size / WG));
  return y;
}

export function conv2dBackward(
  rt: GpuRuntime, g: Storage, x: Storage, w: Storage, s: ConvShape,
  need: { x: boolean; w: boolean; bias: boolean },
): { dx?: Storage; dw?: Storage; dbias?: Storage } {
  const ctx = rt.ctx;
  const u = params(rt, s, false);
  const r: { dx?: Storage; dw?: Storage; dbias?: Storage } = {};
  if (need.x) {
    const size = s.n * s.cIn * s.h * s.w;
    const dx = rt.alloc(size);
    ctx.dispatch(rt.encoder(), ctx.pipeline('conv2d', 'backward_input'), [u, rt.buf(g), rt.buf(w), undefined, dx.buffer!], Math.ceil(size / WG));
    r.dx = dx;
  }
  if (need.w) {
    const size = s.cOut * (s.cIn / s.groups) * s.kh * s.kw;
    const dw = rt.alloc(size);
    ctx.dispatch(rt.encoder(), ctx.pipeline('conv2d', 'backward_weight'), [u, rt.buf(g), rt.buf(x), undefined, dw.buffer!], size);
    r.dw = dw;
  }
  if (need.bias) {
    const db = rt.alloc(s.cOut);
    ctx.dispatch(rt.encoder(), ctx.pipeline('conv2d', 'backward_bias'), [u, rt.buf(g), undefined, undefined, db.buffer!], s.cOut);
    r.dbias = db;
  }
  return r;
}
