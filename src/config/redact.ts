/**
 * Hides secrets in the effective config before print-config shows it.
 *
 * Redacted: values whose schema says `sensitive: true`; everything under a
 * key named `headers`; values of keys that look secret (password, token,
 * api_key, ...); the password of a URL with userinfo
 * (`postgres://user:[REDACTED]@host/db`). Booleans and empty values are
 * kept (`insecure: true` is not a secret). The input is not modified.
 */
import type { ComponentKind, JsonSchema } from '../pipeline/component';
import type { Registry } from '../pipeline/registry';
import { childSchemas, hasFlag } from './validate';
import type { Segment } from './problems';

export const REDACTED = '[REDACTED]';
const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|credentials?|private[-_]?key/i;
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):([^\s/?#@]+)@/gi;

const SECTIONS: Record<string, ComponentKind> = {
  receivers: 'receiver',
  processors: 'processor',
  exporters: 'exporter',
  extensions: 'extension',
};

interface SchemaCursor {
  root: JsonSchema;
  schemas: JsonSchema[];
}

export function redactConfig(effective: Record<string, unknown>, registry?: Registry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [section, value] of Object.entries(effective)) {
    const kind = SECTIONS[section];
    if (kind && isPlainObject(value)) {
      const comps: Record<string, unknown> = {};
      for (const [id, cfg] of Object.entries(value)) {
        const factory = registry?.get(kind, id.split('/')[0]);
        const cursor = factory ? { root: factory.schema, schemas: [factory.schema] } : undefined;
        comps[id] = walk(cfg, cursor);
      }
      out[section] = comps;
    } else if (section === 'service' && isPlainObject(value)) {
      // pipeline ids and the id lists are not secrets (`traces/passthrough`)
      const svc: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        svc[k] = k === 'pipelines' || k === 'extensions' ? structuredClone(v) : redactKey(k, v, undefined);
      }
      out[section] = svc;
    } else {
      out[section] = redactKey(section, value, undefined);
    }
  }
  return out;
}

function walk(value: unknown, cursor: SchemaCursor | undefined): unknown {
  if (cursor && hasFlag(cursor.root, cursor.schemas, 'sensitive')) return hideAll(value);
  if (Array.isArray(value)) return value.map((v, i) => walk(v, child(cursor, i)));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactKey(k, v, child(cursor, k));
    return out;
  }
  if (typeof value === 'string') return redactUrls(value);
  return value;
}

function redactKey(key: string, value: unknown, cursor: SchemaCursor | undefined): unknown {
  if (key.toLowerCase() === 'headers' || SECRET_KEY.test(key)) return hideAll(value);
  return walk(value, cursor);
}

function child(cursor: SchemaCursor | undefined, seg: Segment): SchemaCursor | undefined {
  if (!cursor) return undefined;
  const schemas = cursor.schemas.flatMap((s) => childSchemas(cursor.root, s, seg));
  return schemas.length ? { root: cursor.root, schemas } : undefined;
}

/** Every non-empty, non-boolean leaf replaced; structure (and header names) kept. */
function hideAll(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hideAll);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = hideAll(v);
    return out;
  }
  if (value === null || value === undefined || value === '' || typeof value === 'boolean') return value;
  return REDACTED;
}

/** `scheme://user:password@host` → `scheme://user:[REDACTED]@host`, anywhere in the string. */
export function redactUrls(s: string): string {
  return s.replace(URL_PASSWORD, `$1:${REDACTED}@`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
