/** Minimal OTLP/HTTP JSON sending for end-to-end tests (raw node:http, no SDK). */
import http from 'node:http';

export interface HttpResult {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export function post(port: number, path: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (d: string) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function get(port: number, path: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let data = '';
        res.setEncoding('utf8').on('data', (d: string) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
      })
      .on('error', reject);
  });
}

/** An OTLP/JSON metrics request with one delta sum of `points` points tagged with `tag`. */
export function metricsJson(tag: string, points = 1, name = 'e2e.requests'): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'e2e' } }, { key: 'tag', value: { stringValue: tag } }] },
        scopeMetrics: [
          {
            scope: { name: 'e2e' },
            metrics: [
              {
                name,
                unit: '1',
                sum: {
                  aggregationTemporality: 1,
                  isMonotonic: true,
                  dataPoints: Array.from({ length: points }, (_, i) => ({
                    attributes: [{ key: 'i', value: { intValue: String(i) } }],
                    startTimeUnixNano: String(now - 1_000_000_000n),
                    timeUnixNano: String(now),
                    asDouble: 1,
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  });
}
