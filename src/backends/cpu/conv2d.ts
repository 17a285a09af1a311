/**
 * 2-D convolution (cross-correlation, as torch.nn.functional.conv2d) on the `cpu` backend.
 *
 * Layouts: x [N, cIn, h, w], weight [cOut, cIn/groups, kh, kw], bias [cOut], y [N, cOut, hOut, wOut],
 * all row-major (NCHW). Zero padding `padding` on every side, the same `stride` in both directions,
 * hOut = floor((h + 2*padding - kh) / stride) + 1 (likewise wOut; the caller computes both).
 * Channels are split into `groups` groups: output channel co reads input channels
 * [grp * cInG, (grp + 1) * cInG) with grp = floor(co / cOutG), cInG = cIn/groups, cOutG = cOut/groups
 * (depthwise: groups = cIn = cOut). Input row of output row oh and kernel row r: ih = oh*stride - padding + r.
 *
 *   y[n, co, oh, ow]  = bias[co] + sum_{ci < cInG, r, c} x[n, grp*cInG + ci, ih, iw] * w[co, ci, r, c]
 *   dx[n, cx, ih, iw] = sum over (co in the group of cx, r, c) with ih = oh*stride - padding + r and
 *                       iw = ow*stride - padding + c for an in-range (oh, ow) of g[n, co, oh, ow] * w[co, cx - grp*cInG, r, c]
 *   dw[co, ci, r, c]  = sum_{n, oh, ow} g[n, co, oh, ow] * x[n, grp*cInG + ci, ih, iw]   (in-range ih, iw)
 *   dbias[co]         = sum_{n, oh, ow} g[n, co, oh, ow]
 *
 * Every output element is one independent float64 sum (a gather, no scatter), so the same loops
 * map onto one GPU thread per output element. Each is rounded to float32 once.
 */
import type { ConvShape, Storage } from '../backend.js';
import { allocF32, f32, wrap } from './storage.js';

export function conv2d(x: Storage, w: Storage, bias: Storage | null, s: ConvShape): Storage {
  const X = f32(x);
  const W = f32(w);
  const B = bias ? f32(bias) : null;
  const { n: N, cIn, h, w: width, cOut, kh, kw, stride, padding, groups, hOut, wOut } = s;
  const cInG = cIn / groups;
  const cOutG = cOut / groups;
  const y = allocF32(N * cOut * hOut * wOut);
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < cOut; co++) {
      const grp = Math.floor(co / cOutG);
      for (let oh = 0; oh < hOut; oh++) {
        for (let ow = 0; ow < wOut; ow++) {
          // 1. Start from the bias, then 2. add every in-range input tap of the window.
          let acc = B ? B[co] : 0;
          for (let ci = 0; ci < cInG; ci++) {
            const xPlane = (n * cIn + grp * cInG + ci) * h;
            const wPlane = (co * cInG + ci) * kh;
            for (let r = 0; r < kh; r++) {
              const ih = oh * stride - padding + r;
              if (ih < 0 || ih >= h) continue;
              for (let c = 0; c < kw; c++) {
                const iw = ow * stride - padding + c;
                if (iw < 0 || iw >= width) continue;
                acc += X[(xPlane + ih) * width + iw] * W[(wPlane + r) * kw + c];
              }
            }
          }
          y[((n * cOut + co) * hOut + oh) * wOut + ow] = acc;
        }
      }
    }
  }
  return wrap(y);
}

export function conv2dBackward(
  g: Storage, x: Storage, w: Storage, s: ConvShape,
  need: { x: boolean; w: boolean; bias: boolean },
): { dx?: Storage; dw?: Storage; dbias?: Storage } {
  const G = f32(g);
  const out: { dx?: Storage; dw?: Storage; dbias?: Storage } = {};
  if (need.x) out.dx = wrap(inputGrad(G, f32(w), s));
  if (need.w) out.dw = wrap(weightGrad(G, f32(x), s));
  if (need.bias) out.dbias = wrap(biasGrad(G, s));
  return out;
}

