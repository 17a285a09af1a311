/**
 * 2-D convolution (NCHW, stride, padding, groups) and its backward on WebGPU (shaders/conv2d.wgsl).
 *
 * Where a group's product is big enough (>= MIN_GEMM_ROWS rows, >= MIN_GEMM_DEPTH deep) the three passes are
 * implicit GEMMs (entries `gemm_*`: im2col gathered while loading register-blocked tiles of
 * 16..64 x 16..128,
 * never stored); dw splits its long depth (n * hOut * wOut) into partial sums added by the
 * reduce kernel. Depthwise and other narrow groups keep the direct kernels: dx a thread per input
 * element, dw a workgroup per weight. dbias: a workgroup per channel.
 */
import type { ConvShape, Storage } from '../backend.js';
import type { UField } from './context.js';
import { encodeSum } from './reduce.js';
import type { GpuRuntime } from './runtime.js';

const WG = 256;
/** Micro-tile rows per thread (1, 2 or 4) for `m` rows: the gemm tile is 16 x that tall. */
const microRows = (m: number): number => (m <= 16 ? 1 : m <= 32 ? 2 : 4);
/** Micro-tile columns (1, 2, 4, or 8 when the rows leave room: MR * MC <= 16) for `n` columns. */
const microCols = (n: number, mr: number): number => (n <= 16 ? 1 : n <= 32 ? 2 : n <= 64 || mr > 2 ? 4 : 8);
const TK = 16; // gemm k step
/** Below this many rows per group a tile wastes most of its work: use the direct kernels. */
const MIN_GEMM_ROWS = 4;
/** Below this depth (e.g. a first layer's 1 x 3 x 3) a direct kernel's few multiply-adds per output win. */
const MIN_GEMM_DEPTH = 32;
/** dw's split-k: aim for this many workgroups, each at least MIN_CHUNK deep. */
const TARGET_WGS = 64;
const MIN_CHUNK = 256;

interface Gemm { gm: number; gn: number; gk: number; mode: 0 | 1 | 2; splits?: number; kChunk?: number }

function params(s: ConvShape, hasBias: boolean, g?: Gemm): UField[] {
  const mr = g ? microRows(g.gm) : 1;
  const tilesM = g ? Math.ceil(g.gm / (16 * mr)) : 0;
  const tilesN = g ? Math.ceil(g.gn / (16 * microCols(g.gn, mr))) : 0;
  return [
    ['u32', s.n], ['u32', s.cIn], ['u32', s.h], ['u32', s.w],
    ['u32', s.cOut], ['u32', s.kh], ['u32', s.kw], ['u32', s.stride],
    ['u32', s.padding], ['u32', s.groups], ['u32', s.hOut], ['u32', s.wOut],
    ['u32', hasBias ? 1 : 0], ['u32', g?.gm ?? 0], ['u32', g?.gn ?? 0], ['u32', g?.gk ?? 0],
    ['u32', tilesM], ['u32', tilesN], ['u32', g?.kChunk ?? g?.gk ?? 0], ['u32', g?.splits ?? 1],
    ['u32', g?.mode ?? 0], ['u32', 0], ['u32', 0], ['u32', 0],
  ];
}

function gemm(rt: GpuRuntime, s: ConvShape, g: Gemm, src: GPUBuffer, wt: GPUBuffer, bias: GPUBuffer | null, out: GPUBuffer): void {
  const ctx = rt.ctx;
  const MR = microRows(g.gm);
  const MC = microCols(g.gn, MR);
  const wgs = Math.ceil(g.gm / (16 * MR)) * Math.ceil(g.gn / (16 * MC)) * s.groups * (g.splits ?? 1);
  const entry = ['gemm_forward', 'gemm_backward_input', 'gemm_backward_weight'][g.mode];
  ctx.dispatch(rt.encoder(), ctx.pipeline('conv2d', entry, { MR, MC }), [
    ctx.uniform(params(s, !!bias, g)), src, wt, g.mode === 0 ? (bias ?? ctx.dummy(0)) : undefined, out,
  ], wgs);
}

