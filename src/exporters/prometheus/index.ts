/**
 * `prometheus`: serves metrics for Prometheus to scrape, with Claude Code's
 * delta counters accumulated into proper cumulative counters.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Batch } from '../../model/batch';
import type { ComponentSettings, Exporter, ExporterFactory } from '../../pipeline/component';
import { duration, endpoint, object, tlsServer, tlsServerFiles, type TlsServerConfig } from '../../config/schema';
import { acquireHttp, type Lease } from '../../net/listeners';
import { sanitizeLabelKey, type Label } from './naming';
import { OPENMETRICS_CONTENT_TYPE, renderChunks, TEXT_CONTENT_TYPE } from './exposition';
import { SeriesStore } from './store';

export interface PrometheusConfig {
  endpoint: string;
  namespace: string;
  const_labels: Record<string, string>;
  send_timestamps: boolean;
  metric_expiration: number;
  resource_to_telemetry_conversion: { enabled: boolean };
  enable_open_metrics: boolean;
  add_metric_suffixes: boolean;
  tls?: TlsServerConfig;
}

export const prometheusExporterFactory: ExporterFactory<PrometheusConfig> = {
  kind: 'exporter',
  type: 'prometheus',
  description: 'Serves metrics for Prometheus to scrape; delta sums and histograms accumulate into cumulative series.',
  stability: { metrics: 'beta' },
  mutatesData: false,
  schema: object({
    endpoint: endpoint('127.0.0.1:8889', 'Where to serve /metrics.'),
    namespace: { type: 'string', default: '', description: 'Prefix for every metric name.' },
    const_labels: { type: 'object', additionalProperties: { type: 'string' }, default: {}, description: 'Labels added to every series.' },
    send_timestamps: { type: 'boolean', default: false, description: "Put each point's time on its samples." },
    metric_expiration: duration('5m', 'Series not updated for this long are removed.'),
    resource_to_telemetry_conversion: object({ enabled: { type: 'boolean', default: false, description: 'Copy every resource attribute onto every series as a label.' } }),
    enable_open_metrics: { type: 'boolean', default: false, description: 'Serve OpenMetrics 1.0 to scrapers that ask for it.' },
    add_metric_suffixes: { type: 'boolean', default: true, description: 'Append unit and `_total` suffixes to names.' },
    tls: tlsServer(),
  }),
  create(config: PrometheusConfig, settings: ComponentSettings): Exporter {
    return new PrometheusExporter(config, settings);
  },
};

export class PrometheusExporter implements Exporter {
  readonly store: SeriesStore;
  private lease: Lease | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly warned = new Set<string>();
  private readonly seriesGauge;
  private readonly observeSeries = (obs: { observe(v: number, a: Record<string, string>): void }): void =>
    obs.observe(this.store.seriesCount, { exporter: this.settings.id });

  constructor(
    private readonly config: PrometheusConfig,
    private readonly settings: ComponentSettings,
  ) {
    const constLabels: Label[] = Object.entries(config.const_labels).map(([k, v]) => [sanitizeLabelKey(k), v]);
    const conflicts = settings.meter.createCounter('otel_pipeline_exporter_prometheus_conflicts', {
      description: 'Metrics refused because their name was first registered with another type or unit.',
    });
    this.store = new SeriesStore(
      {
        naming: { namespace: config.namespace, addSuffixes: config.add_metric_suffixes },
        constLabels,
        resourceToLabels: config.resource_to_telemetry_conversion.enabled,
        expirationMs: config.metric_expiration,
        timestamps: config.send_timestamps,
        created: config.enable_open_metrics,
      },
      (c) => {
        conflicts.add(1, { exporter: settings.id, metric: c.name });
        if (this.warned.has(c.name)) return;
        this.warned.add(c.name);
        settings.logger.warn('metric name already registered with another type or unit; keeping the first', { metric: c.name, registered: c.registered, offered: c.offered });
      },
    );
    this.seriesGauge = settings.meter.createObservableGauge('otel_pipeline_exporter_prometheus_series', { description: 'Active series served by a prometheus exporter.' });
  }

  async start(): Promise<void> {
    this.seriesGauge.addCallback(this.observeSeries);
    this.lease = await acquireHttp(this.config.endpoint, { tls: tlsServerFiles(this.config.tls) }, (req, res) => this.serve(req, res));
    // Expiry on a timer, so memory is released even when nobody scrapes.
    const every = Math.min(15_000, Math.max(100, this.config.metric_expiration / 4));
    this.timer = setInterval(() => this.store.expire(), every);
    this.timer.unref();
    this.settings.logger.info('serving Prometheus metrics', { address: `http://${this.lease.address}/metrics` });
  }

  async shutdown(deadline: number): Promise<void> {
    this.seriesGauge.removeCallback(this.observeSeries);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const lease = this.lease;
    this.lease = undefined;
    await lease?.release(deadline);
  }

  async consume(batch: Batch): Promise<void> {
    if (batch.signal === 'metrics') this.store.ingest(batch.resourceMetrics);
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('metrics are served at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const openMetrics = this.config.enable_open_metrics && /application\/openmetrics-text/.test(req.headers.accept ?? '');
    const contentType = openMetrics ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE;
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'Content-Type': contentType }).end();
      return;
    }
    const chunks = renderChunks(this.store, { openMetrics, sendTimestamps: this.config.send_timestamps });
    let length = 0;
    for (const c of chunks) length += c.length;
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': length });
    for (const chunk of chunks) res.write(chunk);
    res.end();
  }
}
