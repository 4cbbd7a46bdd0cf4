/**
 * `include` / `exclude` for the `attributes` processor, with the Go
 * collector's keys: an item is acted on when it matches `include` (if given)
 * and does not match `exclude` (if given).
 *
 * A match needs every criterion given to hold: within a list of names one
 * entry matching is enough; every `attributes` / `resources` entry must hold.
 * `match_type: strict` compares whole strings; `regexp` uses unanchored
 * regular expressions (as Go's `MatchString`). A criterion about another
 * signal's items (say `metric_names` in a logs pipeline) never holds there:
 * a log record has no metric name.
 */
import { anyValueToString, getAttribute, type AnyValue, type Attributes, type InstrumentationScope, type Resource } from '../../model/common';
import type { LogRecord } from '../../model/logs';
import type { Metric } from '../../model/metrics';
import type { Span } from '../../model/traces';
import type { JsonSchema } from '../../pipeline/component';
import { compileRegex } from './regex';

export interface KeyValueCriterion {
  key: string;
  value?: unknown;
}

export interface MatchConfig {
  match_type: 'strict' | 'regexp';
  regexp?: { cacheenabled?: boolean; cachemaxnumentries?: number };
  services?: string[];
  span_names?: string[];
  metric_names?: string[];
  log_bodies?: string[];
  log_severity_texts?: string[];
  log_event_names?: string[];
  libraries?: Array<{ name: string; version?: string }>;
  resources?: KeyValueCriterion[];
  attributes?: KeyValueCriterion[];
}

const NAME_LISTS = ['services', 'span_names', 'metric_names', 'log_bodies', 'log_severity_texts', 'log_event_names'] as const;
const strings = { type: 'array', items: { type: 'string' } };
const keyValues = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['key'],
    properties: {
      key: { type: 'string', minLength: 1 },
      value: { type: ['string', 'number', 'boolean'], description: 'Absent: the key being present is enough.' },
    },
  },
};

/** JSON Schema of an `include` / `exclude` section. */
export function matchSchema(description: string): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    description,
    properties: {
      match_type: { enum: ['strict', 'regexp'], default: 'strict' },
      regexp: {
        type: 'object',
        additionalProperties: false,
        description: 'Accepted for Go configs; patterns are compiled once and need no cache.',
        properties: { cacheenabled: { type: 'boolean' }, cachemaxnumentries: { type: 'integer', minimum: 0 } },
      },
      services: strings,
      span_names: strings,
      metric_names: strings,
      log_bodies: strings,
      log_severity_texts: strings,
      log_event_names: strings,
      libraries: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { type: 'string' }, version: { type: 'string' } },
        },
      },
      resources: keyValues,
      attributes: keyValues,
    },
  };
}

/** Every problem with an include/exclude section, paths under `field`. */
export function validateMatch(m: MatchConfig | undefined, field: string): Array<{ path: string; message: string }> {
  if (!m) return [];
  const out: Array<{ path: string; message: string }> = [];
  const given = [...NAME_LISTS, 'libraries', 'resources', 'attributes'].filter((k) => ((m as any)[k]?.length ?? 0) > 0);
  if (given.length === 0) {
    out.push({ path: field, message: `needs at least one of ${[...NAME_LISTS, 'libraries', 'resources', 'attributes'].join(', ')}` });
  }
  if (m.match_type !== 'regexp') return out;
  const check = (path: string, p: unknown) => {
    if (typeof p !== 'string') {
      out.push({ path, message: 'must be a string (a regular expression) with match_type regexp' });
      return;
    }
    const re = compileRegex(p);
    if (re instanceof Error) out.push({ path, message: re.message });
  };
  for (const k of NAME_LISTS) m[k]?.forEach((p, i) => check(`${field}.${k}[${i}]`, p));
  m.libraries?.forEach((l, i) => check(`${field}.libraries[${i}].name`, l.name));
  for (const k of ['resources', 'attributes'] as const) {
    m[k]?.forEach((kv, i) => {
      if (kv.value !== undefined) check(`${field}.${k}[${i}].value`, kv.value);
    });
  }
  return out;
}

export type StringTest = (s: string) => boolean;
type ValueTest = { key: string; test: ((v: AnyValue) => boolean) | undefined };

/**
 * Any of `list` matches: whole-string comparison, or (regexp) unanchored
 * regular expressions in Go's dialect, compiled once. The patterns must have
 * been validated (an invalid one throws here).
 */
export function nameMatcher(list: readonly string[], regexp: boolean): StringTest {
  if (!regexp) {
    if (list.length === 1) {
      const only = list[0];
      return (s) => s === only;
    }
    const set = new Set(list);
    return (s) => set.has(s);
  }
  const res = list.map((p) => {
    const re = compileRegex(p);
    if (re instanceof Error) throw new Error(`"${p}" ${re.message}`);
    return re;
  });
  if (res.length === 1) {
    const only = res[0];
    return (s) => only.test(s);
  }
  return (s) => {
    for (let i = 0; i < res.length; i++) if (res[i].test(s)) return true;
    return false;
  };
}

function valueTest(v: unknown, regexp: boolean): (a: AnyValue) => boolean {
  if (regexp) {
    const re = compileRegex(v as string) as RegExp;
    return (a) => re.test(anyValueToString(a));
  }
  if (typeof v === 'string') return (a) => a.kind === 'string' && a.value === v;
  if (typeof v === 'boolean') return (a) => a.kind === 'bool' && a.value === v;
  return (a) => (a.kind === 'int' || a.kind === 'double') && Number(a.value) === v;
}

function allHold(tests: ValueTest[], attrs: Attributes): boolean {
  for (const t of tests) {
    const v = getAttribute(attrs, t.key);
    if (v === undefined || (t.test !== undefined && !t.test(v))) return false;
  }
  return true;
}

