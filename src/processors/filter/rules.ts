/**
 * A block (`include` or `exclude`) compiled into one predicate per level of
 * the OTLP tree. A block matches an item when every criterion it gives
 * matches; each criterion is checked at the level it belongs to (resource
 * attributes once per resource, metric names once per metric, ...), so
 * whole resources or metrics are decided without visiting their items.
 *
 *   metrics: 0 resource, 1 metric, 2 data point
 *   logs:    0 resource, 1 log record
 *   spans:   0 resource, 1 scope,  2 span
 */
import { getAttribute, type Attributes, type InstrumentationScope } from '../../model/common';
import type { LogRecord } from '../../model/logs';
import type { Metric } from '../../model/metrics';
import type { Span } from '../../model/traces';
import { parseSeverity, type LogsBlock, type MatchType, type MetricsBlock, type SpansBlock } from './config';
import { allOf, compileConditions, compileNames, valueText, type StringMatcher } from './match';

type Pred = (x: any) => boolean;

export interface Rule {
  /** Predicate per level; undefined where the block has no criterion. */
  readonly levels: ReadonlyArray<Pred | undefined>;
  /** The deepest level with a predicate (-1: none). */
  readonly deepest: number;
}

function rule(levels: Array<Pred | undefined>): Rule {
  let deepest = -1;
  levels.forEach((p, i) => p && (deepest = i));
  return { levels, deepest };
}

const names = (list: string[] | undefined, mt: MatchType): StringMatcher | undefined => (list && list.length > 0 ? compileNames(list, mt) : undefined);
const conds = (list: Parameters<typeof compileConditions>[0] | undefined, mt: MatchType) => (list && list.length > 0 ? compileConditions(list, mt) : undefined);

export function metricsRule(b: MetricsBlock): Rule {
  const mt = b.match_type as MatchType;
  const name = names(b.metric_names, mt);
  const points = conds(b.attributes, mt);
  return rule([
    conds(b.resource_attributes, mt),
    name && ((m: Metric) => name(m.name)),
    points && ((p: { attributes: Attributes }) => points(p.attributes)),
  ]);
}

/** A record's event name: `LogRecord.event_name`, else the `event.name` attribute, else a string body. */
export function eventName(r: LogRecord): string | undefined {
  if (r.eventName) return r.eventName;
  const a = getAttribute(r.attributes, 'event.name');
  if (a) return valueText(a);
  return r.body.kind === 'string' ? r.body.value : undefined;
}

export function logsRule(b: LogsBlock): Rule {
  const mt = b.match_type as MatchType;
  const event = names(b.event_names, mt);
  const body = names(b.bodies, mt);
  const sevText = names(b.severity_texts, mt);
  const attrs = conds([...(b.attributes ?? []), ...(b.record_attributes ?? [])], mt);
  let severity: Pred | undefined;
  if (b.severity_number) {
    const min = parseSeverity(b.severity_number.min)!;
    const undef = b.severity_number.match_undefined;
    severity = (r: LogRecord) => (r.severityNumber === 0 ? undef : r.severityNumber >= min);
  }
  return rule([
    conds(b.resource_attributes, mt),
    allOf<LogRecord>([
      event && ((r) => {
        const n = eventName(r);
        return n !== undefined && event(n);
      }),
      body && ((r) => body(valueText(r.body))),
      sevText && ((r) => sevText(r.severityText)),
      severity,
      attrs && ((r) => attrs(r.attributes)),
    ]),
  ]);
}

export function spansRule(b: SpansBlock): Rule {
  const mt = b.match_type as MatchType;
  const service = names(b.services, mt);
  const resourceAttrs = conds([...(b.resource_attributes ?? []), ...(b.resources ?? [])], mt);
  const libraries = (b.libraries ?? []).map((l) => ({ name: compileNames([l.name], mt), version: l.version === undefined ? undefined : compileNames([l.version], mt) }));
  const span = names(b.span_names, mt);
  const attrs = conds(b.attributes, mt);
  return rule([
    allOf<Attributes>([
      service && ((a) => {
        const v = getAttribute(a, 'service.name');
        return v !== undefined && service(valueText(v));
      }),
      resourceAttrs,
    ]),
    libraries.length > 0 ? (s: InstrumentationScope) => libraries.some((l) => l.name(s.name) && (!l.version || l.version(s.version))) : undefined,
    allOf<Span>([span && ((s) => span(s.name)), attrs && ((s) => attrs(s.attributes))]),
  ]);
}

export const KEEP = 0;
export const DROP = 1;
export const UNDECIDED = 2;

/**
 * Whether `level` holds for `x` in `r` (true when the block has no
 * criterion there).
 */
export function holds(r: Rule, level: number, x: unknown): boolean {
  const p = r.levels[level];
  return p === undefined || p(x);
}

/**
 * What happens to everything below a node, given whether the include block
 * still matches (`inc`) and the exclude block still matches (`exc`) after
 * checking levels up to `level`: dropped, kept, or to be decided deeper.
 */
export function fate(inc: boolean, exc: boolean, level: number, include: Rule | undefined, exclude: Rule | undefined): number {
  if (!inc) return DROP;
  if (exc && exclude!.deepest <= level) return DROP;
  if (!exc && (!include || include.deepest <= level)) return KEEP;
  return UNDECIDED;
}
