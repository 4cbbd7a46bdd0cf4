/**
 * Sends one batch over OTLP/HTTP and reads the answer: 2xx with its
 * partial_success, or a classified SendFailure.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Batch } from '../../model/batch';
import { classifyHttpStatus, classifyNetworkError, SendFailure } from '../otlp_common/classify';
import { readExportResponse } from '../otlp_common/codec';
import type { TlsClientConfig } from '../otlp_common/config';
import { buildRequest, type HttpTargetConfig } from './request';

export interface HttpSenderConfig extends HttpTargetConfig {
  /** ms; 0 = none. */
  timeout: number;
  tls: TlsClientConfig;
}

/** Bodies past this are not read (an error page can be anything). */
const MAX_RESPONSE = 1 << 20;

export class HttpSender {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent: https.Agent;

  constructor(private readonly config: HttpSenderConfig) {
    const tls = config.tls;
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      ca: tls.ca_file ? fs.readFileSync(tls.ca_file) : undefined,
      cert: tls.cert_file ? fs.readFileSync(tls.cert_file) : undefined,
      key: tls.key_file ? fs.readFileSync(tls.key_file) : undefined,
      rejectUnauthorized: !tls.insecure_skip_verify,
      servername: tls.server_name_override,
    });
  }

  /** Resolves with what the server refused in a partial_success; throws SendFailure. */
  send(batch: Batch, abort?: AbortSignal): Promise<{ rejected: number; errorMessage: string }> {
    const req = buildRequest(this.config, batch);
    const isHttps = req.url.protocol === 'https:';
    const signals = [abort, this.config.timeout > 0 ? AbortSignal.timeout(this.config.timeout) : undefined].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    return new Promise((resolve, reject) => {
      const r = (isHttps ? https : http).request(
        req.url,
        { method: 'POST', headers: req.headers, agent: isHttps ? this.httpsAgent : this.httpAgent, signal },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size < MAX_RESPONSE) chunks.push(c);
            size += c.length;
          });
          res.on('error', (err) => reject(classifyNetworkError(err)));
          res.on('end', () => {
            const body = Buffer.concat(chunks);
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              const ct = String(res.headers['content-type'] ?? '');
              resolve(readExportResponse(batch.signal, body, ct.includes('json') ? 'json' : 'proto'));
            } else reject(classifyHttpStatus(status, res.headers, body));
          });
        },
      );
      r.on('error', (err) => {
        if (signal?.aborted && !(err instanceof SendFailure)) {
          const why = abort?.aborted ? 'the export was cancelled' : `no response within ${this.config.timeout} ms`;
          reject(new SendFailure(why, { retryable: true, reason: 'timeout' }));
        } else reject(classifyNetworkError(err));
      });
      r.end(req.body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
