/**
 * 2-D max pooling without padding (torch.nn.functional.max_pool2d, padding 0, dilation 1) on the
 * `cpu` backend. x [N, C, h, w] -> y [N, C, hOut, wOut], square `kernel` window, same `stride` in
 * both directions; the window of (oh, ow) covers rows [oh*stride, oh*stride + kernel) and columns
 * [ow*stride, ow*stride + kernel), clipped to the input.
 *
 *   y[n, c, oh, ow]      = max over the window of x[n, c, ih, iw]
 *   argmax[n, c, oh, ow] = flat index into the whole input, ((n*C + c)*h + ih)*w + iw, of that max:
 *                          the first maximum in row-major window order wins; a NaN wins over any
 *                          number (the max is NaN, as in PyTorch)
 *   dx[i]                = sum of g[o] over the outputs o with argmax[o] = i (windows may overlap
 *                          when stride < kernel)
 *
 * The backward is a gather: each input element visits the few windows that can contain it, so it
 * is one independent float64 sum per element (one GPU thread per element, no atomics).
 */
import type { PoolShape, Storage } from '../backend.js';
import { allocF32, f32, i32, wrap } from './storage.js';

export function maxPool2d(x: Storage, s: PoolShape): { y: Storage; argmax: Storage } {
  const X = f32(x);
  const { n: N, c: C, h, w: width, kernel, stride, hOut, wOut } = s;
  const y = allocF32(N * C * hOut * wOut);
  const argmax = new Int32Array(N * C * hOut * wOut);
  for (let plane = 0; plane < N * C; plane++) {
    const xPlane = plane * h * width;
    for (let oh = 0; oh < hOut; oh++) {
      for (let ow = 0; ow < wOut; ow++) {
        const h0 = oh * stride;
        const w0 = ow * stride;
        // 1. Start at the window's first element with -Infinity (as PyTorch), so an all -Infinity
        //    window still names an index inside it.
        let best = -Infinity;
        let bestIndex = xPlane + h0 * width + w0;
        // 2. Strictly greater replaces, so the first maximum wins; NaN always replaces.
        for (let ih = h0; ih < Math.min(h0 + kernel, h); ih++) {
          for (let iw = w0; iw < Math.min(w0 + kernel, width); iw++) {
            const index = xPlane + ih * width + iw;
            const v = X[index];
            if (v > best || Number.isNaN(v)) {
              best = v;
              bestIndex = index;
            }
          }
        }
        const o = (plane * hOut + oh) * wOut + ow;
        y[o] = X[bestIndex];
        argmax[o] = bestIndex;
      }
    }
  }
  return { y: wrap(y), argmax: wrap(argmax) };
}

export function maxPool2dBackward(g: Storage, argmax: Storage, s: PoolShape): Storage {
  const G = f32(g);
  const A = i32(argmax);
  const { n: N, c: C, h, w: width, kernel, stride, hOut, wOut } = s;
  const dx = allocF32(N * C * h * width);
  for (let plane = 0; plane < N * C; plane++) {
    const oPlane = plane * hOut * wOut;
    for (let ih = 0; ih < h; ih++) {
      // 1. Output rows whose window [oh*stride, oh*stride + kernel) contains ih.
      const ohLo = Math.max(0, Math.ceil((ih - kernel + 1) / stride));
      const ohHi = Math.min(hOut - 1, Math.floor(ih / stride));
      for (let iw = 0; iw < width; iw++) {
        const owLo = Math.max(0, Math.ceil((iw - kernel + 1) / stride));
        const owHi = Math.min(wOut - 1, Math.floor(iw / stride));
        const index = (plane * h + ih) * width + iw;
        // 2. Add the gradient of every such window whose max was this element.
        let acc = 0;
        for (let oh = ohLo; oh <= ohHi; oh++) {
          for (let ow = owLo; ow <= owHi; ow++) {
            const o = oPlane + oh * wOut + ow;
            if (A[o] === index) acc += G[o];
          }
        }
        dx[index] = acc;
      }
    }
  }
  return wrap(dx);
}
