import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { acquireGrpc, acquireHttp, parseEndpoint, type GrpcExportHandler, type HttpHandler } from './listeners';
import { grpcExport, request, waitFor } from '../receivers/otlp/harness';
import { connects, freePort } from '../testing/ports';


const answer = (text: string): HttpHandler => (_req, res) => res.end(text);
const grpcAnswer = (text: string): GrpcExportHandler => (_call, cb) => cb(null, Buffer.from(text));

describe('parseEndpoint', () => {
  it('reads every form the Go collector accepts', () => {
    assert.deepEqual(parseEndpoint('127.0.0.1:4317'), { host: '127.0.0.1', port: 4317 });
    assert.deepEqual(parseEndpoint('[::1]:4318'), { host: '::1', port: 4318 });
    assert.deepEqual(parseEndpoint(':4317'), { host: '', port: 4317 });
    assert.deepEqual(parseEndpoint('localhost:0'), { host: 'localhost', port: 0 });
    assert.deepEqual(parseEndpoint('collector.example:80'), { host: 'collector.example', port: 80 });
  });
  it('refuses what is not host:port, naming the endpoint', () => {
    for (const bad of ['4317', 'host:', 'host:99999', '[nothex]:1', '::1:4317', 'http://x:1']) {
      assert.throws(() => parseEndpoint(bad), new RegExp(`invalid endpoint "${bad.replace(/[[\]/.]/g, '\\$&')}"`));
    }
  });
});

