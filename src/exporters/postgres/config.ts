/**
 * The `postgres` exporter's config: where (`endpoint`, alias `dsn`), which
 * schema, and how long data is kept, plus the shared queue-and-retry keys.
 */
import type { JsonSchema } from '../../pipeline/component';
import { duration, object } from '../../config/schema';
import { helperSchemaProperties, validateHelperConfig, type HelperConfig } from '../helper';

export interface PostgresConfig extends HelperConfig {
  endpoint?: string;
  dsn?: string;
  schema: string;
  create_schema: boolean;
  pool_size: number;
  partitions_ahead: number;
  /** ms; 0 = keep everything. */
  retention: number;
  /** ms; 0 = no bound. */
  max_age: number;
}

export const postgresSchema: JsonSchema = object({
  endpoint: {
    type: 'string',
    description: 'postgres:// or postgresql:// URL of the database (a password in it is redacted by print-config); "" switches the exporter off. Usually "${env:PG_URL}".',
  },
  dsn: { type: 'string', description: 'Another name for endpoint.' },
  schema: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$', default: 'public', description: 'Schema holding the tables (a plain identifier); created if missing when create_schema is true.' },
  create_schema: { type: 'boolean', default: true, description: 'Create and migrate the tables on the first connection; false: only check that they are at this build\'s version.' },
  pool_size: { type: 'integer', minimum: 1, maximum: 100, default: 4, description: 'Connections to PostgreSQL at most.' },
  partitions_ahead: { type: 'integer', minimum: 0, maximum: 31, default: 2, description: 'Daily partitions created ahead of today; rows further in the future are dropped (too_new).' },
  retention: duration('0', 'Drop daily partitions older than this ("30d"); 0 keeps everything.'),
  max_age: duration('30d', 'Rows older than this are dropped (too_old) instead of creating a partition for their day; 0 = no bound.'),
  ...helperSchemaProperties({ timeout: '10s' }),
});

/** The URL to connect to: `endpoint`, else `dsn`. */
export function effectiveUrl(config: PostgresConfig): string | undefined {
  return config.endpoint ?? config.dsn;
}

/** What the schema cannot check; paths relative to the exporter's config. */
export function validatePostgresConfig(config: PostgresConfig): Array<{ path: string; message: string }> {
  const problems = validateHelperConfig(config);
  if (config.endpoint !== undefined && config.dsn !== undefined && config.endpoint !== config.dsn) {
    problems.push({ path: 'dsn', message: 'is another name for endpoint: set one of them' });
  }
  const url = effectiveUrl(config);
  const key = config.endpoint !== undefined ? 'endpoint' : 'dsn';
  if (url === undefined) {
    problems.push({ path: 'endpoint', message: 'is required: a postgres:// URL (e.g. "${env:PG_URL}"), or "" to switch the exporter off' });
  } else if (url !== '') {
    const problem = urlProblem(url);
    if (problem) problems.push({ path: key, message: problem });
  }
  return problems;
}

/** Why `url` is not a usable PostgreSQL URL (never echoing it: it may hold a password). */
export function urlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'must be a URL like postgres://user:password@host:5432/database';
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return `must start with postgres:// or postgresql:// (got ${u.protocol}//)`;
  if (u.hostname === '' && !u.searchParams.has('host')) return 'names no host: postgres://user:password@host:5432/database';
  return undefined;
}
