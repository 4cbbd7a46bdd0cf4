/**
 * OTLP logs (opentelemetry/proto/logs/v1/logs.proto) as plain objects.
 * Claude Code's events arrive as log records.
 */
import type { AnyValue, Attributes, InstrumentationScope, Resource } from './common';
import { wireOf } from './wire';

export interface LogRecord {
  timeMs: number;
  /** Nanoseconds past `timeMs` (0..999 999); see nanos.ts. */
  timeNs: number;
  observedTimeMs: number;
  observedTimeNs: number;
  severityNumber: number;
  severityText: string;
  body: AnyValue;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
  /** 16 bytes, or empty when absent. */
  traceId: Uint8Array;
  /** 8 bytes, or empty when absent. */
  spanId: Uint8Array;
  /** `LogRecord.event_name` (newer OTLP); '' when absent. */
  eventName: string;
}

export interface ScopeLogs {
  scope: InstrumentationScope;
  logRecords: LogRecord[];
  schemaUrl: string;
}

export interface ResourceLogs {
  resource: Resource;
  scopeLogs: ScopeLogs[];
  schemaUrl: string;
}

export function countLogRecords(rls: readonly ResourceLogs[]): number {
  let n = 0;
  for (const rl of rls) {
    const wire = wireOf(rl);
    if (wire) n += wire.items;
    else for (const sl of rl.scopeLogs) n += sl.logRecords.length;
  }
  return n;
}
