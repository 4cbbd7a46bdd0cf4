import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configToYaml, redactConfig } from './load';
import { REDACTED, redactUrls } from './redact';
import { loadFixtures, registry } from './testkit';

test('redaction: headers, secret-looking keys, URL passwords, sensitive schema values', () => {
  const r = loadFixtures(['secrets.yaml']);
  assert.deepEqual(r.problems, []);
  const effective = r.config!.effective;
  const before = structuredClone(effective);
  const red = redactConfig(effective, registry) as any;
  assert.deepEqual(effective, before, 'input not mutated');
  assert.deepEqual(red.receivers.otlp.auth, { bearer_token: REDACTED });
  assert.deepEqual(red.exporters.otlphttp, {
    endpoint: 'https://user:[REDACTED]@collector.example.com:4318/v1',
    headers: { authorization: REDACTED, 'x-team': REDACTED },
    dsn: 'postgres://app:[REDACTED]@db:5432/telemetry',
    signing_material: REDACTED,
    auth: { token: REDACTED, user: 'bob' },
    insecure_password_check: true,
    timeout: '5s',
  });
  // everything else unchanged
  assert.deepEqual(red.service, (effective as any).service);
  assert.deepEqual(red.receivers.otlp.protocols, (effective as any).receivers.otlp.protocols);
  const text = configToYaml(red);
  for (const secret of ['abc123', 'hunter2', 'Bearer xyz', 's3cret', 'abcdef', 'tok-1']) assert.ok(!text.includes(secret), secret);
});

test('without a registry, the sensitive keyword cannot be seen but the rest still applies', () => {
  const effective = loadFixtures(['secrets.yaml']).config!.effective;
  const red = redactConfig(effective) as any;
  assert.equal(red.exporters.otlphttp.signing_material, 'abcdef');
  assert.equal(red.exporters.otlphttp.auth.token, REDACTED);
});

test('secret keys at any depth, in lists, with empty and boolean values', () => {
  const input = {
    extensions: {
      'basicauth/x': { client_auth: { username: 'u', password: 'p' } },
    },
    exporters: {
      'unknown/type': { api_key: 'k', 'private-key': 'pk', credentials: { a: 'b' }, items: [{ secret: 's' }, 'http://a:b@h'] },
    },
    service: {
      telemetry: { resource: { token_issuer: 'x', passthrough: true, apiKey: '', authorization: null } },
      pipelines: { 'traces/passthrough': { receivers: ['otlp/token'], processors: [], exporters: ['debug'] } },
    },
  };
  const red = redactConfig(input, registry) as any;
  assert.deepEqual(red.extensions['basicauth/x'].client_auth, { username: 'u', password: REDACTED });
  assert.deepEqual(red.exporters['unknown/type'], {
    api_key: REDACTED, 'private-key': REDACTED, credentials: { a: REDACTED }, items: [{ secret: REDACTED }, 'http://a:[REDACTED]@h'],
  });
  assert.deepEqual(red.service.telemetry.resource, { token_issuer: REDACTED, passthrough: true, apiKey: '', authorization: null });
  assert.deepEqual(red.service.pipelines, input.service.pipelines);
  assert.notEqual(red.service.pipelines, input.service.pipelines);
  assert.equal(input.extensions['basicauth/x'].client_auth.password, 'p');
});

test('URL userinfo: only the password is replaced', () => {
  assert.equal(redactUrls('postgres://user:pw@host/db'), 'postgres://user:[REDACTED]@host/db');
  assert.equal(redactUrls('see https://u:p@a.example and amqp://x:y@b'), 'see https://u:[REDACTED]@a.example and amqp://x:[REDACTED]@b');
  assert.equal(redactUrls('https://user@host/path'), 'https://user@host/path');
  assert.equal(redactUrls('https://host:4318/v1'), 'https://host:4318/v1');
  assert.equal(redactUrls('mailto:a@b'), 'mailto:a@b');
});
