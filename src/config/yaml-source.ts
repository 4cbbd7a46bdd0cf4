/**
 * Parses one config source into a small tree in which every node knows the
 * file, line and column it came from. Later stages (expansion, merging,
 * validation) work on this tree, so a problem found after merging several
 * files still points at the file and line that supplied the value.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { problemAt, type ConfigProblem, type Loc, type Segment } from './problems';

/** One config text and the name it is reported under. */
export interface ConfigSource {
  /** The file path as given, or "<embedded default>". */
  name: string;
  text: string;
}

export type LNode = LMap | LSeq | LScalar;

export interface LEntry {
  key: string;
  keyLoc: Loc;
  value: LNode;
}

/**
 * A map. `loc` is the key that holds it for a block map (so "missing key"
 * problems point at `exporters.otlp:`), its own start otherwise.
 */
export interface LMap {
  kind: 'map';
  loc: Loc;
  entries: Map<string, LEntry>;
}

export interface LSeq {
  kind: 'seq';
  loc: Loc;
  items: LNode[];
}

export interface LScalar {
  kind: 'scalar';
  loc: Loc;
  /** string, number, boolean or null, as the YAML core schema reads it. */
  value: unknown;
  /** Written without quotes (so an expanded `${env:X}` may be re-typed). */
  plain: boolean;
}

export interface ParseResult {
  /** Undefined when the text has syntax errors. An empty document is an empty map. */
  root?: LNode;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

export function emptyMap(loc: Loc): LMap {
  return { kind: 'map', loc, entries: new Map() };
}

/** The plain JS value of a tree (maps become plain objects). */
export function toPlain(node: LNode | undefined): unknown {
  if (!node) return undefined;
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(toPlain);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, e] of node.entries) out[k] = toPlain(e.value);
      return out;
    }
  }
}

/** The node at a path below `node`, or undefined when some step is missing. */
export function nodeAt(node: LNode | undefined, path: readonly Segment[]): LNode | undefined {
  let cur = node;
  for (const s of path) {
    if (!cur) return undefined;
    if (cur.kind === 'map') cur = cur.entries.get(String(s))?.value;
    else if (cur.kind === 'seq' && typeof s === 'number') cur = cur.items[s];
    else return undefined;
  }
  return cur;
}

const OPEN = '\u2983';
const CLOSE = '\u2984';

/**
 * `{key: service.name, value: ${OTEL_SERVICE_NAME}, action: upsert}` is how
 * people write collector configs, but `{` and `}` end a plain scalar inside a
 * YAML flow map, so the reference would be a syntax error. References are
 * swapped for look-alike brackets (one UTF-16 unit each, so every line and
 * column stays put) before parsing and swapped back in every scalar after.
 */
function shieldReferences(text: string): string {
  return text.includes('${') ? text.replace(/\$\{([^{}\r\n]*)\}/g, `$${OPEN}$1${CLOSE}`) : text;
}

function unshieldReferences(s: string): string {
  return s.includes(OPEN) ? s.replace(new RegExp(`\\$${OPEN}([^${CLOSE}]*)${CLOSE}`, 'g'), '$${$1}') : s;
}

export function parseSource(src: ConfigSource): ParseResult {
  const lc = new LineCounter();
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const locOf = (offset: number): Loc => {
    const { line, col } = lc.linePos(offset);
    return { file: src.name, line, column: col };
  };
  const docs = parseAllDocuments(shieldReferences(src.text), { lineCounter: lc, uniqueKeys: false, prettyErrors: false, merge: false });
  const list = Array.isArray(docs) ? docs : [];
  let syntax = false;
  for (const doc of list) {
    for (const e of doc.errors) {
      syntax = true;
      problems.push(problemAt(locOf(e.pos[0]), '', `YAML syntax error: ${e.message}`));
    }
    for (const w of doc.warnings) warnings.push(problemAt(locOf(w.pos[0]), '', `YAML: ${w.message}`));
  }
  if (list.length > 1) {
    const second = list[1].range?.[0] ?? 0;
    problems.push(problemAt(locOf(second), '', 'a config file must hold a single YAML document'));
    syntax = true;
  }
  if (syntax) return { problems, warnings };
  const doc = list[0];
  if (!doc || doc.contents === null || doc.contents === undefined) {
    return { root: emptyMap({ file: src.name, line: 1, column: 1 }), problems, warnings };
  }
  const conv = new Converter(doc, locOf, problems);
  const root = conv.node(doc.contents as Node, [], undefined);
  return { root, problems, warnings };
}

