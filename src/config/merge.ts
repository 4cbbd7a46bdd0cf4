/**
 * Merges several config trees in order, as the Go collector merges several
 * `--config` files: maps deep-merge, lists and scalars are replaced by the
 * later file's value. Nodes are moved over whole, so every value keeps the
 * file/line/column it was read from; a merged map takes the location of the
 * last map merged into it (that is where a "missing key" problem points).
 *
 * One deliberate difference: an empty (null) value does not wipe out a map
 * from an earlier file (`processors: {batch: }` in an override file keeps
 * the batch settings of the base file).
 */
import type { LEntry, LMap, LNode } from './yaml-source';

export function mergeTrees(trees: readonly LNode[]): LNode | undefined {
  let acc: LNode | undefined;
  for (const t of trees) acc = acc === undefined ? clone(t) : mergeInto(acc, t);
  return acc;
}

function mergeInto(base: LNode, over: LNode): LNode {
  if (base.kind === 'map' && over.kind === 'map') {
    const out: LMap = { kind: 'map', loc: over.loc, entries: new Map(base.entries) };
    for (const [k, e] of over.entries) {
      const prev = out.entries.get(k);
      if (prev) out.entries.set(k, { key: k, keyLoc: e.keyLoc, value: mergeInto(prev.value, e.value) });
      else out.entries.set(k, { key: k, keyLoc: e.keyLoc, value: clone(e.value) });
    }
    return out;
  }
  if (base.kind === 'map' && over.kind === 'scalar' && over.value === null) return base;
  return clone(over);
}

function clone(n: LNode): LNode {
  switch (n.kind) {
    case 'scalar':
      return { ...n };
    case 'seq':
      return { kind: 'seq', loc: n.loc, items: n.items.map(clone) };
    case 'map': {
      const entries = new Map<string, LEntry>();
      for (const [k, e] of n.entries) entries.set(k, { key: k, keyLoc: e.keyLoc, value: clone(e.value) });
      return { kind: 'map', loc: n.loc, entries };
    }
  }
}
