/** The `cardinality_guard` config: its schema (defaults live here), checks across keys, and limit lookup. */
import { duration, object } from '../../config/schema';
import type { JsonSchema } from '../../pipeline/component';

export type GuardAction = 'strip' | 'overflow' | 'drop';

export interface LimitOverride {
  metric?: string;
  metric_regex?: string;
  limit: number;
}

export interface CardinalityGuardConfig {
  max_series_per_metric: number;
  max_series_total: number;
  overrides: LimitOverride[];
  action: GuardAction;
  strip_keys: string[];
  idle_timeout: number;
}

/** Claude Code's per-session and per-user keys: on every point, and new values all the time. */
export const DEFAULT_STRIP_KEYS = ['session.id', 'user.email', 'user.account_uuid', 'prompt.id'];

export const ACTIONS: readonly GuardAction[] = ['strip', 'overflow', 'drop'];

export const configSchema: JsonSchema = object({
  max_series_per_metric: {
    type: 'integer',
    minimum: 1,
    default: 2000,
    description: 'Distinct series (resource, scope and point attributes) one metric name may have before new ones get `action`.',
  },
  max_series_total: {
    type: 'integer',
    minimum: 1,
    default: 100000,
    description: 'Distinct series across every metric of the pipeline before new ones get `action`.',
  },
  overrides: {
    type: 'array',
    default: [],
    description: 'Per-metric limits; the first entry whose `metric` equals or whose `metric_regex` matches the metric name wins.',
    items: {
      type: 'object',
      additionalProperties: false,
      properties: {
        metric: { type: 'string', minLength: 1, description: 'An exact OTLP metric name.' },
        metric_regex: { type: 'string', minLength: 1, format: 'regex', description: 'A regular expression searched in the OTLP metric name (anchor it with ^...$ for a full match).' },
        limit: { type: 'integer', minimum: 1, description: 'The series limit for matching metrics.' },
      },
      required: ['limit'],
    },
  },
  action: {
    type: 'string',
    enum: ACTIONS as unknown as string[],
    default: 'strip',
    description: 'What happens to a new series past a limit: strip the `strip_keys`, fold into the overflow series, or drop.',
  },
  strip_keys: {
    type: 'array',
    items: { type: 'string', minLength: 1 },
    uniqueItems: true,
    default: DEFAULT_STRIP_KEYS,
    description: 'Point attribute keys removed by `action: strip`.',
  },
  idle_timeout: duration('10m', 'A series not seen for this long frees its slot.'),
});

/** Checks the schema cannot express: each override names its metric exactly one way. */
export function validateConfig(config: CardinalityGuardConfig): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  config.overrides.forEach((o, i) => {
    const ways = (o.metric !== undefined ? 1 : 0) + (o.metric_regex !== undefined ? 1 : 0);
    if (ways !== 1) problems.push({ path: `overrides[${i}]`, message: 'needs exactly one of "metric" (an exact name) or "metric_regex"' });
  });
  if (config.idle_timeout <= 0) problems.push({ path: 'idle_timeout', message: 'must be longer than 0 (series must be able to free their slots)' });
  if (config.action === 'strip' && config.strip_keys.length === 0) {
    problems.push({ path: 'strip_keys', message: 'must name at least one key when action is "strip" (or use action "overflow")' });
  }
  return problems;
}

/** A metric name → its limit, with the overrides' regexes compiled once. */
export class LimitTable {
  private readonly rules: Array<{ name: string; regex: RegExp | undefined; limit: number }>;

  constructor(
    private readonly defaultLimit: number,
    overrides: readonly LimitOverride[],
  ) {
    this.rules = overrides.map((o) => ({ name: o.metric ?? '', regex: o.metric_regex !== undefined ? new RegExp(o.metric_regex) : undefined, limit: o.limit }));
  }

  /** Called once per metric name while it is tracked, not per point. */
  limitFor(metric: string): number {
    for (const o of this.rules) {
      if (o.regex ? o.regex.test(metric) : o.name === metric) return o.limit;
    }
    return this.defaultLimit;
  }
}