export function conv2d(rt: GpuRuntime, x: Storage, w: Storage, bias: Storage | null, s: ConvShape): Storage {
  const size = s.n * s.cOut * s.hOut * s.wOut;
  const y = rt.alloc(size);
  const ctx = rt.ctx;
  const coutpg = s.cOut / s.groups;
  if (coutpg >= MIN_GEMM_ROWS && (s.cIn / s.groups) * s.kh * s.kw >= MIN_GEMM_DEPTH) {
    const g: Gemm = { mode: 0, gm: coutpg, gn: s.n * s.hOut * s.wOut, gk: (s.cIn / s.groups) * s.kh * s.kw };
    gemm(rt, s, g, rt.buf(x), rt.buf(w), bias ? rt.buf(bias) : null, y.buffer!);
    return y;
  }
  ctx.dispatch(rt.encoder(), ctx.pipeline('conv2d', 'forward'), [
    ctx.uniform(params(s, !!bias)), rt.buf(x), rt.buf(w), bias ? rt.buf(bias) : ctx.dummy(0), y.buffer!,
  ], Math.ceil(size / WG));
  return y;
}

export function conv2dBackward(
  rt: GpuRuntime, g: Storage, x: Storage, w: Storage, s: ConvShape,
  need: { x: boolean; w: boolean; bias: boolean },
): { dx?: Storage; dw?: Storage; dbias?: Storage } {
  const ctx = rt.ctx;
  const u = ctx.uniform(params(s, false));
  const cinpg = s.cIn / s.groups;
  const coutpg = s.cOut / s.groups;
  const khw = s.kh * s.kw;
  const r: { dx?: Storage; dw?: Storage; dbias?: Storage } = {};
  if (need.x) {
    const size = s.n * s.cIn * s.h * s.w;
    const dx = rt.alloc(size);
    if (cinpg >= MIN_GEMM_ROWS && coutpg * khw >= MIN_GEMM_DEPTH) {
      gemm(rt, s, { mode: 1, gm: cinpg, gn: s.n * s.h * s.w, gk: coutpg * khw }, rt.buf(g), rt.buf(w), null, dx.buffer!);
    } else {
      ctx.dispatch(rt.encoder(), ctx.pipeline('conv2d', 'backward_input'), [u, rt.buf(g), rt.buf(w), undefined, dx.buffer!], Math.ceil(size / WG));
    }
    r.dx = dx;
  }
  if (need.w) {
    const size = s.cOut * cinpg * khw;
    const dw = rt.alloc(size);
    if (coutpg >= MIN_GEMM_ROWS) {
      // 1. Split the depth n * hOut * wOut so that enough workgroups run, then 2. add the parts.
      const gk = s.n * s.hOut * s.wOut;
      const mr = microRows(coutpg);
      const tiles = Math.ceil(coutpg / (16 * mr)) * Math.ceil((cinpg * khw) / (16 * microCols(cinpg * khw, mr))) * s.groups;
      let splits = Math.max(1, Math.min(Math.ceil(gk / MIN_CHUNK), Math.ceil(TARGET_WGS / tiles)));
      const kChunk = Math.ceil(gk / splits / TK) * TK;
      splits = Math.ceil(gk / kChunk);
      const gm: Gemm = { mode: 2, gm: coutpg, gn: cinpg * khw, gk, splits, kChunk };
      if (splits === 1) {
        gemm(rt, s, gm, rt.buf(g), rt.buf(x), null, dw.buffer!);
      } else {
        const parts = rt.alloc(splits * size);
        gemm(rt, s, gm, rt.buf(g), rt.buf(x), null, parts.buffer!);
        encodeSum(ctx, rt.encoder(), parts.buffer!, dw.buffer!, splits, size, 'rows', 1);
        rt.dispose(parts);
      }
    } else {
      ctx.dispatch(rt.encoder(), ctx.pipeline('conv2d', 'backward_weight'), [u, rt.buf(g), rt.buf(x), undefined, dw.buffer!], size);
    }
    r.dw = dw;
  }
  if (need.bias) {
    const db = rt.alloc(s.cOut);
    ctx.dispatch(rt.encoder(), ctx.pipeline('conv2d', 'backward_bias'), [u, rt.buf(g), undefined, undefined, db.buffer!], s.cOut);
    r.dbias = db;
  }
  return r;
}
