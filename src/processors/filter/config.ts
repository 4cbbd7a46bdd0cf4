/**
 * The filter processor's config: `include` / `exclude` blocks per signal, in
 * the Go collector's older (pre-OTTL) shape so its configs load, plus
 * `attributes` on metric data points and `event_names` on log records.
 */
import type { JsonSchema } from '../../pipeline/component';
import { compileRegex } from '../internal/regex';

export type MatchType = 'strict' | 'regexp';

/** `{key, value}`; no value means "the key is present". `Key`/`Value` are the Go collector's older spelling. */
export interface AttributeCondition {
  key?: string;
  value?: string | number | boolean;
  Key?: string;
  Value?: string | number | boolean;
}

interface BlockBase {
  match_type: MatchType | 'expr';
  attributes?: AttributeCondition[];
  resource_attributes?: AttributeCondition[];
}

export interface MetricsBlock extends BlockBase {
  metric_names?: string[];
  expressions?: unknown;
}

export interface LogsBlock extends BlockBase {
  event_names?: string[];
  bodies?: string[];
  severity_texts?: string[];
  severity_number?: { min: string | number; match_undefined: boolean };
  /** The Go collector's name for `attributes` on logs. */
  record_attributes?: AttributeCondition[];
}

export interface SpansBlock extends BlockBase {
  span_names?: string[];
  services?: string[];
  libraries?: Array<{ name: string; version?: string }>;
  /** The Go collector's name for `resource_attributes` on spans. */
  resources?: AttributeCondition[];
}

export interface SignalRules<B> {
  include?: B;
  exclude?: B;
}

export interface FilterConfig {
  error_mode: 'ignore' | 'silent' | 'propagate';
  metrics?: SignalRules<MetricsBlock>;
  logs?: SignalRules<LogsBlock>;
  spans?: SignalRules<SpansBlock>;
}

const names = (what: string): JsonSchema => ({ type: 'array', items: { type: 'string' }, description: `${what}: any one must match (exact, or a regular expression with match_type regexp).` });

const conditions = (where: string): JsonSchema => ({
  type: 'array',
  description: `Conditions on the ${where}; every one must match.`,
  items: {
    type: 'object',
    additionalProperties: false,
    properties: {
      key: { type: 'string', minLength: 1 },
      value: { type: ['string', 'number', 'boolean'] },
      Key: { type: 'string', minLength: 1 },
      Value: { type: ['string', 'number', 'boolean'] },
    },
  },
});

const matchType: JsonSchema = {
  type: 'string',
  enum: ['strict', 'regexp', 'expr'],
  default: 'strict',
  description: 'How names and attribute values are compared: exactly, or as regular expressions (unanchored, as in Go).',
};

function block(properties: Record<string, JsonSchema>): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: { match_type: matchType, attributes: conditions('item (data point, log record, span) attributes'), resource_attributes: conditions('resource attributes'), ...properties },
  };
}

function signal(b: JsonSchema, ottl: string[]): JsonSchema {
  // OTTL keys are accepted by the schema so validate() can say why they are refused.
  return { type: 'object', additionalProperties: false, properties: { include: b, exclude: b, ...Object.fromEntries(ottl.map((k) => [k, {}])) } };
}

export const FILTER_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    error_mode: { type: 'string', enum: ['ignore', 'silent', 'propagate'], default: 'propagate', description: "Accepted for Go configs; name and attribute matching cannot fail, so it changes nothing." },
    metrics: signal(block({ metric_names: names('Metric names'), expressions: {} }), ['metric', 'datapoint']),
    logs: signal(
      block({
        event_names: names('Event names (LogRecord.event_name, else the event.name attribute, else a string body)'),
        bodies: names('Bodies (as text)'),
        severity_texts: names('Severity texts'),
        severity_number: {
          type: 'object',
          additionalProperties: false,
          required: ['min'],
          properties: { min: { type: ['string', 'integer'] }, match_undefined: { type: 'boolean', default: false } },
        },
        record_attributes: conditions('log record attributes (the Go name for attributes)'),
      }),
      ['log_record'],
    ),
    spans: signal(
      block({
        span_names: names('Span names'),
        services: names('service.name of the resource'),
        libraries: {
          type: 'array',
          items: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string' }, version: { type: 'string' } } },
        },
        resources: conditions('resource attributes (the Go name for resource_attributes)'),
      }),
      ['span', 'spanevent'],
    ),
    // The Go collector's OTTL form puts span conditions under `traces`.
    traces: {},
  },
};

const SEVERITY_BASE: Record<string, number> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 };

