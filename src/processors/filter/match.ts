/**
 * Matchers compiled once at create time: names (exact or regular
 * expressions) and attribute conditions. Matching allocates nothing for
 * string attributes; other kinds are compared by their text form.
 */
import { anyValueToString, type AnyValue, type Attributes } from '../../model/common';
import type { AttributeCondition, MatchType } from './config';
import { nameMatcher, type StringTest } from '../internal/match';

export type StringMatcher = StringTest;

/** Any of `patterns` matches; exact comparison for strict, Go-dialect regular expressions for regexp. */
export function compileNames(patterns: readonly string[], matchType: MatchType): StringMatcher {
  return nameMatcher(patterns, matchType === 'regexp');
}

interface CompiledCondition {
  key: string;
  /** undefined: the key only has to be present. */
  value: StringMatcher | undefined;
}

export type AttributesMatcher = (attrs: Attributes) => boolean;

/** The text an attribute value is compared as: strings as they are, numbers and booleans as written (`1`, `2.5`, `true`). */
export function valueText(v: AnyValue): string {
  return v.kind === 'string' ? v.value : anyValueToString(v);
}

/** Every condition must hold: the key is present and, when a value is given, the value matches. */
export function compileConditions(conditions: readonly AttributeCondition[], matchType: MatchType): AttributesMatcher {
  const compiled: CompiledCondition[] = conditions.map((c) => {
    const v = c.value ?? c.Value;
    return { key: (c.key ?? c.Key)!, value: v === undefined ? undefined : compileNames([String(v)], matchType) };
  });
  return (attrs) => {
    for (let c = 0; c < compiled.length; c++) {
      const cond = compiled[c];
      let found: AnyValue | undefined;
      for (let i = 0; i < attrs.length; i++) {
        if (attrs[i].key === cond.key) {
          found = attrs[i].value;
          break;
        }
      }
      if (found === undefined) return false;
      if (cond.value && !cond.value(valueText(found))) return false;
    }
    return true;
  };
}

/** All of the predicates hold; undefined when there are none (no criterion at this level). */
export function allOf<T>(preds: Array<((x: T) => boolean) | undefined>): ((x: T) => boolean) | undefined {
  const list = preds.filter((p): p is (x: T) => boolean => p !== undefined);
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return (x) => {
    for (let i = 0; i < list.length; i++) if (!list[i](x)) return false;
    return true;
  };
}
