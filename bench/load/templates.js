'use strict';
/*
 * Request bodies for the load generators, encoded once with the project's
 * own OTLP codec. Every timestamp in a template is a marker value; the byte
 * offsets of the markers (fixed64 fields, so patching never changes a
 * body's length or structure) are found once, and `stamp` writes the current
 * time into them before each send: a few 8-byte copies per point instead of
 * encoding a request per send, so the generator stays light.
 */
const codec = require('../../dist/src/otlp/proto');

// Two distinct nanosecond markers: "now" (time_unix_nano, observed_time_unix_nano)
// and "start" (start_time_unix_nano).
const NOW_MARK = { ms: 1_234_567_891_123, ns: 456_789 };
const START_MARK = { ms: 1_234_567_890_123, ns: 654_321 };

const s = (value) => ({ kind: 'string', value });
const kv = (key, value) => ({ key, value: typeof value === 'string' ? s(value) : value });

function resource(attrs) {
  return { attributes: attrs, droppedAttributesCount: 0, entityRefs: [] };
}

function scope(name, version) {
  return { name, version, attributes: [], droppedAttributesCount: 0 };
}

function point(attributes, valueType, value) {
  return {
    attributes,
    startTimeMs: START_MARK.ms, startTimeNs: START_MARK.ns,
    timeMs: NOW_MARK.ms, timeNs: NOW_MARK.ns,
    flags: 0, valueType, value, exemplars: [],
  };
}

function markerBytes(mark) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(mark.ms) * 1_000_000n + BigInt(mark.ns));
  return b;
}

function offsetsOf(buf, needle) {
  const out = [];
  for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + 8)) out.push(i);
  return out;
}

/** A template: the bytes plus where its timestamps sit. `expect*` guard against a marker matching by chance. */
function template(bytes, items, expectNow, expectStart) {
  const buf = Buffer.from(bytes); // copy: the codec's writer reuses its buffer
  const now = offsetsOf(buf, markerBytes(NOW_MARK));
  const start = offsetsOf(buf, markerBytes(START_MARK));
  if (now.length !== expectNow || start.length !== expectStart) {
    throw new Error(`template timestamps: found ${now.length}/${start.length} markers, expected ${expectNow}/${expectStart}`);
  }
  return { buf, items, now: Uint32Array.from(now), start: Uint32Array.from(start) };
}

/**
 * Shaped like the Go collector testbed's perf data provider: gauges with
 * int values whose points carry `item_index` and `batch_index` attributes,
 * under one resource with a few string attributes. We add monotonic
 * cumulative double sums beside the gauges (every other metric) so both
 * number-point kinds go through the daemon: 10 metrics × 10 points = 100
 * points per request, `batch_index` cycling over `variants` templates.
 */
function testbedMetrics(variants = 16) {
  const out = [];
  for (let v = 0; v < variants; v++) {
    const metrics = [];
    for (let m = 0; m < 10; m++) {
      const gauge = m % 2 === 0;
      const points = [];
      for (let p = 0; p < 10; p++) {
        const attrs = [kv('item_index', `item_${p}`), kv('batch_index', `batch_${v}`), kv('load_generator', 'bench')];
        points.push(gauge ? point(attrs, 'int', 1000 + v * 10 + p) : point(attrs, 'double', 12.5 * (v + 1) + p));
      }
      metrics.push({
        name: `load_generator_${m}`,
        description: `Load Generator Counter #${m}`,
        unit: '1',
        metadata: [],
        data: gauge ? { type: 'gauge', dataPoints: points } : { type: 'sum', temporality: 2, isMonotonic: true, dataPoints: points },
      });
    }
    const bytes = codec.encodeMetricsRequest([
      {
        resource: resource([kv('service.name', 'bench-load-generator'), kv('host.name', 'bench-host'), kv('deployment.environment', 'bench')]),
        scopeMetrics: [{ scope: scope('bench', '1.0.0'), metrics, schemaUrl: '' }],
        schemaUrl: '',
      },
    ]);
    out.push(template(bytes, 100, 100, 100));
  }
  return out;
}

/**
 * For the max-rate scenarios: 1,000 points per request over a bounded set
 * of 1,000 series (10 metrics × 100 label sets), every point a monotonic
 * *delta* sum of 1. The prometheus exporter adds every delta into its
 * series, so the sum of the exported `bench_max_*_total` values is exactly
 * the number of points the exporter took in: the receive-side count.
 */
