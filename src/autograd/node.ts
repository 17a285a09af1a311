/**
 * An autograd node: the op that made a tensor. Its forward saved exactly what `backward` needs
 * (in the closure); `backward(g)` returns one gradient per input (null where none is needed).
 */
import type { Tensor } from '../tensor.js';

export interface Node {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  backward(grad: Tensor): (Tensor | null)[];
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording the graph (evaluation, optimiser updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Whether an op on these inputs must be recorded. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  return gradEnabled && inputs.some((t) => t?.requiresGrad);
}

/** Attach a node to `out` when any input requires grad; returns `out`. */
export function record(out: Tensor, name: string, inputs: readonly Tensor[], backward: (g: Tensor) => (Tensor | null)[]): Tensor {
  if (!needsGrad(...inputs)) return out;
  out.requiresGrad = true;
  out.node = { name, inputs, backward };
  return out;
}
