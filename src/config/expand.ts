/**
 * Environment variable expansion, as the Go collector does it: on string
 * values only, after parsing and before merging.
 *
 *   ${env:VAR}  ${VAR}            the variable's value
 *   ${env:VAR:-default}           default when VAR is unset or empty
 *   $$                            a literal "$"
 *
 * A value that is exactly one reference is re-read as a YAML scalar, so
 * `port: ${env:PORT}` gives a number; inside a longer string the text stays
 * text. Quoted values (`"${env:PORT}"`) always stay strings.
 */
import { parseDocument, isScalar } from 'yaml';
import { problemAt, type ConfigProblem, type Segment } from './problems';
import type { LNode, LScalar } from './yaml-source';

export interface ExpandResult {
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Expands every string scalar of `root` in place. */
export function expandTree(root: LNode, env: NodeJS.ProcessEnv): ExpandResult {
  const out: ExpandResult = { problems: [], warnings: [] };
  walk(root, [], env, out);
  return out;
}

function walk(node: LNode, path: Segment[], env: NodeJS.ProcessEnv, out: ExpandResult): void {
  if (node.kind === 'map') {
    for (const [k, e] of node.entries) walk(e.value, [...path, k], env, out);
  } else if (node.kind === 'seq') {
    node.items.forEach((it, i) => walk(it, [...path, i], env, out));
  } else if (typeof node.value === 'string' && node.value.includes('$')) {
    expandScalar(node, path, env, out);
  }
}

function expandScalar(node: LScalar, path: Segment[], env: NodeJS.ProcessEnv, out: ExpandResult): void {
  const r = expandString(node.value as string, env);
  for (const m of r.errors) out.problems.push(problemAt(node.loc, path, m));
  for (const v of r.unset) {
    out.warnings.push(problemAt(node.loc, path, `environment variable "${v}" is not set; using an empty string`));
  }
  if (r.errors.length) return;
  node.value = r.whole && node.plain ? retype(r.text) : r.text;
}

export interface ExpandedString {
  text: string;
  /** The input was exactly one `${...}` reference. */
  whole: boolean;
  /** Variables used without a default that are not set. */
  unset: string[];
  /** Malformed references. */
  errors: string[];
}

export function expandString(s: string, env: NodeJS.ProcessEnv): ExpandedString {
  const res: ExpandedString = { text: '', whole: false, unset: [], errors: [] };
  let refs = 0;
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c !== '$') {
      res.text += c;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      res.text += '$';
      i += 2;
      continue;
    }
    if (next !== '{') {
      res.text += '$';
      i++;
      continue;
    }
    const end = s.indexOf('}', i + 2);
    if (end < 0) {
      res.errors.push(`unterminated reference "${s.slice(i)}": missing "}"`);
      return res;
    }
    const ref = s.slice(i, end + 1);
    const body = s.slice(i + 2, end);
    refs++;
    const value = resolve(ref, body, env, res);
    if (value !== undefined) res.text += value;
    i = end + 1;
  }
  res.whole = refs === 1 && /^\$\{[^}]*\}$/.test(s);
  return res;
}

function resolve(ref: string, body: string, env: NodeJS.ProcessEnv, res: ExpandedString): string | undefined {
  let spec = body;
  const colon = body.indexOf(':');
  if (colon >= 0 && body.slice(colon, colon + 2) !== ':-') {
    const provider = body.slice(0, colon);
    if (provider !== 'env') {
      res.errors.push(`unsupported reference "${ref}": only "env" is supported (\${env:NAME})`);
      return undefined;
    }
    spec = body.slice(colon + 1);
  }
  let name = spec;
  let def: string | undefined;
  const d = spec.indexOf(':-');
  if (d >= 0) {
    name = spec.slice(0, d);
    def = spec.slice(d + 2);
  }
  if (name === '') {
    res.errors.push(`malformed reference "${ref}": missing variable name`);
    return undefined;
  }
  if (!NAME.test(name)) {
    res.errors.push(`malformed reference "${ref}": invalid variable name "${name}"`);
    return undefined;
  }
  const v = env[name];
  if (def !== undefined) return v === undefined || v === '' ? def : v;
  if (v === undefined) {
    res.unset.push(name);
    return '';
  }
  return v;
}

/** Re-reads expanded text as a YAML scalar: "4317" → 4317, "true" → true; anything else stays text. */
export function retype(text: string): unknown {
  if (text.trim() === '' || text.includes('#')) return text;
  try {
    const doc = parseDocument(text);
    if (doc.errors.length || !isScalar(doc.contents) || doc.contents.type !== 'PLAIN') return text;
    const v = doc.contents.value;
    if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
    return text;
  } catch {
    return text;
  }
}
