/**
 * The attribute actions shared by the `attributes` processor (on data point,
 * log record and span attributes) and the `resource` processor (on resource
 * attributes), with the Go collector's action list and keys.
 *
 * Config is checked twice: the JSON Schema (shapes, enums) and
 * `validateActions` (which keys each action needs, regexes), so every problem
 * is reported at load with the action's index. `AttributeActions` compiles
 * the list once; `apply` runs it on one attribute list in place.
 */
import type { RequestContext } from '../../model/batch';
import type { AnyValue, Attributes } from '../../model/common';
import type { JsonSchema } from '../../pipeline/component';
import { captureGroups, compileRegex } from './regex';
import { configValue, contextValue, convertValue, Hasher, parseContextSource, type ContextSource, type ConvertTarget } from './values';

export const ACTION_NAMES = ['insert', 'update', 'upsert', 'delete', 'hash', 'extract', 'convert'] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** One action as written in the config (keys as in the Go collector). */
export interface ActionConfig {
  action: ActionName | Uppercase<ActionName>;
  key?: string;
  pattern?: string;
  value?: unknown;
  from_attribute?: string;
  from_context?: string;
  default_value?: unknown;
  converted_type?: ConvertTarget;
}

const nonEmpty = { type: 'string', minLength: 1 };

/** JSON Schema of an action list (defaults to an empty list). */
export function actionsSchema(description: string): JsonSchema {
  return {
    type: 'array',
    default: [],
    description,
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['action'],
      properties: {
        action: { enum: [...ACTION_NAMES, ...ACTION_NAMES.map((a) => a.toUpperCase())], description: 'What to do.' },
        key: { ...nonEmpty, description: 'The attribute acted on (for extract: read from).' },
        pattern: { ...nonEmpty, description: 'delete/hash: a regex over keys; extract: a regex with named groups over the value.' },
        value: { description: 'insert/update/upsert: the value (its YAML type is kept: string, int, double, bool, list, map).' },
        from_attribute: { ...nonEmpty, description: 'insert/update/upsert: copy the value of this attribute of the same item.' },
        from_context: { ...nonEmpty, description: 'insert/update/upsert: a request header (metadata) key, or client.address.' },
        default_value: { description: 'insert/update/upsert: used when from_attribute/from_context finds nothing.' },
        converted_type: { enum: ['int', 'double', 'string'], description: 'convert: the target type.' },
      },
    },
  };
}

const VALUE_ACTIONS = new Set<string>(['insert', 'update', 'upsert']);

/** Every problem with an action list; paths like `actions[2].pattern` under `field`. */
export function validateActions(list: readonly ActionConfig[], field: string): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  list.forEach((a, i) => {
    const at = (k?: string) => (k ? `${field}[${i}].${k}` : `${field}[${i}]`);
    const problem = (k: string | undefined, message: string) => out.push({ path: at(k), message });
    const action = a.action.toLowerCase() as ActionName;
    const sources = (['value', 'from_attribute', 'from_context'] as const).filter((k) => a[k] !== undefined && a[k] !== null);
    const unused = (keys: readonly (keyof ActionConfig)[]) => {
      for (const k of keys) if (a[k] !== undefined && a[k] !== null) problem(k, `is not used by the ${action} action; remove it`);
    };
    if (VALUE_ACTIONS.has(action)) {
      if (!a.key) problem('key', `the ${action} action needs a key`);
      if (sources.length !== 1) {
        problem(undefined, sources.length === 0
          ? `the ${action} action needs one of value, from_attribute or from_context`
          : `the ${action} action takes exactly one of value, from_attribute or from_context, not ${sources.join(' and ')}`);
      }
      if (a.value !== undefined && a.value !== null && !configValue(a.value)) problem('value', 'must be a string, number, boolean, list or map');
      if (a.default_value !== undefined && a.value !== undefined && a.value !== null) problem('default_value', 'is only used with from_attribute or from_context');
      if (a.default_value !== undefined && !configValue(a.default_value)) problem('default_value', 'must be a string, number, boolean, list or map');
      if (a.from_context) {
        const src = parseContextSource(a.from_context);
        if (src instanceof Error) problem('from_context', src.message);
      }
      unused(['pattern', 'converted_type']);
    } else if (action === 'delete' || action === 'hash') {
      if (!!a.key === !!a.pattern) problem(undefined, `the ${action} action takes exactly one of key or pattern`);
      if (a.pattern) {
        const re = compileRegex(a.pattern);
        if (re instanceof Error) problem('pattern', re.message);
      }
      unused(['value', 'from_attribute', 'from_context', 'default_value', 'converted_type']);
    } else if (action === 'extract') {
      if (!a.key) problem('key', 'the extract action needs the key whose value is matched');
      if (!a.pattern) problem('pattern', 'the extract action needs a pattern with named groups, e.g. "^(?<scheme>[a-z]+)://"');
      else {
        const re = compileRegex(a.pattern);
        if (re instanceof Error) problem('pattern', re.message);
        else {
          const g = captureGroups(re);
          if (g.names.length === 0) problem('pattern', 'has no named groups: name each part to extract, as in (?<name>...)');
          else if (g.unnamed > 0) problem('pattern', 'has unnamed groups: name every group, or make it non-capturing with (?:...)');
        }
      }
      unused(['value', 'from_attribute', 'from_context', 'default_value', 'converted_type']);
    } else if (action === 'convert') {
      if (!a.key) problem('key', 'the convert action needs a key');
      if (!a.converted_type) problem('converted_type', 'the convert action needs converted_type: int, double or string');
      unused(['value', 'from_attribute', 'from_context', 'default_value', 'pattern']);
    }
  });
  return out;
}

