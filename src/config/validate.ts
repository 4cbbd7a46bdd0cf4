/**
 * Validates config values against JSON Schemas with one shared ajv instance,
 * our keywords, and problems that carry the position of the offending value.
 * The instance and its compiled validators live until `forgetCompiledSchemas`.
 *
 *   duration: true   "200ms", "1h30m", "1.5s", "0" or 0 → milliseconds (number)
 *   byteSize: true   512, "16MiB", "16MB", "1.5GiB" → bytes (number)
 *   sensitive: true  annotation only: the value is a secret (see redact.ts)
 *
 * Each value is validated twice with the same compiled function: once with
 * conversion off (defaults filled, durations kept as text: the "effective"
 * config for print-config) and once with conversion on (what components get).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema } from '../pipeline/component';
import { didYouMean, problemAt, type ConfigProblem, type Loc, type Segment } from './problems';
import { parseByteSize, parseDuration } from './units';
import { nodeAt, toPlain, type LNode } from './yaml-source';

export { parseByteSize, parseDuration } from './units';

let converting = true;

function converter(name: string, parse: (v: unknown) => number | undefined, message: string) {
  const fn = function (schema: boolean, data: unknown, _ps: unknown, cxt?: { parentData: any; parentDataProperty: string | number }): boolean {
    if (!schema) return true;
    const n = parse(data);
    if (n === undefined) {
      (fn as any).errors = [{ keyword: name, message, params: {} }];
      return false;
    }
    if (converting && cxt && cxt.parentData !== undefined) cxt.parentData[cxt.parentDataProperty] = n;
    return true;
  };
  return fn;
}

function makeAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    verbose: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
  });
  ajv.addKeyword({ keyword: 'duration', schemaType: 'boolean', modifying: true, errors: true,
    validate: converter('duration', parseDuration, 'must be a duration like "200ms"') });
  ajv.addKeyword({ keyword: 'byteSize', schemaType: 'boolean', modifying: true, errors: true,
    validate: converter('byteSize', parseByteSize, 'must be a byte size like "16MiB" or a number of bytes') });
  ajv.addKeyword({ keyword: 'sensitive', schemaType: 'boolean' });
  ajv.addFormat('uri', { type: 'string', validate: (s: string) => { try { new URL(s); return true; } catch { return false; } } });
  ajv.addFormat('regex', { type: 'string', validate: (s: string) => { try { new RegExp(s); return true; } catch { return false; } } });
  return ajv;
}

let compiler: { ajv: Ajv; compiled: WeakMap<object, ValidateFunction | Error> } | undefined;

/**
 * Drops the ajv instance and every validator it compiled (about 0.5 MiB for
 * the embedded default config). The daemon calls it once a config is loaded,
 * so they do not stay for its whole life; the next load compiles afresh.
 */
export function forgetCompiledSchemas(): void {
  compiler = undefined;
}

function compile(cacheKey: object, schema: JsonSchema): ValidateFunction | Error {
  compiler ??= { ajv: makeAjv(), compiled: new WeakMap() };
  const { ajv, compiled } = compiler;
  let fn = compiled.get(cacheKey);
  if (!fn) {
    try {
      // A root `default` (the `object()` builder sets one) means nothing at
      // the root and strict mode refuses it; the root value is filled by us.
      const { default: _ignored, ...root } = schema;
      fn = ajv.compile(root);
    } catch (e) {
      fn = e instanceof Error ? e : new Error(String(e));
    }
    compiled.set(cacheKey, fn);
  }
  return fn;
}