class Converter {
  private depth = 0;
  constructor(
    private readonly doc: Document,
    private readonly locOf: (offset: number) => Loc,
    private readonly problems: ConfigProblem[],
  ) {}

  private start(n: { range?: [number, number, number] | null }): number {
    return n.range?.[0] ?? 0;
  }

  /** `holder` is the loc of the key whose value this node is. */
  node(n: Node | null, path: Segment[], holder: Loc | undefined): LNode {
    if (n === null || n === undefined) return { kind: 'scalar', loc: holder ?? this.locOf(0), value: null, plain: true };
    if (isAlias(n)) {
      const target = n.resolve(this.doc);
      if (!target || this.depth > 50) {
        this.problems.push(problemAt(this.locOf(this.start(n)), path, `unresolved alias "*${n.source}"`));
        return { kind: 'scalar', loc: this.locOf(this.start(n)), value: null, plain: true };
      }
      this.depth++;
      try {
        return this.node(target as Node, path, holder);
      } finally {
        this.depth--;
      }
    }
    const own = this.locOf(this.start(n));
    if (isScalar(n)) {
      const empty = n.value === null && n.range && n.range[0] === n.range[1];
      let value = n.value;
      if (typeof value === 'bigint') value = Number(value);
      else if (typeof value === 'string') value = unshieldReferences(value);
      return { kind: 'scalar', loc: empty && holder ? holder : own, value, plain: n.type === 'PLAIN' };
    }
    if (isSeq(n)) {
      const block = !n.flow;
      const items = n.items.map((it, i) => this.node(it as Node, [...path, i], undefined));
      return { kind: 'seq', loc: block && holder ? holder : own, items };
    }
    if (isMap(n)) {
      const block = !n.flow;
      const map: LMap = { kind: 'map', loc: block && holder ? holder : own, entries: new Map() };
      const merges: LNode[] = [];
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        const k = pair.key as Node | null;
        const keyLoc = k ? this.locOf(this.start(k)) : own;
        if (!k || !isScalar(k) || k.value === null || typeof k.value === 'object') {
          this.problems.push(problemAt(keyLoc, path, 'map keys must be plain strings'));
          continue;
        }
        const key = unshieldReferences(String(k.value));
        const value = this.node(pair.value as Node | null, [...path, key], keyLoc);
        if (key === '<<' && k.type === 'PLAIN') {
          merges.push(value);
          continue;
        }
        if (map.entries.has(key)) {
          this.problems.push(problemAt(keyLoc, [...path, key], `duplicate key "${key}"`,
            `first defined on line ${map.entries.get(key)!.keyLoc.line}`));
        }
        map.entries.set(key, { key, keyLoc, value });
      }
      // YAML merge keys (`<<: *defaults`): explicit keys win.
      for (const m of merges) {
        const sources = m.kind === 'seq' ? m.items : [m];
        for (const s of sources) {
          if (s.kind !== 'map') {
            this.problems.push(problemAt(s.loc, path, 'a merge key ("<<") must refer to a map'));
            continue;
          }
          for (const [key, e] of s.entries) if (!map.entries.has(key)) map.entries.set(key, e);
        }
      }
      return map;
    }
    this.problems.push(problemAt(own, path, 'unsupported YAML node'));
    return { kind: 'scalar', loc: own, value: null, plain: true };
  }
}
