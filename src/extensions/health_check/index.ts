/**
 * `health_check`: liveness at /healthz, readiness at /readyz (200 only after
 * every component started, 503 while starting or draining), and the Go
 * collector's single `path` (default "/") answering like readiness.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ComponentSettings, Extension, ExtensionFactory, Host } from '../../pipeline/component';
import { endpoint, object, tlsServer, tlsServerFiles, type TlsServerConfig } from '../../config/schema';
import { acquireHttp, type Lease } from '../../net/listeners';

export interface HealthCheckConfig {
  endpoint: string;
  path: string;
  tls?: TlsServerConfig;
}

export const healthCheckExtensionFactory: ExtensionFactory<HealthCheckConfig> = {
  kind: 'extension',
  type: 'health_check',
  description: 'HTTP liveness (/healthz) and readiness (/readyz) probes.',
  stability: 'beta',
  schema: object({
    endpoint: endpoint('127.0.0.1:13133', 'Where to listen.'),
    path: { type: 'string', pattern: '^/', default: '/', description: 'Extra readiness path, as the Go collector serves it.' },
    tls: tlsServer(),
  }),
  create(config: HealthCheckConfig, settings: ComponentSettings, host: Host): Extension {
    let lease: Lease | undefined;
    const since = new Date();

    const handle = (req: IncomingMessage, res: ServerResponse): void => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      let ok: boolean;
      if (path === '/healthz') ok = true;
      else if (path === '/readyz' || path === config.path) ok = host.isReady();
      else {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('health is served at /healthz and /readyz\n');
        return;
      }
      const body = JSON.stringify({
        status: ok ? 'Server available' : 'Server not available',
        upSince: since.toISOString(),
        uptime: `${process.uptime().toFixed(3)}s`,
      });
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json' }).end(req.method === 'HEAD' ? undefined : body);
    };

    return {
      async start() {
        lease = await acquireHttp(config.endpoint, { tls: tlsServerFiles(config.tls) }, handle);
        settings.logger.info('health check serving', { address: lease.address });
      },
      async shutdown(deadline: number) {
        const l = lease;
        lease = undefined;
        await l?.release(deadline);
      },
    };
  },
};