/** The name Claude Code-style events go by: `LogRecord.eventName`, else the `event.name` attribute, else a string body. */
export function logEventName(r: LogRecord): string | undefined {
  if (r.eventName) return r.eventName;
  const a = getAttribute(r.attributes, 'event.name');
  if (a && a.kind === 'string') return a.value;
  return r.body.kind === 'string' ? r.body.value : undefined;
}

/** One compiled include or exclude section. */
export class ItemMatcher {
  private readonly names: Partial<Record<(typeof NAME_LISTS)[number], StringTest>> = {};
  private readonly libraries: Array<{ name: StringTest; version: string | undefined }> | undefined;
  private readonly resources: ValueTest[] | undefined;
  private readonly attributes: ValueTest[] | undefined;
  /** Whether the section looks at individual points' attributes (so a metric-level answer is not enough). */
  readonly perPoint: boolean;

  constructor(m: MatchConfig) {
    const regexp = m.match_type === 'regexp';
    for (const k of NAME_LISTS) if (m[k]?.length) this.names[k] = nameMatcher(m[k]!, regexp);
    this.libraries = m.libraries?.length ? m.libraries.map((l) => ({ name: nameMatcher([l.name], regexp), version: l.version })) : undefined;
    const kv = (list: KeyValueCriterion[] | undefined) =>
      list?.length ? list.map((c) => ({ key: c.key, test: c.value === undefined ? undefined : valueTest(c.value, regexp) })) : undefined;
    this.resources = kv(m.resources);
    this.attributes = kv(m.attributes);
    this.perPoint = this.attributes !== undefined;
  }

  /** Criteria given in this section that can never hold for `signal`'s items, for a warning at create. */
  foreignCriteria(signal: 'metrics' | 'logs' | 'traces'): string[] {
    const own: Record<string, readonly string[]> = {
      metrics: ['metric_names'],
      logs: ['log_bodies', 'log_severity_texts', 'log_event_names'],
      traces: ['span_names'],
    };
    const others = NAME_LISTS.filter((k) => k !== 'services' && !own[signal].includes(k));
    return others.filter((k) => this.names[k] !== undefined);
  }

  private common(resource: Resource, scope: InstrumentationScope): boolean {
    if (this.names.services) {
      const s = getAttribute(resource.attributes, 'service.name');
      if (!s || !this.names.services(anyValueToString(s))) return false;
    }
    if (this.libraries && !this.libraries.some((l) => l.name(scope.name) && (l.version === undefined || l.version === scope.version))) return false;
    if (this.resources && !allHold(this.resources, resource.attributes)) return false;
    return true;
  }

  /** Whether a metric (and, when the section has `attributes`, the point with `attrs`) matches. */
  matchMetric(resource: Resource, scope: InstrumentationScope, metric: Metric, attrs: Attributes | undefined): boolean {
    if (!this.onlyFor('metric_names')) return false;
    if (this.names.metric_names && !this.names.metric_names(metric.name)) return false;
    if (!this.common(resource, scope)) return false;
    return this.attributes === undefined || (attrs !== undefined && allHold(this.attributes, attrs));
  }

  matchLog(resource: Resource, scope: InstrumentationScope, r: LogRecord): boolean {
    if (!this.onlyFor('log_bodies', 'log_severity_texts', 'log_event_names')) return false;
    if (this.names.log_bodies && !(r.body.kind === 'string' && this.names.log_bodies(r.body.value))) return false;
    if (this.names.log_severity_texts && !this.names.log_severity_texts(r.severityText)) return false;
    if (this.names.log_event_names) {
      const name = logEventName(r);
      if (name === undefined || !this.names.log_event_names(name)) return false;
    }
    if (!this.common(resource, scope)) return false;
    return this.attributes === undefined || allHold(this.attributes, r.attributes);
  }

  matchSpan(resource: Resource, scope: InstrumentationScope, s: Span): boolean {
    if (!this.onlyFor('span_names')) return false;
    if (this.names.span_names && !this.names.span_names(s.name)) return false;
    if (!this.common(resource, scope)) return false;
    return this.attributes === undefined || allHold(this.attributes, s.attributes);
  }

  /** false when a name list for another signal is given (it cannot hold for this item). */
  private onlyFor(...own: string[]): boolean {
    for (const k of NAME_LISTS) if (k !== 'services' && this.names[k] !== undefined && !own.includes(k)) return false;
    return true;
  }
}

/** include and exclude together: `matches` says whether an item is acted on. */
export class ItemFilter {
  readonly include: ItemMatcher | undefined;
  readonly exclude: ItemMatcher | undefined;
  readonly perPoint: boolean;

  constructor(include: MatchConfig | undefined, exclude: MatchConfig | undefined) {
    this.include = include ? new ItemMatcher(include) : undefined;
    this.exclude = exclude ? new ItemMatcher(exclude) : undefined;
    this.perPoint = !!(this.include?.perPoint || this.exclude?.perPoint);
  }

  metric(resource: Resource, scope: InstrumentationScope, metric: Metric, attrs: Attributes | undefined): boolean {
    if (this.include && !this.include.matchMetric(resource, scope, metric, attrs)) return false;
    return !(this.exclude && this.exclude.matchMetric(resource, scope, metric, attrs));
  }

  log(resource: Resource, scope: InstrumentationScope, r: LogRecord): boolean {
    if (this.include && !this.include.matchLog(resource, scope, r)) return false;
    return !(this.exclude && this.exclude.matchLog(resource, scope, r));
  }

  span(resource: Resource, scope: InstrumentationScope, s: Span): boolean {
    if (this.include && !this.include.matchSpan(resource, scope, s)) return false;
    return !(this.exclude && this.exclude.matchSpan(resource, scope, s));
  }
}
