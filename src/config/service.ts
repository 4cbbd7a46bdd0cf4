/**
 * The `service` section: which extensions run, the self-telemetry settings,
 * and the pipelines, checked against the configured components.
 */
import { SIGNALS, type Signal } from '../model/batch';
import { factorySignals, type ComponentKind, type Factory, type JsonSchema } from '../pipeline/component';
import { didYouMean, problemAt, type ConfigProblem, type Loc, type Segment } from './problems';
import type { PipelineConfig, ResolvedConfig, TelemetryConfig } from './types';
import { validateNode } from './validate';
import { emptyMap, type LMap, type LNode } from './yaml-source';

/** Configured component ids of each kind; the factory is undefined when the type is unknown. */
export type ConfiguredIds = Record<ComponentKind, Map<string, Factory | undefined>>;

export interface ServiceResult {
  service?: ResolvedConfig['service'];
  effective: Record<string, unknown>;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:8888';
const SERVICE_KEYS = ['extensions', 'pipelines', 'telemetry'];
const PIPELINE_LISTS = [
  { key: 'receivers', kind: 'receiver', required: true },
  { key: 'processors', kind: 'processor', required: false },
  { key: 'exporters', kind: 'exporter', required: true },
] as const;

const TELEMETRY_SCHEMA: JsonSchema = {
  type: 'object', additionalProperties: false, default: {},
  properties: {
    logs: {
      type: 'object', additionalProperties: false, default: {},
      properties: {
        level: { type: 'string', enum: ['debug', 'info', 'warn', 'error'], default: 'info' },
        encoding: { type: 'string', enum: ['json', 'console'], default: 'json' },
      },
    },
    metrics: {
      type: 'object', additionalProperties: false, default: {},
      properties: {
        level: { type: 'string', enum: ['none', 'basic', 'normal', 'detailed'], default: 'normal' },
        address: { type: 'string', minLength: 1 },
        readers: {
          type: 'array',
          items: {
            type: 'object', additionalProperties: false,
            properties: {
              pull: {
                type: 'object', additionalProperties: false, required: ['exporter'],
                properties: {
                  exporter: {
                    type: 'object', additionalProperties: false,
                    properties: {
                      prometheus: {
                        type: 'object', additionalProperties: false, default: {},
                        properties: {
                          host: { type: 'string' },
                          port: { type: 'integer', minimum: 0, maximum: 65535 },
                          without_units: { type: 'boolean' },
                          without_type_suffix: { type: 'boolean' },
                          without_scope_info: { type: 'boolean' },
                        },
                      },
                    },
                  },
                },
              },
              periodic: { type: 'object' },
            },
          },
        },
      },
    },
    resource: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } },
  },
};

const ADDRESS = /^(\[[^\]]+\]|[^:\s[\]]*):(\d{1,5})$/;