/** A severity as a number 1..24: `INFO`, `warn3`, or the number itself; undefined if invalid. */
export function parseSeverity(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 1 && v <= 24 ? v : undefined;
  const m = /^([A-Za-z]+)([2-4])?$/.exec(v.trim());
  const base = m && SEVERITY_BASE[m[1].toUpperCase()];
  if (!base) return /^\d+$/.test(v.trim()) ? parseSeverity(Number(v)) : undefined;
  return base + (m[2] ? Number(m[2]) - 1 : 0);
}

type Issue = { path: string; message: string };

const OTTL = 'OTTL conditions are not supported; use include/exclude blocks with match_type strict or regexp (see the filter README)';

/** Checks the schema cannot express: at least one criterion per block, valid patterns, no OTTL or expr. */
export function validateFilter(config: any): Issue[] {
  const issues: Issue[] = [];
  if (config.traces !== undefined) issues.push({ path: 'traces', message: `${OTTL}; spans go under "spans"` });
  const ottl: Record<string, string[]> = { metrics: ['metric', 'datapoint'], logs: ['log_record'], spans: ['span', 'spanevent'] };
  for (const sig of ['metrics', 'logs', 'spans'] as const) {
    const rules = config[sig];
    if (!rules) continue;
    for (const k of ottl[sig]) if (rules[k] !== undefined) issues.push({ path: `${sig}.${k}`, message: OTTL });
    for (const which of ['include', 'exclude'] as const) {
      const b = rules[which];
      if (b) issues.push(...validateBlock(b, `${sig}.${which}`));
    }
  }
  return issues;
}

const CRITERIA: Record<string, string[]> = {
  metrics: ['metric_names', 'attributes', 'resource_attributes'],
  logs: ['event_names', 'bodies', 'severity_texts', 'severity_number', 'attributes', 'record_attributes', 'resource_attributes'],
  spans: ['span_names', 'services', 'libraries', 'attributes', 'resource_attributes', 'resources'],
};

function validateBlock(b: any, path: string): Issue[] {
  const issues: Issue[] = [];
  const sig = path.split('.')[0];
  if (b.match_type === 'expr' || b.expressions !== undefined) {
    return [{ path: `${path}.${b.expressions !== undefined ? 'expressions' : 'match_type'}`, message: 'the "expr" expression language is not supported; use match_type strict or regexp, and `attributes` for data point labels' }];
  }
  const given = CRITERIA[sig].filter((k) => b[k] !== undefined && (!Array.isArray(b[k]) || b[k].length > 0));
  if (given.length === 0) issues.push({ path, message: `give at least one of ${CRITERIA[sig].join(', ')} (an empty block would match everything)` });
  const regexp = b.match_type === 'regexp';
  for (const key of ['metric_names', 'event_names', 'bodies', 'severity_texts', 'span_names', 'services']) {
    (b[key] as string[] | undefined)?.forEach((p, i) => {
      const bad = regexp ? patternProblem(p) : undefined;
      if (bad) issues.push({ path: `${path}.${key}[${i}]`, message: bad });
    });
  }
  for (const key of ['attributes', 'record_attributes', 'resource_attributes', 'resources']) {
    (b[key] as AttributeCondition[] | undefined)?.forEach((c, i) => {
      const at = `${path}.${key}[${i}]`;
      if ((c.key === undefined) === (c.Key === undefined)) issues.push({ path: at, message: 'give the attribute name as `key` (or the Go spelling `Key`), once' });
      if (c.value !== undefined && c.Value !== undefined) issues.push({ path: at, message: 'give the value as `value` or `Value`, not both' });
      const v = c.value ?? c.Value;
      const bad = regexp && v !== undefined ? patternProblem(String(v)) : undefined;
      if (bad) issues.push({ path: `${at}.${c.value !== undefined ? 'value' : 'Value'}`, message: bad });
    });
  }
  (b.libraries as SpansBlock['libraries'])?.forEach((l, i) => {
    for (const k of ['name', 'version'] as const) {
      const bad = regexp && l[k] !== undefined ? patternProblem(l[k]!) : undefined;
      if (bad) issues.push({ path: `${path}.libraries[${i}].${k}`, message: bad });
    }
  });
  if (b.severity_number && parseSeverity(b.severity_number.min) === undefined) {
    issues.push({ path: `${path}.severity_number.min`, message: 'must be a severity such as "INFO", "WARN2", "ERROR" or a number from 1 to 24' });
  }
  return issues;
}

function patternProblem(p: string): string | undefined {
  const re = compileRegex(p);
  return re instanceof Error ? re.message : undefined;
}
