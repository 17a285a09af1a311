/**
 * Reverse-mode backward over the graph of nodes, with an iterative topological sort (no recursion,
 * so a graph thousands of ops deep is fine).
 *
 * Gradient ownership: each gradient tensor made during the pass is counted by the slots that hold
 * it (pending gradients of intermediate tensors); when the last slot lets go it is disposed. A
 * gradient handed to a leaf's `.grad` leaves the count; later passes accumulate into it in place.
 */
import type { Tensor } from '../tensor.js';
import { fromStorage, ones } from '../tensor.js';
import { noGrad } from './node.js';
import { fmtShape } from '../kernels/validate.js';

/** Seeds made by backward() for a scalar root: fused losses recognise them and skip a scale pass. */
export const unitSeeds = new WeakSet<Tensor>();

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (visited.has(t)) continue;
    visited.add(t);
    stack.push([t, true]);
    for (const inp of t.node!.inputs) if (inp.node && !visited.has(inp)) stack.push([inp, false]);
  }
  return order.reverse(); // root first
}

export function runBackward(root: Tensor, seed?: Tensor): void {
  if (!root.requiresGrad) throw new TypeError('backward(): this tensor does not require grad (no input had requiresGrad: true)');
  let g0: Tensor;
  if (seed === undefined) {
    if (root.size !== 1) {
      throw new RangeError(`backward() without a gradient needs a one-element tensor, got shape ${fmtShape(root.shape)}; pass the upstream gradient`);
    }
    g0 = noGrad(() => ones(root.shape, { backend: root.backend.name }));
    unitSeeds.add(g0);
  } else {
    if (seed.backend !== root.backend) throw new TypeError('backward(grad): grad must live on the same backend as the tensor');
    if (seed.size !== root.size) throw new RangeError(`backward(grad): grad must have shape ${fmtShape(root.shape)}, got ${fmtShape(seed.shape)}`);
    g0 = seed;
  }
  if (!root.node) {
    accumulateLeaf(root, g0, seed === undefined);
    return;
  }

  const refs = new Map<Tensor, number>();
  const hold = (t: Tensor) => refs.set(t, (refs.get(t) ?? 0) + 1);
  const release = (t: Tensor) => {
    const n = refs.get(t);
    if (n === undefined) return; // not ours (the caller's seed) or owned by a leaf
    if (n <= 1) {
      refs.delete(t);
      t.dispose();
    } else refs.set(t, n - 1);
  };

  const pending = new Map<Tensor, Tensor>([[root, g0]]);
  if (seed === undefined) hold(g0);

  noGrad(() => {
    for (const t of topoOrder(root)) {
      const g = pending.get(t);
      if (!g) continue;
      pending.delete(t);
      const node = t.node!;
      const grads = node.backward(g);
      for (const gi of grads) if (gi) hold(gi);
      release(g);
      node.inputs.forEach((inp, i) => {
        const gi = grads[i];
        if (!gi || !inp.requiresGrad) {
          if (gi) release(gi);
          return;
        }
        if (gi.size !== inp.size) {
          throw new Error(`internal: ${node.name} backward gave a gradient of shape ${fmtShape(gi.shape)} for an input of shape ${fmtShape(inp.shape)}`);
        }
        if (!inp.node) {
          if (!inp.grad && refs.get(gi) === 1 && gi !== seed) {
            refs.delete(gi); // the leaf owns it now
            inp.grad = gi.shape.length === inp.shape.length ? gi : gi.view(inp.shape);
          } else {
            accumulateLeaf(inp, gi, false);
            release(gi);
          }
          return;
        }
        const prev = pending.get(inp);
        if (!prev) {
          pending.set(inp, gi);
          return;
        }
        if (refs.get(prev) === 1 && prev !== gi) {
          inp.backend.addInPlace(prev.storage, gi.storage, inp.size); // prev is ours alone
          release(gi);
          return;
        }
        const full = (t: Tensor) => ({ storage: t.storage, rowStride: inp.size, colStride: 1 });
        const s = fromStorage(inp.backend, inp.backend.binary('add', full(prev), full(gi), 1, inp.size), inp.shape);
        release(prev);
        release(gi);
        hold(s);
        pending.set(inp, s);
      });
    }
  });
  for (const g of pending.values()) release(g);
}

/** leaf.grad += g (a copy when the leaf has no gradient yet). */
function accumulateLeaf(leaf: Tensor, g: Tensor, owned: boolean): void {
  if (!leaf.requiresGrad) return;
  const b = leaf.backend;
  if (!leaf.grad) {
    if (owned) {
      leaf.grad = g;
      return;
    }
    leaf.grad = fromStorage(b, b.affine(g.storage, leaf.size, 1, 0), leaf.shape); // a copy, one pass
    return;
  }
  b.addInPlace(leaf.grad.storage, g.storage, leaf.size);
}