export function resolveService(node: LNode | undefined, fallback: Loc, ids: ConfiguredIds): ServiceResult {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const effective: Record<string, unknown> = {};
  let svc: LMap;
  if (node === undefined || (node.kind === 'scalar' && node.value === null)) svc = emptyMap(node?.loc ?? fallback);
  else if (node.kind !== 'map') {
    problems.push(problemAt(node.loc, ['service'], 'must be a map'));
    svc = emptyMap(node.loc);
  } else svc = node;

  for (const [k, e] of svc.entries) {
    if (!SERVICE_KEYS.includes(k)) problems.push(problemAt(e.keyLoc, ['service', k], `unknown key "${k}"`, didYouMean(k, SERVICE_KEYS)));
  }

  // service.extensions
  const extensions = idList(svc.entries.get('extensions')?.value, ['service', 'extensions'], 'extension', ids, undefined, problems);
  effective.extensions = extensions;

  // service.telemetry
  const tNode = svc.entries.get('telemetry')?.value;
  const tv = validateNode(TELEMETRY_SCHEMA, TELEMETRY_SCHEMA, tNode, ['service', 'telemetry'], svc.entries.get('telemetry')?.keyLoc ?? svc.loc, 'service.telemetry');
  problems.push(...tv.problems);
  warnings.push(...tv.warnings);
  const telemetry = telemetryConfig(tv.value, tNode, svc.entries.get('telemetry')?.keyLoc ?? svc.loc, problems, warnings);
  const effMetrics = tv.effective?.metrics;
  if (effMetrics && typeof effMetrics === 'object' && effMetrics.address === undefined && effMetrics.readers === undefined) {
    effMetrics.address = telemetry.metrics.address;
  }
  effective.telemetry = tv.effective;

  // service.pipelines
  const pipelines = new Map<string, PipelineConfig>();
  const effPipelines: Record<string, unknown> = {};
  const pEntry = svc.entries.get('pipelines');
  const pNode = pEntry?.value;
  if (pNode && pNode.kind !== 'map' && !(pNode.kind === 'scalar' && pNode.value === null)) {
    problems.push(problemAt(pNode.loc, ['service', 'pipelines'], 'must be a map of pipeline ids to pipelines'));
  } else if (!pNode || pNode.kind !== 'map' || pNode.entries.size === 0) {
    problems.push(problemAt(pEntry?.keyLoc ?? svc.loc, ['service', 'pipelines'], 'no pipelines configured'));
  } else {
    for (const [id, e] of pNode.entries) {
      const p = pipeline(id, e.keyLoc, e.value, ids, problems);
      if (p) {
        pipelines.set(id, p);
        effPipelines[id] = { receivers: p.receivers, processors: p.processors, exporters: p.exporters };
      }
    }
  }
  effective.pipelines = effPipelines;

  const ok = problems.length === 0;
  return { service: ok ? { extensions, telemetry, pipelines } : undefined, effective, problems, warnings };
}

