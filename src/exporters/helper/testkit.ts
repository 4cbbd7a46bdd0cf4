/**
 * Shared pieces of the helper's tests: log batches with a known item count,
 * a JSON codec, a fake clock, and a meter whose counters can be read back.
 */
import { MeterProvider, MetricReader, type GaugeMetricData, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { emptyResource, emptyScope, str } from '../../model/common';
import type { Batch, LogsBatch } from '../../model/batch';
import type { LogRecord } from '../../model/logs';
import type { ComponentSettings } from '../../pipeline/component';
import type { LogFields, Logger } from '../../telemetry/logger';
import type { BatchCodec } from './index';
import type { Clock } from './retry';

/** A logs batch of `n` records whose bodies are `${tag}-0` … `${tag}-${n-1}`. */
export function logs(tag: string, n: number): LogsBatch {
  const logRecords: LogRecord[] = [];
  for (let i = 0; i < n; i++) {
    logRecords.push({
      timeMs: 1700000000000 + i, timeNs: 0, observedTimeMs: 0, observedTimeNs: 0, severityNumber: 9, severityText: 'INFO',
      body: str(`${tag}-${i}`), attributes: [], droppedAttributesCount: 0, flags: 0, traceId: new Uint8Array(0), spanId: new Uint8Array(0), eventName: '',
    });
  }
  return { signal: 'logs', resourceLogs: [{ resource: emptyResource(), schemaUrl: '', scopeLogs: [{ scope: emptyScope(), schemaUrl: '', logRecords }] }] };
}

/** The bodies of every record, in order: what a test compares. */
export function bodies(batch: Batch): string[] {
  if (batch.signal !== 'logs') return [];
  return batch.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => (l.body.kind === 'string' ? l.body.value : '?'))));
}

export const jsonCodec: BatchCodec = {
  encode: (b) => Buffer.from(JSON.stringify(b, (_k, v) => (v instanceof Uint8Array ? { u8: Array.from(v) } : v))),
  decode: (bytes) => JSON.parse(Buffer.from(bytes).toString('utf8'), (_k, v) => (v && typeof v === 'object' && Array.isArray(v.u8) ? new Uint8Array(v.u8) : v)),
};

/** A clock that moves only when slept on, recording each wait. */
export class FakeClock implements Clock {
  t = 0;
  readonly sleeps: number[] = [];
  constructor(private readonly rnd = 0.5) {}
  now(): number {
    return this.t;
  }
  random(): number {
    return this.rnd;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
  }
}

export class CapturedLogs {
  readonly lines: Array<{ level: string; msg: string } & LogFields> = [];
  readonly logger: Logger = this.make({});
  private make(fields: LogFields): Logger {
    const log = (level: string) => (msg: string, extra?: LogFields) => void this.lines.push({ level, msg, ...fields, ...extra });
    return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: (f) => this.make({ ...fields, ...f }), enabled: () => true };
  }
}

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** Settings with a real SDK meter and captured logs. */
export function testSettings(id = 'otlp/test') {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const logs = new CapturedLogs();
  const settings: ComponentSettings = { id, kind: 'exporter', logger: logs.logger, meter: provider.getMeter('otel-pipeline') };
  /** Sum (or gauge value) of a metric's points whose attributes include `match`. */
  async function metric(name: string, match: Record<string, string> = {}): Promise<number> {
    const { resourceMetrics } = await reader.collect();
    const m = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((x) => x.descriptor.name === name) as SumMetricData | GaugeMetricData | undefined;
    let total = 0;
    for (const p of m?.dataPoints ?? []) if (Object.entries(match).every(([k, v]) => p.attributes[k] === v)) total += p.value as number;
    return total;
  }
  return { settings, logs, metric };
}

export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
