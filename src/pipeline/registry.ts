/**
 * Looks factories up by kind and type name (aliases included). The list of
 * what exists is src/components.ts; this is only the index over it.
 */
import type { ComponentKind, Factory } from './component';

export class Registry {
  private readonly byKey = new Map<string, Factory>();
  readonly factories: readonly Factory[];

  constructor(factories: readonly Factory[]) {
    this.factories = factories;
    for (const f of factories) {
      for (const name of [f.type, ...(f.aliases ?? [])]) {
        const key = `${f.kind}:${name}`;
        if (this.byKey.has(key)) throw new Error(`two ${f.kind} factories are named "${name}"`);
        this.byKey.set(key, f);
      }
    }
  }

  get(kind: ComponentKind, type: string): Factory | undefined {
    return this.byKey.get(`${kind}:${type}`);
  }

  /** Every name (types and aliases) of a kind, for "did you mean" hints. */
  names(kind: ComponentKind): string[] {
    const out: string[] = [];
    for (const f of this.factories) if (f.kind === kind) out.push(f.type, ...(f.aliases ?? []));
    return out;
  }
}
