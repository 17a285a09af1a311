/**
 * Divergences of the fused softmax-KL kernel, and the one place that maps the endpoints of the
 * generalised JSD: with m = beta p_t + (1 - beta) p_s, JSD_beta = beta KL(p_t || m) + (1 - beta) KL(p_s || m)
 * is 0 at beta = 0 and 1 (m equals one side), so TRL's generalized_jsd_loss and Liger's JSD define
 * those two points as the plain KLs instead: beta = 0 is forward KL(p_t || p_s), beta = 1 reverse
 * KL(p_s || p_t). Every layer (Tensor API, raw native, raw webgpu) maps here before a kernel runs,
 * so the kernels only ever see 'jsd' with 0 < beta < 1.
 */
import type { Divergence } from '../backends/backend.js';

export const DIVERGENCES: readonly Divergence[] = ['forward-kl', 'reverse-kl', 'jsd'];

/** The divergence a kernel computes for (divergence, beta). */
export function resolveDivergence(divergence: Divergence, beta: number): Divergence {
  if (divergence !== 'jsd') return divergence;
  if (beta === 0) return 'forward-kl';
  if (beta === 1) return 'reverse-kl';
  return 'jsd';
}