function maxRateMetrics() {
  const metrics = [];
  for (let m = 0; m < 10; m++) {
    const points = [];
    for (let p = 0; p < 100; p++) {
      points.push(point([kv('series', `s${p}`), kv('model', p % 2 ? 'claude-sonnet-4-5' : 'claude-opus-4-1'), kv('type', 'input')], 'double', 1));
    }
    metrics.push({ name: `bench.max.m${m}`, description: 'bench max-rate counter', unit: '', metadata: [], data: { type: 'sum', temporality: 1, isMonotonic: true, dataPoints: points } });
  }
  const bytes = codec.encodeMetricsRequest([
    {
      resource: resource([kv('service.name', 'bench-max'), kv('service.instance.id', 'bench-1')]),
      scopeMetrics: [{ scope: scope('bench', '1.0.0'), metrics, schemaUrl: '' }],
      schemaUrl: '',
    },
  ]);
  // Identical copies, so that restamping one never touches a body that may
  // still sit in a socket's write queue (over HTTP the bytes are not copied).
  return Array.from({ length: 8 }, () => template(bytes, 1000, 1000, 1000));
}

/**
 * Claude Code `api_request` events as older Claude Code versions send them:
 * body `claude_code.api_request`, every event attribute a string, the
 * standard attributes (session, user, organization, terminal, app version)
 * on each record and the Claude Code resource. 100 records per request.
 */
function claudeCodeEvents(variants = 8) {
  const out = [];
  const models = ['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'claude-haiku-4-5-20251001'];
  for (let v = 0; v < variants; v++) {
    const records = [];
    for (let i = 0; i < 100; i++) {
      const n = v * 100 + i;
      const input = 300 + (n % 700);
      const output = 50 + (n % 400);
      const cost = (input * 3 + output * 15) / 1e6;
      records.push({
        timeMs: NOW_MARK.ms, timeNs: NOW_MARK.ns,
        observedTimeMs: NOW_MARK.ms, observedTimeNs: NOW_MARK.ns,
        severityNumber: 9, severityText: '',
        body: s('claude_code.api_request'),
        attributes: [
          kv('user.id', 'a3f1c9e2b7d84f60a1e5c2d9b8f7e6a5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9'),
          kv('session.id', `5b0d7c2e-8f3a-4e1b-9c6d-${String(1000000000000 + (n % 50)).slice(1)}`),
          kv('organization.id', '0c8b1f7e-2d4a-4b9c-8e3f-6a5d4c3b2a19'),
          kv('user.account_uuid', '7e6d5c4b-3a29-4f18-8e07-d6c5b4a39281'),
          kv('user.email', 'dev@example.com'),
          kv('terminal.type', 'vscode'),
          kv('app.version', '2.0.37'),
          kv('event.name', 'api_request'),
          kv('event.timestamp', new Date(Date.UTC(2026, 10, 23, 2, 0, 0, n)).toISOString()),
          kv('event.sequence', String(n)),
          kv('prompt.id', `prompt-${Math.floor(n / 10)}`),
          kv('model', models[n % models.length]),
          kv('cost_usd', cost.toFixed(6)),
          kv('duration_ms', String(800 + (n % 5000))),
          kv('input_tokens', String(input)),
          kv('output_tokens', String(output)),
          kv('cache_read_tokens', String(n % 20000)),
          kv('cache_creation_tokens', String(n % 3000)),
          kv('request_id', `req_011CV${String(n).padStart(12, '0')}`),
        ],
        droppedAttributesCount: 0, flags: 0,
        traceId: new Uint8Array(0), spanId: new Uint8Array(0), eventName: '',
      });
    }
    const bytes = codec.encodeLogsRequest([
      {
        resource: resource([kv('service.name', 'claude-code'), kv('service.version', '2.0.37'), kv('os.type', 'linux'), kv('os.version', '6.8.0'), kv('host.arch', 'amd64')]),
        scopeLogs: [{ scope: scope('com.anthropic.claude_code.events', '2.0.37'), logRecords: records, schemaUrl: '' }],
        schemaUrl: '',
      },
    ]);
    out.push(template(bytes, 100, 200, 0));
  }
  return out;
}

const KINDS = {
  testbed: { signal: 'metrics', build: testbedMetrics, delta: false },
  max: { signal: 'metrics', build: maxRateMetrics, delta: true },
  'claude-code-events': { signal: 'logs', build: claudeCodeEvents, delta: false },
};

/**
 * Writes `nowNs` into every "now" field of `t` and `startNs` into every
 * start field; both are 8-byte little-endian buffers.
 */
function stamp(t, nowNs, startNs) {
  const buf = t.buf;
  for (let i = 0; i < t.now.length; i++) nowNs.copy(buf, t.now[i]);
  for (let i = 0; i < t.start.length; i++) startNs.copy(buf, t.start[i]);
}

module.exports = { KINDS, stamp };
