/**
 * `postgres`: writes metrics, logs and traces into day-partitioned
 * PostgreSQL tables with COPY, one transaction per batch, exactly once per
 * batch however often it is retried, through the shared queue-and-retry
 * helper (README.md).
 */
import type { Counter } from '@opentelemetry/api';
import { ITEM_NAME, SIGNALS, type Batch, type Signal } from '../../model/batch';
import type { ComponentSettings, Exporter, ExporterFactory } from '../../pipeline/component';
import { createDisabledExporter } from '../helper/disabled';
import { ExporterHelper } from '../helper';
import { BatchIds } from './batch-id';
import { effectiveUrl, postgresSchema, validatePostgresConfig, type PostgresConfig } from './config';
import { acceptedDays, filterByDay, type RangeLimits } from './range';
import { RowEncoder, type EncodedBatch } from './rows';
import { PostgresWriter } from './writer';

export type { PostgresConfig } from './config';

export const postgresExporterFactory: ExporterFactory<PostgresConfig> = {
  kind: 'exporter',
  type: 'postgres',
  description: 'Writes metrics, logs and traces into PostgreSQL tables (COPY, exactly once per batch), with a sending queue and retries.',
  stability: { metrics: 'alpha', logs: 'alpha', traces: 'alpha' },
  mutatesData: false,
  reportsDelivery: true,
  schema: postgresSchema,
  validate: validatePostgresConfig,
  create(config: PostgresConfig, settings: ComponentSettings): Exporter {
    const url = effectiveUrl(config) ?? '';
    if (url === '') return createDisabledExporter(settings, 'endpoint is empty (set PG_URL, or the endpoint, to a postgres:// URL to enable it)');
    return new PostgresExporter(config, url, settings);
  },
};

export class PostgresExporter implements Exporter {
  private readonly helper: ExporterHelper;
  readonly writer: PostgresWriter;
  private readonly ids = new BatchIds();
  /** Rows of each batch, encoded at its first attempt and reused by retries. */
  private readonly encoded = new WeakMap<Batch, EncodedBatch>();
  private readonly limits: RangeLimits;
  private readonly replaced: Counter;
  private readonly dropped = {} as Record<Signal, Counter>;

  constructor(
    config: PostgresConfig,
    url: string,
    private readonly settings: ComponentSettings,
  ) {
    const retention = config.retention;
    this.limits = { retention, maxAge: config.max_age, partitionsAhead: config.partitions_ahead };
    this.writer = new PostgresWriter(
      { url, schema: config.schema, createSchema: config.create_schema, poolSize: config.pool_size, partitionsAhead: config.partitions_ahead, retention, timeout: config.timeout, exporter: settings.id },
      settings.logger,
    );
    this.replaced = settings.meter.createCounter('otel_pipeline_exporter_postgres_replaced_strings', {
      description: 'Strings holding NUL or invalid UTF-16 (lone surrogates), stored with U+FFFD in their place.',
    });
    for (const s of SIGNALS) {
      const unit = ITEM_NAME[s];
      this.dropped[s] = settings.meter.createCounter(`otel_pipeline_exporter_send_failed_${unit}`, { description: `Items (${unit}) the exporter gave up on, by reason.` });
    }
    // One bad client can make the server refuse thousands of batches alike: say each SQLSTATE once.
    this.helper = new ExporterHelper(config, settings, (batch, abort) => this.send(batch, abort), this.ids.codec(), { warnOncePerDropReason: true });
  }

  async start(): Promise<void> {
    await this.helper.start();
    // Not awaited: PostgreSQL may be down now; batches wait in the queue meanwhile.
    this.writer.start();
  }

  /** Refuses the rows whose day is out of range (counted), gives the rest an id and queues it. */
  consume(batch: Batch): Promise<void> {
    const now = Date.now();
    const f = filterByDay(batch, acceptedDays(this.limits, now), now);
    const attrs = { exporter: this.settings.id };
    if (f.tooOld > 0) this.dropped[batch.signal].add(f.tooOld, { ...attrs, reason: 'too_old' });
    if (f.tooNew > 0) this.dropped[batch.signal].add(f.tooNew, { ...attrs, reason: 'too_new' });
    // Our own object, even when nothing was filtered: the same batch object
    // reaching us twice (through two pipelines) must get two ids.
    const own = f.batch === batch ? ({ ...batch } as Batch) : f.batch;
    this.ids.assign(own);
    return this.helper.consume(own);
  }

  private async send(batch: Batch, abort: AbortSignal): Promise<void> {
    const id = this.ids.of(batch);
    let enc = this.encoded.get(batch);
    if (!enc) {
      enc = RowEncoder.encode(batch, id, Date.now());
      this.encoded.set(batch, enc);
      if (enc.replaced > 0) this.replaced.add(enc.replaced, { exporter: this.settings.id });
    }
    await this.writer.write(batch.signal, id, enc, abort);
  }

  async shutdown(deadline: number): Promise<void> {
    try {
      await this.helper.shutdown(deadline);
    } finally {
      await this.writer.close(Math.max(deadline, Date.now() + 100));
    }
  }
}