function telemetryConfig(v: any, node: LNode | undefined, fallback: Loc, problems: ConfigProblem[], warnings: ConfigProblem[]): TelemetryConfig {
  const metricsNode = node?.kind === 'map' ? node.entries.get('metrics')?.value : undefined;
  const logsNode = node?.kind === 'map' ? node.entries.get('logs')?.value : undefined;
  if (v?.logs?.encoding === 'console') {
    const enc = logsNode?.kind === 'map' ? logsNode.entries.get('encoding')?.value.loc : undefined;
    warnings.push(problemAt(enc ?? fallback, 'service.telemetry.logs.encoding', 'only JSON log output is supported; "console" is accepted but logs stay JSON'));
  }
  let address = DEFAULT_METRICS_ADDRESS;
  const metrics = v?.metrics ?? {};
  if (typeof metrics.address === 'string') {
    const addrLoc = metricsNode?.kind === 'map' ? metricsNode.entries.get('address')?.value.loc : undefined;
    const m = ADDRESS.exec(metrics.address);
    if (!m || Number(m[2]) > 65535) {
      problems.push(problemAt(addrLoc ?? fallback, 'service.telemetry.metrics.address', 'must be host:port, like "127.0.0.1:8888"'));
    } else address = metrics.address;
    if (Array.isArray(metrics.readers)) {
      problems.push(problemAt(addrLoc ?? fallback, 'service.telemetry.metrics.address', 'set either metrics.address or metrics.readers, not both'));
    }
  } else if (Array.isArray(metrics.readers)) {
    const readersLoc = metricsNode?.kind === 'map' ? metricsNode.entries.get('readers')?.value.loc : undefined;
    const pull = metrics.readers.find((r: any) => r?.pull?.exporter?.prometheus);
    if (pull) {
      const prom = pull.pull.exporter.prometheus;
      const host = typeof prom.host === 'string' && prom.host !== '' ? prom.host : '127.0.0.1';
      address = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${prom.port ?? 8888}`;
    } else {
      warnings.push(problemAt(readersLoc ?? fallback, 'service.telemetry.metrics.readers', `no pull (prometheus) reader; metrics stay on ${DEFAULT_METRICS_ADDRESS}`));
    }
    const readersNode = metricsNode?.kind === 'map' ? metricsNode.entries.get('readers')?.value : undefined;
    metrics.readers.forEach((r: any, i: number) => {
      if (!r?.periodic) return;
      const item = readersNode?.kind === 'seq' ? readersNode.items[i] : undefined;
      const loc = (item?.kind === 'map' ? item.entries.get('periodic')?.keyLoc : undefined) ?? readersLoc ?? fallback;
      warnings.push(problemAt(loc, `service.telemetry.metrics.readers[${i}].periodic`, 'periodic (push) metric readers are not supported and are ignored'));
    });
  }
  const out: TelemetryConfig = {
    logs: { level: v?.logs?.level ?? 'info' },
    metrics: { level: metrics.level ?? 'normal', address },
  };
  if (v?.resource && typeof v.resource === 'object') out.resource = v.resource;
  return out;
}

function pipeline(id: string, keyLoc: Loc, node: LNode, ids: ConfiguredIds, problems: ConfigProblem[]): PipelineConfig | undefined {
  const path: Segment[] = ['service', 'pipelines', id];
  const slash = id.indexOf('/');
  const signalName = slash < 0 ? id : id.slice(0, slash);
  const name = slash < 0 ? undefined : id.slice(slash + 1);
  let signal: Signal | undefined;
  if (name !== undefined && (name === '' || name.includes('/'))) {
    problems.push(problemAt(keyLoc, path, `invalid pipeline id "${id}": must be signal[/name] with a non-empty name and one "/" at most`));
  } else if (!(SIGNALS as readonly string[]).includes(signalName)) {
    problems.push(problemAt(keyLoc, path, `unknown signal "${signalName}" in pipeline id; must be metrics, logs or traces`, didYouMean(signalName, SIGNALS)));
  } else signal = signalName as Signal;

  let map: LMap;
  if (node.kind === 'scalar' && node.value === null) map = emptyMap(keyLoc);
  else if (node.kind !== 'map') {
    problems.push(problemAt(node.loc, path, 'must be a map with receivers, processors and exporters'));
    return undefined;
  } else map = node;

  const allowed = PIPELINE_LISTS.map((l) => l.key as string);
  for (const [k, e] of map.entries) {
    if (!allowed.includes(k)) problems.push(problemAt(e.keyLoc, [...path, k], `unknown key "${k}"`, didYouMean(k, allowed)));
  }
  const lists: Record<string, string[]> = {};
  for (const l of PIPELINE_LISTS) {
    const entry = map.entries.get(l.key);
    lists[l.key] = idList(entry?.value, [...path, l.key], l.kind, ids, signal, problems);
    if (l.required && lists[l.key].length === 0) {
      const bad = entry && entry.value.kind !== 'seq' && !(entry.value.kind === 'scalar' && entry.value.value === null);
      if (!bad) problems.push(problemAt(entry?.value.loc ?? map.loc, [...path, l.key], `a pipeline needs at least one ${l.kind}`));
    }
  }
  if (!signal) return undefined;
  return { id, signal, receivers: lists.receivers, processors: lists.processors, exporters: lists.exporters };
}

/** A list of component ids: each a string, configured, listed once, and (given a signal) supporting it. */
function idList(node: LNode | undefined, path: Segment[], kind: ComponentKind, ids: ConfiguredIds, signal: Signal | undefined, problems: ConfigProblem[]): string[] {
  if (!node || (node.kind === 'scalar' && node.value === null)) return [];
  if (node.kind !== 'seq') {
    problems.push(problemAt(node.loc, path, `must be a list of ${kind} ids`));
    return [];
  }
  const out: string[] = [];
  node.items.forEach((item, i) => {
    const at = [...path, i];
    if (item.kind !== 'scalar' || typeof item.value !== 'string' || item.value === '') {
      problems.push(problemAt(item.loc, at, `must be a ${kind} id`));
      return;
    }
    const ref = item.value;
    if (out.includes(ref)) {
      problems.push(problemAt(item.loc, at, `${kind} "${ref}" is listed twice`));
      return;
    }
    out.push(ref);
    const configured = ids[kind];
    if (!configured.has(ref)) {
      problems.push(problemAt(item.loc, at, `references ${kind} "${ref}" which is not configured`, didYouMean(ref, [...configured].filter(([, f]) => f !== undefined).map(([id]) => id))));
      return;
    }
    const factory = configured.get(ref);
    if (signal && factory && factory.kind !== 'extension') {
      const supported = factorySignals(factory);
      if (!supported.includes(signal)) {
        problems.push(problemAt(item.loc, at, `${kind} "${ref}" does not support ${signal}`, `it supports: ${supported.join(', ') || 'no signals'}`));
      }
    }
  });
  return out;
}
