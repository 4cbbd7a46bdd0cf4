/**
 * The PostgreSQL schema, as versioned migrations. A migration is applied
 * once, in order, inside the transaction that records it in
 * `otel_schema_migrations`; released versions are never edited, only
 * followed by new ones. `$S` stands for the quoted target schema.
 */

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Tables written by the exporter, by signal, and the column holding each row's day. */
export const TABLES = {
  metrics: { table: 'otel_metrics', timeColumn: 'time' },
  logs: { table: 'otel_logs', timeColumn: 'time' },
  traces: { table: 'otel_spans', timeColumn: 'start_time' },
} as const;

/** Columns of each table in the order the writer's COPY sends them. */
export const COLUMNS = {
  otel_metrics: [
    'time', 'start_time', 'metric_name', 'metric_type', 'unit', 'description', 'temporality', 'is_monotonic',
    'value', 'count', 'sum', 'min', 'max', 'bounds', 'bucket_counts', 'exp_histogram', 'quantiles', 'flags', 'exemplars',
    'attributes', 'resource', 'scope_name', 'scope_version', 'service_name', 'batch_id', 'seq',
  ],
  otel_logs: [
    'time', 'observed_time', 'severity_number', 'severity_text', 'body', 'event_name', 'attributes', 'resource',
    'scope_name', 'scope_version', 'service_name', 'trace_id', 'span_id', 'flags', 'batch_id', 'seq',
  ],
  otel_spans: [
    'start_time', 'end_time', 'duration_ms', 'trace_id', 'span_id', 'parent_span_id', 'trace_state', 'name', 'kind',
    'status_code', 'status_message', 'attributes', 'events', 'links', 'resource', 'scope_name', 'scope_version',
    'service_name', 'flags', 'batch_id', 'seq',
  ],
} as const;

// A number inside a string attribute ("372", " 0.0123 ", "1e-3"); anything
// else (empty, "n/a", "12abc") reads as NULL rather than failing the query.
const NUMBER_RE = String.raw`'^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$'`;

