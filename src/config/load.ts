/**
 * The config system's entry point: YAML text(s) in, a validated config (or
 * every problem at once, with file, line and column) out.
 *
 * Steps: parse each source keeping positions → expand ${env:...} → merge the
 * sources in order → check the top level → validate each component against
 * its factory's schema → check the service section and pipeline graph.
 */
import { readFileSync } from 'node:fs';
import { Document } from 'yaml';
import type { ComponentKind } from '../pipeline/component';
import type { Registry } from '../pipeline/registry';
import { expandTree } from './expand';
import { mergeTrees } from './merge';
import { didYouMean, problemAt, sortProblems, type ConfigProblem, type Loc, type Segment } from './problems';
import { resolveService, type ConfiguredIds } from './service';
import type { ComponentConfig, LoadResult, ResolvedConfig } from './types';
import { locate, validateNode } from './validate';
import { parseSource, toPlain, type ConfigSource, type LMap, type LNode } from './yaml-source';

export type { ConfigSource } from './yaml-source';
export type { ConfigProblem } from './problems';
export { formatProblem } from './problems';
export type { ComponentConfig, PipelineConfig, TelemetryConfig, ResolvedConfig, LoadResult } from './types';
export { redactConfig } from './redact';
export { parseDuration, parseByteSize } from './validate';

const SECTIONS: readonly [string, ComponentKind][] = [
  ['receivers', 'receiver'],
  ['processors', 'processor'],
  ['exporters', 'exporter'],
  ['extensions', 'extension'],
];
const TOP_LEVEL = ['receivers', 'processors', 'exporters', 'extensions', 'connectors', 'service'];
const TYPE_RE = /^[A-Za-z][0-9A-Za-z_]*$/;
const NAME_RE = /^[^\p{Z}\p{C}\p{S}/]+$/u;

export function loadConfig(sources: ConfigSource[], registry: Registry, env: NodeJS.ProcessEnv = process.env): LoadResult {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const order = sources.map((s) => s.name);
  // A value with a malformed ${...} reference is reported once, not again
  // by validation (it was left unexpanded).
  const malformed = new Set<string>();
  const expansionProblems = new Set<ConfigProblem>();
  const where = (p: ConfigProblem) => `${p.file}:${p.line}:${p.column}:${p.path}`;
  const done = (config?: ResolvedConfig): LoadResult => {
    const kept = problems.filter((p) => !malformed.has(where(p)) || expansionProblems.has(p));
    const p = sortProblems(kept, order);
    return { config: p.length === 0 ? config : undefined, problems: p, warnings: sortProblems(warnings, order) };
  };
  if (sources.length === 0) {
    problems.push(problemAt({ file: '<none>', line: 1, column: 1 }, '', 'no configuration given'));
    return done();
  }

  const trees: LNode[] = [];
  let syntax = false;
  for (const src of sources) {
    const parsed = parseSource(src);
    problems.push(...parsed.problems);
    warnings.push(...parsed.warnings);
    if (!parsed.root) {
      syntax = true;
      continue;
    }
    if (parsed.root.kind !== 'map') {
      problems.push(problemAt(parsed.root.loc, '', 'the top level of a config file must be a map'));
      continue;
    }
    const ex = expandTree(parsed.root, env);
    for (const p of ex.problems) {
      malformed.add(where(p));
      expansionProblems.add(p);
    }
    problems.push(...ex.problems);
    warnings.push(...ex.warnings);
    trees.push(parsed.root);
  }
  // Validating what a syntax error left behind would only report noise.
  if (syntax) return done();

  const fallback: Loc = { file: sources[sources.length - 1].name, line: 1, column: 1 };
  const root = (mergeTrees(trees) ?? { kind: 'map', loc: fallback, entries: new Map() }) as LMap;

  for (const [k, e] of root.entries) {
    if (!TOP_LEVEL.includes(k)) problems.push(problemAt(e.keyLoc, [k], `unknown key "${k}"`, didYouMean(k, TOP_LEVEL)));
  }
  const connectors = root.entries.get('connectors');
  if (connectors && !isEmpty(connectors.value)) {
    problems.push(problemAt(connectors.keyLoc, ['connectors'], 'connectors are not supported yet'));
  }

  const effective: Record<string, unknown> = {};
  const components = {} as Record<ComponentKind, Map<string, ComponentConfig>>;
  const ids = {} as ConfiguredIds;
  for (const [section, kind] of SECTIONS) {
    components[kind] = new Map();
    ids[kind] = new Map();
    const eff: Record<string, unknown> = {};
    effective[section] = eff;
    const entry = root.entries.get(section);
    if (!entry || isEmpty(entry.value)) continue;
    if (entry.value.kind !== 'map') {
      problems.push(problemAt(entry.value.loc, [section], `must be a map of ${kind} ids to their settings`));
      continue;
    }
    for (const [id, e] of entry.value.entries) {
      const c = component(kind, section, id, e.keyLoc, e.value, registry, problems, warnings);
      ids[kind].set(id, c.factory);
      eff[id] = c.effective;
      if (c.config) components[kind].set(id, c.config);
    }
  }

  const serviceEntry = root.entries.get('service');
  const svc = resolveService(serviceEntry?.value, serviceEntry?.keyLoc ?? fallback, ids);
  problems.push(...svc.problems);
  warnings.push(...svc.warnings);
  effective.service = svc.effective;

  if (!svc.service) return done();
  return done({
    receivers: components.receiver,
    processors: components.processor,
    exporters: components.exporter,
    extensions: components.extension,
    service: svc.service,
    effective,
  });
}