/** dx: for each input element, the output positions whose window covers it. */
function inputGrad(G: Float32Array, W: Float32Array, s: ConvShape): Float32Array {
  const { n: N, cIn, h, w: width, cOut, kh, kw, stride, padding, groups, hOut, wOut } = s;
  const cInG = cIn / groups;
  const cOutG = cOut / groups;
  const dx = allocF32(N * cIn * h * width);
  for (let n = 0; n < N; n++) {
    for (let cx = 0; cx < cIn; cx++) {
      const grp = Math.floor(cx / cInG);
      const ci = cx - grp * cInG; // channel index inside the weight's cIn/groups axis
      for (let ih = 0; ih < h; ih++) {
        for (let iw = 0; iw < width; iw++) {
          let acc = 0;
          // 1. Every output channel of this group, every kernel tap (r, c).
          for (let co = grp * cOutG; co < (grp + 1) * cOutG; co++) {
            const gPlane = (n * cOut + co) * hOut;
            const wPlane = (co * cInG + ci) * kh;
            for (let r = 0; r < kh; r++) {
              // 2. The output row that reads (ih) through tap r, if any: oh*stride = ih + padding - r.
              const ohStrided = ih + padding - r;
              if (ohStrided < 0 || ohStrided % stride !== 0) continue;
              const oh = ohStrided / stride;
              if (oh >= hOut) continue;
              for (let c = 0; c < kw; c++) {
                const owStrided = iw + padding - c;
                if (owStrided < 0 || owStrided % stride !== 0) continue;
                const ow = owStrided / stride;
                if (ow >= wOut) continue;
                acc += G[(gPlane + oh) * wOut + ow] * W[(wPlane + r) * kw + c];
              }
            }
          }
          dx[((n * cIn + cx) * h + ih) * width + iw] = acc;
        }
      }
    }
  }
  return dx;
}

/** dw: for each weight tap, the sum over the batch and output positions of g times the input it read. */
function weightGrad(G: Float32Array, X: Float32Array, s: ConvShape): Float32Array {
  const { n: N, cIn, h, w: width, cOut, kh, kw, stride, padding, groups, hOut, wOut } = s;
  const cInG = cIn / groups;
  const cOutG = cOut / groups;
  const dw = allocF32(cOut * cInG * kh * kw);
  for (let co = 0; co < cOut; co++) {
    const grp = Math.floor(co / cOutG);
    for (let ci = 0; ci < cInG; ci++) {
      for (let r = 0; r < kh; r++) {
        for (let c = 0; c < kw; c++) {
          let acc = 0;
          for (let n = 0; n < N; n++) {
            const gPlane = (n * cOut + co) * hOut;
            const xPlane = (n * cIn + grp * cInG + ci) * h;
            for (let oh = 0; oh < hOut; oh++) {
              const ih = oh * stride - padding + r;
              if (ih < 0 || ih >= h) continue;
              for (let ow = 0; ow < wOut; ow++) {
                const iw = ow * stride - padding + c;
                if (iw < 0 || iw >= width) continue;
                acc += G[(gPlane + oh) * wOut + ow] * X[(xPlane + ih) * width + iw];
              }
            }
          }
          dw[((co * cInG + ci) * kh + r) * kw + c] = acc;
        }
      }
    }
  }
  return dw;
}

/** dbias: the sum of g over the batch and output positions of each output channel. */
function biasGrad(G: Float32Array, s: ConvShape): Float32Array {
  const { n: N, cOut, hOut, wOut } = s;
  const plane = hOut * wOut;
  const dbias = allocF32(cOut);
  for (let co = 0; co < cOut; co++) {
    let acc = 0;
    for (let n = 0; n < N; n++) {
      const start = (n * cOut + co) * plane;
      for (let p = 0; p < plane; p++) acc += G[start + p];
    }
    dbias[co] = acc;
  }
  return dbias;
}