const V1 = `
CREATE TABLE $S.otel_batches (
  batch_id   uuid PRIMARY KEY,
  signal     text NOT NULL,
  items      integer NOT NULL,
  exporter   text NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX otel_batches_written_at ON $S.otel_batches (written_at);
COMMENT ON TABLE $S.otel_batches IS 'One row per batch written, in the same transaction as its rows: a retried batch whose id is here was already committed and is not written again.';

CREATE TABLE $S.otel_metrics (
  time          timestamptz NOT NULL,
  start_time    timestamptz,
  metric_name   text NOT NULL,
  metric_type   text NOT NULL,
  unit          text NOT NULL DEFAULT '',
  description   text NOT NULL DEFAULT '',
  temporality   text,
  is_monotonic  boolean,
  value         double precision,
  count         bigint,
  sum           double precision,
  min           double precision,
  max           double precision,
  bounds        double precision[],
  bucket_counts bigint[],
  exp_histogram jsonb,
  quantiles     jsonb,
  flags         integer NOT NULL DEFAULT 0,
  exemplars     jsonb,
  attributes    jsonb NOT NULL DEFAULT '{}',
  resource      jsonb NOT NULL DEFAULT '{}',
  scope_name    text NOT NULL DEFAULT '',
  scope_version text NOT NULL DEFAULT '',
  service_name  text NOT NULL DEFAULT '',
  batch_id      uuid NOT NULL,
  seq           integer NOT NULL
) PARTITION BY RANGE (time);
CREATE INDEX otel_metrics_name_time ON $S.otel_metrics (metric_name, time);
CREATE INDEX otel_metrics_batch ON $S.otel_metrics (batch_id);
COMMENT ON TABLE $S.otel_metrics IS 'One row per data point; partitioned by day of time. metric_type: gauge, sum, histogram, exponential_histogram or summary. (batch_id, seq) is unique.';

CREATE TABLE $S.otel_logs (
  time            timestamptz NOT NULL,
  observed_time   timestamptz,
  severity_number smallint NOT NULL DEFAULT 0,
  severity_text   text NOT NULL DEFAULT '',
  body            jsonb,
  event_name      text,
  attributes      jsonb NOT NULL DEFAULT '{}',
  resource        jsonb NOT NULL DEFAULT '{}',
  scope_name      text NOT NULL DEFAULT '',
  scope_version   text NOT NULL DEFAULT '',
  service_name    text NOT NULL DEFAULT '',
  trace_id        text,
  span_id         text,
  flags           integer NOT NULL DEFAULT 0,
  batch_id        uuid NOT NULL,
  seq             integer NOT NULL
) PARTITION BY RANGE (time);
CREATE INDEX otel_logs_event_time ON $S.otel_logs (event_name, time);
CREATE INDEX otel_logs_batch ON $S.otel_logs (batch_id);
COMMENT ON TABLE $S.otel_logs IS 'One row per log record (Claude Code events among them); partitioned by day of time (the record time, else its observed time). (batch_id, seq) is unique.';

CREATE TABLE $S.otel_spans (
  start_time     timestamptz NOT NULL,
  end_time       timestamptz,
  duration_ms    double precision,
  trace_id       text NOT NULL,
  span_id        text NOT NULL,
  parent_span_id text,
  trace_state    text NOT NULL DEFAULT '',
  name           text NOT NULL,
  kind           text NOT NULL,
  status_code    text NOT NULL,
  status_message text NOT NULL DEFAULT '',
  attributes     jsonb NOT NULL DEFAULT '{}',
  events         jsonb NOT NULL DEFAULT '[]',
  links          jsonb NOT NULL DEFAULT '[]',
  resource       jsonb NOT NULL DEFAULT '{}',
  scope_name     text NOT NULL DEFAULT '',
  scope_version  text NOT NULL DEFAULT '',
  service_name   text NOT NULL DEFAULT '',
  flags          integer NOT NULL DEFAULT 0,
  batch_id       uuid NOT NULL,
  seq            integer NOT NULL
) PARTITION BY RANGE (start_time);
CREATE INDEX otel_spans_trace ON $S.otel_spans (trace_id);
CREATE INDEX otel_spans_service_time ON $S.otel_spans (service_name, start_time);
CREATE INDEX otel_spans_batch ON $S.otel_spans (batch_id);
COMMENT ON TABLE $S.otel_spans IS 'One row per span; partitioned by day of start_time. (batch_id, seq) is unique.';

-- Claude Code sends event attributes as strings in older versions and as
-- numbers in newer ones: read both, and NULL for anything not a number.
CREATE FUNCTION $S.otel_num(v text) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN v ~ ${NUMBER_RE} THEN v::double precision END $$;
CREATE FUNCTION $S.otel_int(v text) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN abs(n) < 9.2e18 THEN round(n)::bigint END FROM (SELECT $S.otel_num(v) AS n) x $$;
CREATE FUNCTION $S.otel_bool(v text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE lower(btrim(v)) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'false' THEN false WHEN '0' THEN false END $$;

-- Claude Code events, whichever of its three names arrived: the record's
-- event_name, the event.name attribute (unprefixed) or the body (prefixed).
CREATE VIEW $S.claude_code_events AS
SELECT l.*,
       CASE WHEN l.event_name LIKE 'claude\\_code.%' THEN substr(l.event_name, 13)
            WHEN l.event_name <> '' THEN l.event_name
            WHEN (l.body #>> '{}') LIKE 'claude\\_code.%' THEN substr(l.body #>> '{}', 13)
       END AS event,
       l.attributes->>'session.id'        AS session_id,
       l.attributes->>'user.id'           AS user_id,
       l.attributes->>'user.email'        AS user_email,
       l.attributes->>'user.account_uuid' AS user_account_uuid,
       l.attributes->>'organization.id'   AS organization_id,
       l.attributes->>'model'             AS model
  FROM $S.otel_logs l
 WHERE l.event_name LIKE 'claude\\_code.%'
    OR l.scope_name = 'com.anthropic.claude_code.events'
    OR (l.body #>> '{}') LIKE 'claude\\_code.%';

CREATE VIEW $S.claude_code_api_requests AS
SELECT time, session_id, user_id, user_email, user_account_uuid, organization_id, model,
       coalesce($S.otel_num(attributes->>'cost_usd'), $S.otel_num(attributes->>'cost_usd_micros') / 1e6) AS cost_usd,
       $S.otel_int(attributes->>'input_tokens')          AS input_tokens,
       $S.otel_int(attributes->>'output_tokens')         AS output_tokens,
       $S.otel_int(attributes->>'cache_read_tokens')     AS cache_read_tokens,
       $S.otel_int(attributes->>'cache_creation_tokens') AS cache_creation_tokens,
       $S.otel_num(attributes->>'duration_ms')           AS duration_ms,
       attributes->>'request_id'        AS request_id,
       service_name
  FROM $S.claude_code_events
 WHERE event = 'api_request';

CREATE VIEW $S.claude_code_api_errors AS
SELECT time, session_id, user_id, user_email, model,
       attributes->>'error'       AS error,
       attributes->>'status_code' AS status_code,
       $S.otel_num(attributes->>'duration_ms')   AS duration_ms,
       $S.otel_int(attributes->>'attempt')::int AS attempt,
       service_name
  FROM $S.claude_code_events
 WHERE event = 'api_error';

CREATE VIEW $S.claude_code_tool_results AS
SELECT time, session_id, user_id, user_email,
       attributes->>'tool_name'       AS tool_name,
       $S.otel_bool(attributes->>'success')    AS success,
       $S.otel_num(attributes->>'duration_ms') AS duration_ms,
       attributes->>'error'           AS error,
       attributes->>'decision_type'   AS decision_type,
       attributes->>'decision_source' AS decision_source,
       service_name
  FROM $S.claude_code_events
 WHERE event = 'tool_result';

CREATE VIEW $S.claude_code_daily_usage AS
SELECT (time AT TIME ZONE 'UTC')::date     AS day,
       user_id,
       user_email,
       model,
       count(*)                            AS requests,
       sum(cost_usd)                       AS cost_usd,
       sum(input_tokens)::bigint           AS input_tokens,
       sum(output_tokens)::bigint          AS output_tokens,
       sum(cache_read_tokens)::bigint      AS cache_read_tokens,
       sum(cache_creation_tokens)::bigint  AS cache_creation_tokens
  FROM $S.claude_code_api_requests
 GROUP BY 1, 2, 3, 4;
`;

export const MIGRATIONS: readonly Migration[] = [{ version: 1, name: 'tables for metrics, logs and spans; Claude Code views', sql: V1 }];

/** `"name"` with embedded quotes doubled: an identifier, never a string built into SQL from data. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The migration's SQL for a schema. */
export function migrationSql(m: Migration, schema: string): string {
  return m.sql.replace(/\$S\./g, `${quoteIdent(schema)}.`);
}