describe('HTTP leases', () => {
  it('serves the newest lease, falls back to the older one, and closes with the last', async () => {
    const port = await freePort();
    const endpoint = `127.0.0.1:${port}`;
    const older = await acquireHttp(endpoint, {}, answer('older'));
    const newer = await acquireHttp(endpoint, {}, answer('newer'));
    try {
      assert.equal(older.address, endpoint);
      assert.equal((await request({ port, method: 'GET', path: '/' })).body.toString(), 'newer');
      await newer.release();
      assert.equal((await request({ port, method: 'GET', path: '/' })).body.toString(), 'older');
      await older.release();
      assert.equal(await connects(port), false, 'the port is closed after the last release');
      // And it can be bound again at once.
      const again = await acquireHttp(endpoint, {}, answer('again'));
      assert.equal((await request({ port, method: 'GET', path: '/' })).body.toString(), 'again');
      await again.release();
    } finally {
      await newer.release();
      await older.release();
    }
  });

  it('releasing the older lease leaves the newer one current', async () => {
    const port = await freePort();
    const a = await acquireHttp(`127.0.0.1:${port}`, {}, answer('a'));
    const b = await acquireHttp(`127.0.0.1:${port}`, {}, answer('b'));
    try {
      await a.release();
      await a.release(); // twice is safe
      assert.equal((await request({ port, method: 'GET', path: '/' })).body.toString(), 'b');
    } finally {
      await b.release();
    }
  });

  it('lets a request in flight finish when the last lease is released, and refuses new connections', async () => {
    let finish!: () => void;
    let reached = false;
    const lease = await acquireHttp('127.0.0.1:0', {}, (_req, res) => {
      reached = true;
      finish = () => res.end('done');
    });
    const port = Number(lease.address.split(':')[1]);
    const inFlight = request({ port, method: 'GET', path: '/' });
    await waitFor(() => reached, 5000, 'the request to reach the handler');
    const released = lease.release(Date.now() + 5000);
    assert.equal(await connects(port), false, 'no new connections once released');
    finish();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'done');
    assert.equal(res.headers.connection, 'close');
    await released;
  });

  it('closes idle keep-alive connections on release and destroys stragglers at the deadline', async () => {
    let hanging = false;
    const lease = await acquireHttp('127.0.0.1:0', {}, (req, res) => {
      if (req.url === '/hang') return void (hanging = true); // never answers
      res.end('ok');
    });
    const port = Number(lease.address.split(':')[1]);
    const agent = new http.Agent({ keepAlive: true });
    try {
      await new Promise<void>((resolve, reject) => http.get({ port, host: '127.0.0.1', agent }, (r) => r.resume().on('end', resolve)).on('error', reject));
      const hung = new Promise<string>((resolve) => http.get({ port, host: '127.0.0.1', path: '/hang' }).on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? 'error')));
      await waitFor(() => hanging, 5000, 'the hanging request to reach the server');
      const t0 = Date.now();
      await lease.release(Date.now() + 300);
      assert.ok(Date.now() - t0 < 3000, 'release honoured its deadline');
      assert.equal(await hung, 'ECONNRESET');
    } finally {
      agent.destroy();
      await lease.release();
    }
  });

  it('names the endpoint when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await assert.rejects(acquireHttp(`127.0.0.1:${port}`, {}, answer('x')), (err: NodeJS.ErrnoException) => {
        assert.match(err.message, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*already in use`));
        assert.equal(err.code, 'EADDRINUSE');
        return true;
      });
    } finally {
      blocker.close();
    }
  });

  it('names the endpoint when the address is not local or not valid', async () => {
    await assert.rejects(acquireHttp('203.0.113.7:0', {}, answer('x')), /cannot listen on 203\.0\.113\.7:0: /);
    await assert.rejects(acquireHttp('nonsense', {}, answer('x')), /invalid endpoint "nonsense"/);
  });

  it('refuses to serve gRPC on a port that serves HTTP', async () => {
    const port = await freePort();
    const lease = await acquireHttp(`127.0.0.1:${port}`, {}, answer('x'));
    try {
      await assert.rejects(acquireGrpc(`127.0.0.1:${port}`, {}, {}), /HTTP listener already uses it/);
    } finally {
      await lease.release();
    }
  });

  describe('with TLS', () => {
    let dir: string;
    let cert: Buffer;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'listeners-tls-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      cert = fs.readFileSync(path.join(dir, 'cert.pem'));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const httpsGet = (port: number) =>
      new Promise<string>((resolve, reject) =>
        https.get({ host: '127.0.0.1', port, ca: cert, agent: false }, (r) => {
          let s = '';
          r.on('data', (d) => (s += d)).on('end', () => resolve(s));
        }).on('error', reject),
      );

    it('switches a port between plain and TLS without ever closing it', async () => {
      const port = await freePort();
      const endpoint = `127.0.0.1:${port}`;
      const plain = await acquireHttp(endpoint, {}, answer('plain'));
      const tls = await acquireHttp(endpoint, { tls: { certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') } }, answer('tls'));
      try {
        assert.equal(await httpsGet(port), 'tls');
        await tls.release();
        assert.equal((await request({ port, method: 'GET', path: '/' })).body.toString(), 'plain');
      } finally {
        await tls.release();
        await plain.release();
      }
    });

    it('serves gRPC over TLS', async () => {
      const lease = await acquireGrpc('127.0.0.1:0', { tls: { certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') } }, { metrics: grpcAnswer('secure') });
      try {
        const res = await grpcExport(lease.address, 'metrics', Buffer.alloc(0), {}, {}, grpc.credentials.createSsl(cert));
        assert.equal(res.code, grpc.status.OK, res.details);
        assert.equal(res.response?.toString(), 'secure');
        const plain = await grpcExport(lease.address, 'metrics', Buffer.alloc(0), {}, { 'grpc.initial_reconnect_backoff_ms': 50 });
        assert.equal(plain.code, grpc.status.UNAVAILABLE, 'a plaintext client gets nowhere');
      } finally {
        await lease.release();
      }
    });

    it('names the endpoint and the file when a TLS file is missing, and frees the port', async () => {
      const port = await freePort();
      await assert.rejects(
        acquireHttp(`127.0.0.1:${port}`, { tls: { certFile: path.join(dir, 'nope.pem'), keyFile: path.join(dir, 'key.pem') } }, answer('x')),
        new RegExp(`cannot serve TLS on 127\\.0\\.0\\.1:${port}: cannot read cert_file`),
      );
      await assert.rejects(acquireHttp(`127.0.0.1:${port}`, { tls: { certFile: path.join(dir, 'key.pem'), keyFile: path.join(dir, 'key.pem') } }, answer('x')), /cannot serve on 127\.0\.0\.1:\d+/);
      assert.equal(await connects(port), false);
    });
  });
});

describe('gRPC leases', () => {
  it('dispatches to the newest lease and answers UNIMPLEMENTED for a signal it has no handler for', async () => {
    const port = await freePort();
    const endpoint = `127.0.0.1:${port}`;
    const older = await acquireGrpc(endpoint, {}, { metrics: grpcAnswer('older'), logs: grpcAnswer('older logs') });
    const newer = await acquireGrpc(endpoint, {}, { metrics: grpcAnswer('newer') });
    try {
      assert.equal((await grpcExport(endpoint, 'metrics', Buffer.alloc(0))).response?.toString(), 'newer');
      const logs = await grpcExport(endpoint, 'logs', Buffer.alloc(0));
      assert.equal(logs.code, grpc.status.UNIMPLEMENTED);
      assert.match(logs.details, /does not accept logs/);
      await newer.release();
      assert.equal((await grpcExport(endpoint, 'logs', Buffer.alloc(0))).response?.toString(), 'older logs');
      await older.release();
      assert.equal(await connects(port), false);
    } finally {
      await newer.release();
      await older.release();
    }
  });

  it('applies a new message-size limit to new connections without closing the port', async () => {
    const port = await freePort();
    const endpoint = `127.0.0.1:${port}`;
    const small = await acquireGrpc(endpoint, { maxRecvMsgSizeBytes: 1024 * 1024 }, { metrics: grpcAnswer('small') });
    const large = await acquireGrpc(endpoint, { maxRecvMsgSizeBytes: 4 * 1024 * 1024 }, { metrics: grpcAnswer('large') });
    const twoMiB = Buffer.alloc(2 * 1024 * 1024, 1);
    try {
      assert.equal((await grpcExport(endpoint, 'metrics', twoMiB)).response?.toString(), 'large');
      await large.release();
      const refused = await grpcExport(endpoint, 'metrics', twoMiB);
      assert.equal(refused.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.equal((await grpcExport(endpoint, 'metrics', Buffer.alloc(10))).response?.toString(), 'small');
    } finally {
      await large.release();
      await small.release();
    }
  });

  it('lets a call in flight finish when the last lease is released', async () => {
    let finish!: () => void;
    let reached = false;
    const lease = await acquireGrpc('127.0.0.1:0', {}, {
      traces: (_call, cb) => {
        reached = true;
        finish = () => cb(null, Buffer.from('late'));
      },
    });
    const call = grpcExport(lease.address, 'traces', Buffer.alloc(0));
    await waitFor(() => reached, 5000, 'the call to reach the handler');
    const released = lease.release(Date.now() + 5000);
    assert.equal(await connects(Number(lease.address.split(':')[1])), false);
    finish();
    const res = await call;
    assert.equal(res.code, grpc.status.OK);
    assert.equal(res.response?.toString(), 'late');
    await released;
  });
});
