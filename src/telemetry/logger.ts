/**
 * Structured logs: one JSON object per line on stderr (stdout belongs to the
 * debug exporter), each with a time, a level, a message, and the component id.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines also carry these fields (e.g. `{ component: 'otlp' }`). */
  child(fields: LogFields): Logger;
  enabled(level: LogLevel): boolean;
}

export interface LogSink {
  write(line: string): void;
}

/** Where every logger of the process writes; the level can change on reload. */
export class LogOutput {
  level: LogLevel;
  constructor(level: LogLevel = 'info', readonly sink: LogSink = process.stderr) {
    this.level = level;
  }
}

class JsonLogger implements Logger {
  constructor(
    private readonly out: LogOutput,
    private readonly fields: LogFields,
  ) {}

  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.out.level];
  }

  private log(level: LogLevel, msg: string, extra?: LogFields): void {
    if (!this.enabled(level)) return;
    const rec: LogFields = { time: new Date().toISOString(), level, msg, ...this.fields, ...extra };
    let line: string;
    try {
      line = JSON.stringify(rec, replacer);
    } catch {
      line = JSON.stringify({ time: rec.time, level, msg, ...this.fields, note: 'fields not serialisable' });
    }
    this.out.sink.write(line + '\n');
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }
  child(fields: LogFields): Logger {
    return new JsonLogger(this.out, { ...this.fields, ...fields });
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { message: value.message, name: value.name };
  return value;
}

export function createLogger(out: LogOutput, fields: LogFields = {}): Logger {
  return new JsonLogger(out, fields);
}

/** A logger that drops everything: for tests and for tools that must print only their result. */
export const silentLogger: Logger = createLogger(new LogOutput('error', { write() {} }));
