/** Client TLS of both exporters against a TLS (and then mutual-TLS) fault server, with a throwaway certificate. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleLogs } from '../../otlp/proto/fixtures';
import { FaultServer } from '../../../test/support/fault-server';
import { GrpcSender } from '../otlp_grpc/send';
import { HttpSender } from '../otlp_http/send';
import type { SendFailure } from './classify';
import type { TlsClientConfig } from './config';

let dir: string;
let certFile: string;
let keyFile: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otlp-exporter-tls-'));
  certFile = path.join(dir, 'cert.pem');
  keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const batch = () => ({ signal: 'logs' as const, resourceLogs: sampleLogs() });
const tls = (over: Partial<TlsClientConfig>): TlsClientConfig => ({ insecure: false, insecure_skip_verify: false, ...over });

async function failure(p: Promise<unknown>): Promise<SendFailure> {
  try {
    await p;
  } catch (e) {
    return e as SendFailure;
  }
  throw new Error('expected the send to fail');
}

async function withServer(requireClientCert: boolean, fn: (s: FaultServer) => Promise<void>): Promise<void> {
  const s = await FaultServer.start({ tls: { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile), requireClientCert } });
  try {
    await fn(s);
  } finally {
    await s.stop();
  }
}

const http = (url: string, t: TlsClientConfig) => new HttpSender({ endpoint: url, headers: {}, compression: 'gzip', encoding: 'proto', timeout: 5000, tls: t });
const grpc = (endpoint: string, t: TlsClientConfig) => new GrpcSender({ endpoint, headers: {}, compression: 'gzip', timeout: 3000, tls: t });

test('HTTPS: trusted through ca_file, or insecure_skip_verify; an unknown CA fails retryably (the certificate may be fixed while the queue holds the data)', async () => {
  await withServer(false, async (s) => {
    for (const t of [tls({ ca_file: certFile }), tls({ insecure_skip_verify: true })]) {
      const h = http(s.httpUrl, t);
      await h.send(batch());
      h.close();
    }
    assert.deepStrictEqual(s.requests('http').map((r) => r.batch), [batch(), batch()]);
    const h = http(s.httpUrl, tls({}));
    const e = await failure(h.send(batch()));
    h.close();
    assert.equal(e.retryable, true, e.message);
    assert.match(e.reason, /cert/, e.message);
    assert.equal(s.requests('http').length, 2, 'nothing sent over an unverified connection');
  });
});

test('mutual TLS: the client certificate is presented when configured, refused when missing', async () => {
  await withServer(true, async (s) => {
    const good = http(s.httpUrl, tls({ ca_file: certFile, cert_file: certFile, key_file: keyFile }));
    await good.send(batch());
    good.close();
    const g = grpc(s.grpcEndpoint, tls({ ca_file: certFile, cert_file: certFile, key_file: keyFile }));
    await g.send(batch());
    g.close();
    assert.deepEqual(s.received.map((r) => r.protocol), ['http', 'grpc']);
    const anon = http(s.httpUrl, tls({ ca_file: certFile }));
    await failure(anon.send(batch()));
    anon.close();
    assert.equal(s.received.length, 2);
  });
});

test('gRPC over TLS: trusted through ca_file (host:port and https://); plaintext to a TLS server fails retryably', async () => {
  await withServer(false, async (s) => {
    for (const endpoint of [s.grpcEndpoint, `https://${s.grpcEndpoint}`]) {
      const g = grpc(endpoint, tls({ ca_file: certFile }));
      await g.send(batch());
      g.close();
    }
    assert.deepStrictEqual(s.requests('grpc').map((r) => r.batch), [batch(), batch()]);
    const plain = grpc(s.grpcEndpoint, tls({ insecure: true }));
    const e = await failure(plain.send(batch()));
    plain.close();
    assert.equal(e.retryable, true, e.message);
    assert.equal(s.requests('grpc').length, 2);
  });
});