export interface NodeValidation {
  /** Defaults applied, durations and sizes converted. */
  value: any;
  /** Defaults applied, durations and sizes as written. */
  effective: any;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

/**
 * Validates `node` (undefined or null: an empty map) against `schema`.
 * `prefix` is the key path of the node; `what` names it in messages
 * (e.g. `processor "batch"`); `cacheKey` is what the compiled schema is kept
 * under (the factory).
 */
export function validateNode(schema: JsonSchema, cacheKey: object, node: LNode | undefined, prefix: Segment[], fallback: Loc, what: string): NodeValidation {
  const data = node === undefined || (node.kind === 'scalar' && node.value === null) ? {} : toPlain(node);
  const out: NodeValidation = { value: data, effective: structuredClone(data), problems: [], warnings: [] };
  const fn = compile(cacheKey, schema);
  if (fn instanceof Error) {
    out.problems.push(problemAt(node?.loc ?? fallback, prefix, `cannot check ${what}: its schema is invalid: ${fn.message}`));
    return out;
  }
  fillEmptyMaps(schema, [schema], out.value);
  fillEmptyMaps(schema, [schema], out.effective);
  converting = false;
  try {
    fn(out.effective);
  } finally {
    converting = true;
  }
  if (!fn(out.value)) {
    for (const e of simplify(fn.errors ?? [])) out.problems.push(toProblem(e, node, prefix, fallback));
  }
  if (node) deprecations(schema, schema, node, prefix, out.warnings);
  return out;
}

/**
 * An empty YAML value (`http:`) where the schema wants a map means "this
 * section, with its defaults", as in the Go collector: it becomes `{}`.
 */
function fillEmptyMaps(root: JsonSchema, schemas: JsonSchema[], value: unknown): void {
  if (schemas.length === 0 || value === null || typeof value !== 'object') return;
  const entries: [Segment, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [seg, v] of entries) {
    const subs = schemas.flatMap((s) => childSchemas(root, s, seg));
    if (v === null && subs.some(wantsMap)) (value as any)[seg] = {};
    else fillEmptyMaps(root, subs, v);
  }
}

function wantsMap(s: JsonSchema): boolean {
  const t = s.type;
  if (t === 'object') return true;
  return Array.isArray(t) && t.includes('object') && !t.includes('null');
}

function pointer(p: string): Segment[] {
  if (p === '') return [];
  return p.slice(1).split('/').map((s) => {
    const k = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(k) ? Number(k) : k;
  });
}

/** The deepest existing node along `path` (values added by defaults have none). */
export function locate(node: LNode | undefined, path: Segment[], fallback: Loc): Loc {
  let cur = node;
  let loc = node?.loc ?? fallback;
  for (const s of path) {
    if (!cur) break;
    if (cur.kind === 'map') cur = cur.entries.get(String(s))?.value;
    else if (cur.kind === 'seq' && typeof s === 'number') cur = cur.items[s];
    else cur = undefined;
    if (cur) loc = cur.loc;
  }
  return loc;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string', integer: 'an integer', number: 'a number', boolean: 'a boolean (true or false)',
  object: 'a map', array: 'a list', null: 'empty (null)',
};

function toProblem(e: ErrorObject, root: LNode | undefined, prefix: Segment[], fallback: Loc): ConfigProblem {
  const at = pointer(e.instancePath);
  const path = [...prefix, ...at];
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'required':
      return problemAt(locate(root, at, fallback), [...path, p.missingProperty], 'required key is missing');
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const parent = locate(root, at, fallback);
      const target = nodeAt(root, at);
      const keyLoc = target?.kind === 'map' ? target.entries.get(key)?.keyLoc : undefined;
      const allowed = Object.keys(((e.parentSchema as any)?.properties ?? {}) as object);
      return problemAt(keyLoc ?? parent, [...path, key], `unknown key "${key}"`, didYouMean(key, allowed));
    }
    case 'type': {
      const types = String(p.type).split(',');
      return problemAt(locate(root, at, fallback), path, `must be ${types.map((t) => TYPE_NAMES[t] ?? t).join(' or ')}`);
    }
    case 'enum':
      return problemAt(locate(root, at, fallback), path, `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
    case 'const':
      return problemAt(locate(root, at, fallback), path, `must be ${JSON.stringify(p.allowedValue)}`);
    default:
      return problemAt(locate(root, at, fallback), path, e.message ?? `is invalid (${e.keyword})`);
  }
}

/**
 * Ajv reports every failed branch of an anyOf/oneOf plus the anyOf itself,
 * and an `if` error next to the failed `then`. Keep what helps: the errors
 * of the branch whose type fits the value (the one that got furthest), or,
 * when no branch's type fits, one "must be a string or a number".
 */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  let out = errors.filter((e) => e.keyword !== 'if');
  for (const u of out.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')) {
    if (!out.includes(u)) continue;
    const base = u.schemaPath + '/';
    const subs = out.filter((e) => e !== u && e.schemaPath.startsWith(base));
    if (subs.length === 0) continue;
    out = out.filter((e) => !subs.includes(e));
    const byBranch = new Map<string, ErrorObject[]>();
    for (const s of subs) {
      const branch = s.schemaPath.slice(base.length).split('/')[0];
      byBranch.set(branch, [...(byBranch.get(branch) ?? []), s]);
    }
    const typeFails = (es: ErrorObject[]) => es.some((e) => e.keyword === 'type' && e.instancePath === u.instancePath);
    const depth = (es: ErrorObject[]) => Math.max(...es.map((e) => e.instancePath.length));
    const fitting = [...byBranch.values()].filter((es) => !typeFails(es));
    if (fitting.length) {
      const best = fitting.sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0];
      out.splice(out.indexOf(u), 1, ...best);
      continue;
    }
    const types = subs
      .filter((e) => e.keyword === 'type' && e.instancePath === u.instancePath)
      .flatMap((e) => String((e.params as any).type).split(','));
    out[out.indexOf(u)] = { ...u, keyword: 'type', params: { type: [...new Set(types)].join(',') } };
  }
  return out;
}

/** The sub-schemas that apply to `seg` of a value described by `schema`. */
export function childSchemas(root: JsonSchema, schema: JsonSchema, seg: Segment): JsonSchema[] {
  const out: JsonSchema[] = [];
  const visit = (s: unknown, depth: number) => {
    if (!s || typeof s !== 'object' || depth > 20) return;
    const sch = s as Record<string, any>;
    if (typeof sch.$ref === 'string' && sch.$ref.startsWith('#/')) {
      let t: any = root;
      for (const part of sch.$ref.slice(2).split('/')) t = t?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      visit(t, depth + 1);
    }
    for (const k of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(sch[k])) for (const b of sch[k]) visit(b, depth + 1);
    if (sch.then) visit(sch.then, depth + 1);
    if (sch.else) visit(sch.else, depth + 1);
    if (typeof seg === 'number') {
      if (sch.items && typeof sch.items === 'object' && !Array.isArray(sch.items)) out.push(sch.items);
      return;
    }
    if (sch.properties && Object.prototype.hasOwnProperty.call(sch.properties, seg)) out.push(sch.properties[seg]);
    else {
      let matched = false;
      for (const [re, sub] of Object.entries((sch.patternProperties ?? {}) as Record<string, JsonSchema>)) {
        if (new RegExp(re, 'u').test(seg)) { out.push(sub); matched = true; }
      }
      if (!matched && sch.additionalProperties && typeof sch.additionalProperties === 'object') out.push(sch.additionalProperties);
    }
  };
  visit(schema, 0);
  return out;
}

/** Whether any of the schemas (or what they $ref/allOf into) sets `keyword: true`. */
export function hasFlag(root: JsonSchema, schemas: JsonSchema[], keyword: string): boolean {
  const seen = new Set<unknown>();
  const check = (s: any, depth: number): boolean => {
    if (!s || typeof s !== 'object' || seen.has(s) || depth > 20) return false;
    seen.add(s);
    if (s[keyword] === true) return true;
    if (typeof s.$ref === 'string' && s.$ref.startsWith('#/')) {
      let t: any = root;
      for (const part of s.$ref.slice(2).split('/')) t = t?.[part];
      if (check(t, depth + 1)) return true;
    }
    return ['allOf', 'anyOf', 'oneOf'].some((k) => Array.isArray(s[k]) && s[k].some((b: any) => check(b, depth + 1)));
  };
  return schemas.some((s) => check(s, 0));
}

function deprecations(root: JsonSchema, schema: JsonSchema, node: LNode, path: Segment[], warnings: ConfigProblem[]): void {
  const children: [Segment, LNode, Loc][] =
    node.kind === 'map' ? [...node.entries].map(([k, e]) => [k, e.value, e.keyLoc])
    : node.kind === 'seq' ? node.items.map((it, i) => [i, it, it.loc]) : [];
  for (const [seg, child, loc] of children) {
    const subs = childSchemas(root, schema, seg);
    if (hasFlag(root, subs, 'deprecated')) {
      const desc = subs.map((s) => s.description).find((d) => typeof d === 'string') as string | undefined;
      warnings.push(problemAt(loc, [...path, seg], 'is deprecated', desc));
    }
    for (const s of subs) deprecations(root, s, child, [...path, seg], warnings);
  }
}
