/**
 * `debug` (alias `logging`): prints what arrives, for seeing a pipeline work.
 * Writes to stdout, waiting for the stream to drain so a slow terminal or
 * pipe slows the pipeline down instead of growing memory without bound.
 */
import type { Batch } from '../../model/batch';
import type { ComponentSettings, Exporter, ExporterFactory } from '../../pipeline/component';
import { object } from '../../config/schema';
import { formatBatch, type Verbosity } from './format';

export interface DebugConfig {
  verbosity?: Verbosity;
  /** The `logging` exporter's older key; `verbosity` wins when both are set. */
  loglevel?: 'debug' | 'info' | 'warn' | 'error';
  sampling_initial: number;
  sampling_thereafter: number;
  use_internal_logger: boolean;
}

/** Where the output goes; tests give a buffer, the daemon stdout. */
export interface DebugOutput {
  write(text: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

let output: DebugOutput = process.stdout;

/** For tests that capture what the exporter prints in-process. */
export function setDebugOutput(out: DebugOutput): void {
  output = out;
}

const LOGLEVEL_VERBOSITY: Record<string, Verbosity> = { debug: 'detailed', info: 'normal', warn: 'basic', error: 'basic' };

export function effectiveVerbosity(config: DebugConfig): Verbosity {
  return config.verbosity ?? (config.loglevel ? LOGLEVEL_VERBOSITY[config.loglevel] : 'basic');
}

export const debugExporterFactory: ExporterFactory<DebugConfig> = {
  kind: 'exporter',
  type: 'debug',
  aliases: ['logging'],
  description: 'Prints batches to stdout at basic, normal or detailed verbosity.',
  stability: { metrics: 'development', logs: 'development', traces: 'development' },
  mutatesData: false,
  schema: object({
    verbosity: { enum: ['basic', 'normal', 'detailed'], description: 'How much to print (default basic).' },
    loglevel: { enum: ['debug', 'info', 'warn', 'error'], description: 'Older `logging` exporter key: debug → detailed, info → normal, else basic.' },
    sampling_initial: { type: 'integer', minimum: 1, default: 2, description: 'Batches printed each second before sampling starts.' },
    sampling_thereafter: { type: 'integer', minimum: 1, default: 1, description: 'After that, print one batch in this many (1: all).' },
    use_internal_logger: { type: 'boolean', default: false, description: 'true: print through the daemon log (stderr, JSON lines) instead of stdout.' },
  }),
  create(config: DebugConfig, settings: ComponentSettings): Exporter {
    const verbosity = effectiveVerbosity(config);
    let second = 0;
    let seen = 0;

    const sampled = (): boolean => {
      const now = Math.floor(Date.now() / 1000);
      if (now !== second) {
        second = now;
        seen = 0;
      }
      seen++;
      return seen <= config.sampling_initial || (seen - config.sampling_initial) % config.sampling_thereafter === 0;
    };

    return {
      start: async () => {},
      shutdown: async () => {},
      consume(batch: Batch): Promise<void> {
        if (!sampled()) return Promise.resolve();
        const lines = formatBatch(batch, verbosity);
        if (config.use_internal_logger) {
          for (const line of lines) settings.logger.info(line, { signal: batch.signal });
          return Promise.resolve();
        }
        if (output.write(lines.join('\n') + '\n')) return Promise.resolve();
        return new Promise((resolve) => output.once('drain', resolve));
      },
    };
  },
};