/** A compiled action; `kind` chosen once so `apply` is a switch, not string work. */
type Compiled =
  | { kind: 'set'; key: string; insert: boolean; update: boolean; value: AnyValue | undefined; from: string | undefined; ctx: ContextSource | undefined; fallback: AnyValue | undefined }
  | { kind: 'delete'; key: string | undefined; re: RegExp | undefined }
  | { kind: 'hash'; key: string | undefined; re: RegExp | undefined }
  | { kind: 'extract'; key: string; re: RegExp; names: string[] }
  | { kind: 'convert'; key: string; to: ConvertTarget };

function indexOf(attrs: Attributes, key: string): number {
  for (let i = 0; i < attrs.length; i++) if (attrs[i].key === key) return i;
  return -1;
}

/** A validated action list, compiled once (regexes, constant values), applied per item. */
export class AttributeActions {
  private readonly actions: Compiled[];
  private readonly hasher = new Hasher();

  /** `list` must have passed `validateActions`; throws otherwise. */
  constructor(list: readonly ActionConfig[]) {
    this.actions = list.map((a) => compile(a));
  }

  get size(): number {
    return this.actions.length;
  }

  /**
   * Runs every action, in order, on `attrs` (changed in place). `ctx` is the
   * request context for `from_context`. Returns whether anything changed.
   */
  apply(attrs: Attributes, ctx: RequestContext | undefined): boolean {
    let changed = false;
    for (const a of this.actions) {
      switch (a.kind) {
        case 'set': {
          let v = a.value;
          if (v === undefined) {
            if (a.from !== undefined) {
              const j = indexOf(attrs, a.from);
              v = j >= 0 ? attrs[j].value : a.fallback;
            } else v = contextValue(ctx, a.ctx!) ?? a.fallback;
            if (v === undefined) break;
          }
          const i = indexOf(attrs, a.key);
          if (i >= 0) {
            if (a.update) {
              attrs[i].value = v;
              changed = true;
            }
          } else if (a.insert) {
            attrs.push({ key: a.key, value: v });
            changed = true;
          }
          break;
        }
        case 'delete':
          for (let i = attrs.length - 1; i >= 0; i--) {
            const k = attrs[i].key;
            if (k === a.key || (a.re !== undefined && a.re.test(k))) {
              attrs.splice(i, 1);
              changed = true;
            }
          }
          break;
        case 'hash':
          for (const kv of attrs) {
            if (kv.key === a.key || (a.re !== undefined && a.re.test(kv.key))) {
              kv.value = this.hasher.hash(kv.value);
              changed = true;
            }
          }
          break;
        case 'extract': {
          const i = indexOf(attrs, a.key);
          if (i < 0) break;
          const v = attrs[i].value;
          if (v.kind !== 'string') break;
          const m = a.re.exec(v.value);
          if (!m || !m.groups) break;
          for (const name of a.names) {
            const value: AnyValue = { kind: 'string', value: m.groups[name] ?? '' };
            const j = indexOf(attrs, name);
            if (j >= 0) attrs[j].value = value;
            else attrs.push({ key: name, value });
          }
          changed = true;
          break;
        }
        case 'convert': {
          const i = indexOf(attrs, a.key);
          if (i < 0) break;
          const before = attrs[i].value;
          const after = convertValue(before, a.to);
          if (after !== before) {
            attrs[i].value = after;
            changed = true;
          }
          break;
        }
      }
    }
    return changed;
  }
}

function regex(pattern: string): RegExp {
  const re = compileRegex(pattern);
  if (re instanceof Error) throw re;
  return re;
}

function compile(a: ActionConfig): Compiled {
  const action = a.action.toLowerCase() as ActionName;
  switch (action) {
    case 'insert':
    case 'update':
    case 'upsert': {
      const ctx = a.from_context === undefined ? undefined : parseContextSource(a.from_context);
      if (ctx instanceof Error) throw ctx;
      return {
        kind: 'set',
        key: a.key!,
        insert: action !== 'update',
        update: action !== 'insert',
        value: a.value === undefined || a.value === null ? undefined : configValue(a.value),
        from: a.from_attribute,
        ctx,
        fallback: a.default_value === undefined ? undefined : configValue(a.default_value),
      };
    }
    case 'delete':
    case 'hash':
      return { kind: action, key: a.key, re: a.pattern ? regex(a.pattern) : undefined };
    case 'extract': {
      const re = regex(a.pattern!);
      return { kind: 'extract', key: a.key!, re, names: captureGroups(re).names };
    }
    case 'convert':
      return { kind: 'convert', key: a.key!, to: a.converted_type! };
  }
}
