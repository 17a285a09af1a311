/**
 * Similarity-preserving loss (reference cpu kernel; Tung & Mori 2019, "Similarity-Preserving
 * Knowledge Distillation").
 *
 *   G = F F^T                       [b, b], for Fs [b, ds] and Ft [b, dt] (ds != dt allowed)
 *   Ĝ_i = G_i / max(||G_i||_2, eps)   eps = 1e-12 (torch.nn.functional.normalize, dim 1)
 *   loss = sum_ij (Ĝs_ij - Ĝt_ij)^2 / b^2                          (a [1] storage)
 *
 * Backward, for the student (the teacher is the same with -D):
 *   D = 2 (Ĝs - Ĝt) / b^2                                         dL/dĜs
 *   dG_i = (D_i - Ĝ_i <Ĝ_i, D_i>) / n_i  if n_i > eps,  else D_i / eps     (row normalisation)
 *   dF = (dG + dG^T) F                                            (G = F F^T)
 * and the gradient written is `scale * dF` for each non-null scale.
 */
import type { GramArgs, GramResult } from '../backend.js';
import { f32, wrap } from './storage.js';

const EPS = 1e-12;

/** Ĝ = rows of F F^T divided by max(norm, eps), in float64; also returns the row norms. */
function normalizedGram(f: Float32Array, b: number, d: number): { gHat: Float64Array; norms: Float64Array } {
  const gHat = new Float64Array(b * b);
  const norms = new Float64Array(b);
  // 1. G = F F^T.
  for (let i = 0; i < b; i++) {
    for (let k = 0; k < b; k++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += f[i * d + c] * f[k * d + c];
      gHat[i * b + k] = dot;
    }
  }
  // 2. Row norms, then divide each row by max(norm, eps).
  for (let i = 0; i < b; i++) {
    let sq = 0;
    for (let k = 0; k < b; k++) sq += gHat[i * b + k] ** 2;
    norms[i] = Math.sqrt(sq);
    const inv = 1 / Math.max(norms[i], EPS);
    for (let k = 0; k < b; k++) gHat[i * b + k] *= inv;
  }
  return { gHat, norms };
}

/** scale * dL/dF given D = dL/dĜ, through the row normalisation and G = F F^T. */
function gramBackward(
  f: Float32Array, b: number, d: number, gHat: Float64Array, norms: Float64Array,
  dHat: Float64Array, scale: number,
): Float32Array {
  // 1. dG_i = (D_i - Ĝ_i <Ĝ_i, D_i>) / n_i, or D_i / eps when n_i <= eps.
  const dG = new Float64Array(b * b);
  for (let i = 0; i < b; i++) {
    const row = i * b;
    if (norms[i] > EPS) {
      let dot = 0;
      for (let k = 0; k < b; k++) dot += gHat[row + k] * dHat[row + k];
      for (let k = 0; k < b; k++) dG[row + k] = (dHat[row + k] - gHat[row + k] * dot) / norms[i];
    } else {
      for (let k = 0; k < b; k++) dG[row + k] = dHat[row + k] / EPS;
    }
  }
  // 2. dF = (dG + dG^T) F, times the scale.
  const out = new Float32Array(b * d);
  for (let i = 0; i < b; i++) {
    for (let c = 0; c < d; c++) {
      let acc = 0;
      for (let k = 0; k < b; k++) acc += (dG[i * b + k] + dG[k * b + i]) * f[k * d + c];
      out[i * d + c] = scale * acc;
    }
  }
  return out;
}

export function gramSimilarity(a: GramArgs): GramResult {
  const { b, ds, dt } = a;
  const fs = f32(a.student);
  const ft = f32(a.teacher);
  // 1. Row-normalised Gram matrices of both networks.
  const S = normalizedGram(fs, b, ds);
  const T = normalizedGram(ft, b, dt);
  // 2. loss = ||Ĝs - Ĝt||_F^2 / b^2 and D = dL/dĜs = 2 (Ĝs - Ĝt) / b^2.
  const invB2 = 1 / (b * b);
  const dHat = new Float64Array(b * b);
  let loss = 0;
  for (let e = 0; e < b * b; e++) {
    const diff = S.gHat[e] - T.gHat[e];
    loss += diff * diff;
    dHat[e] = 2 * diff * invB2;
  }
  loss *= invB2;
  // 3. Gradients: +D for the student, -D for the teacher.
  const result: GramResult = { loss: wrap(new Float32Array([loss])) };
  if (a.studentGradScale !== null) {
    result.gradStudent = wrap(gramBackward(fs, b, ds, S.gHat, S.norms, dHat, a.studentGradScale));
  }
  if (a.teacherGradScale !== null) {
    result.gradTeacher = wrap(gramBackward(ft, b, dt, T.gHat, T.norms, dHat, -a.teacherGradScale));
  }
  return result;
}
