/**
 * Counter-based RNG shared by every backend (TypeScript, C++ and WGSL compute the same bits),
 * so dropout masks are identical on cpu, native and webgpu for the same seed.
 *
 *   pcg(x)            = PCG-RXS-M-XS 32-bit output hash of x (O'Neill 2014), all arithmetic mod 2^32
 *   hashUniform(s, i) = (pcg(pcg(s) + i) >>> 8) * 2^-24          in [0, 1)
 */
export function pcg(x: number): number {
  const state = (Math.imul(x >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

export function hashUniform(seed: number, index: number): number {
  return (pcg((pcg(seed) + index) >>> 0) >>> 8) * 5.9604644775390625e-8;
}