function component(
  kind: ComponentKind, section: string, id: string, keyLoc: Loc, node: LNode,
  registry: Registry, problems: ConfigProblem[], warnings: ConfigProblem[],
): { factory?: ComponentConfig['factory']; config?: ComponentConfig; effective: unknown } {
  const raw = isEmpty(node) ? {} : toPlain(node);
  const slash = id.indexOf('/');
  const type = slash < 0 ? id : id.slice(0, slash);
  const name = slash < 0 ? '' : id.slice(slash + 1);
  const path = [section, id];
  let bad: string | undefined;
  if (slash >= 0 && name === '') bad = 'the name after "/" must not be empty';
  else if (name.includes('/')) bad = 'only one "/" is allowed (type/name)';
  else if (!TYPE_RE.test(type)) bad = 'the type must start with a letter and hold only letters, digits and "_"';
  else if (name !== '' && !NAME_RE.test(name)) bad = 'the name must not hold spaces, symbols or control characters';
  if (bad) {
    problems.push(problemAt(keyLoc, path, `invalid ${kind} id "${id}": ${bad}`));
    return { effective: raw };
  }
  const factory = registry.get(kind, type);
  if (!factory) {
    const close = didYouMean(type, registry.names(kind));
    const known = registry.names(kind);
    const hint = close ? undefined : known.length ? `known ${kind} types: ${known.join(', ')}` : `no ${kind} types are available`;
    problems.push(problemAt(keyLoc, path, `unknown ${kind} type "${type}"${close ? `; ${close}` : ''}`, hint));
    return { effective: raw };
  }
  const v = validateNode(factory.schema, factory, isEmpty(node) ? undefined : node, path, keyLoc, `${kind} "${id}"`);
  problems.push(...v.problems);
  warnings.push(...v.warnings);
  if (v.problems.length === 0 && factory.validate) {
    const body = isEmpty(node) ? undefined : node;
    let issues: Array<{ path: string; message: string }>;
    try {
      issues = factory.validate(v.value);
    } catch (e) {
      issues = [{ path: '', message: `is invalid: ${e instanceof Error ? e.message : String(e)}` }];
    }
    for (const issue of issues) {
      const rel = splitPath(issue.path);
      problems.push(problemAt(locate(body, rel, keyLoc), [...path, ...rel], issue.message));
    }
    if (issues.length) return { factory, effective: v.effective };
  }
  const config: ComponentConfig | undefined = v.problems.length
    ? undefined
    : { id, kind, type: factory.type, name, factory, config: v.value };
  return { factory, config, effective: v.effective };
}

/** `a.b[0].c` → ['a', 'b', 0, 'c']. */
function splitPath(p: string): Segment[] {
  const out: Segment[] = [];
  for (const part of p.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      if (part) out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

function isEmpty(n: LNode): boolean {
  return (n.kind === 'scalar' && n.value === null) || (n.kind === 'map' && n.entries.size === 0);
}

/** Reads config files; an unreadable file throws an Error naming the path. A `file:` prefix is accepted. */
export function readConfigFiles(paths: string[]): ConfigSource[] {
  return paths.map((p) => {
    const file = p.startsWith('file:') ? p.slice('file:'.length) : p;
    try {
      return { name: p, text: readFileSync(file, 'utf8') };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why =
        err.code === 'ENOENT' ? 'no such file'
        : err.code === 'EACCES' ? 'permission denied'
        : err.code === 'EISDIR' ? 'it is a directory'
        : err.message;
      throw new Error(`cannot read config file "${p}": ${why}`);
    }
  });
}

/** YAML text of a plain config object (print-config). */
export function configToYaml(obj: Record<string, unknown>): string {
  return new Document(obj, { aliasDuplicateObjects: false }).toString({ lineWidth: 0 });
}
