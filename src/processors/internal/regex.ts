/**
 * Regular expressions written for the Go collector (RE2 syntax) compiled as
 * JavaScript ones, once, at create time.
 *
 * The two dialects agree on almost everything a config uses. Two Go spellings
 * are rewritten so a Go config works unchanged: named groups `(?P<name>...)`
 * become `(?<name>...)`, and leading inline flags `(?i)`, `(?s)`, `(?m)`
 * (or combined, `(?is)`) become the RegExp's flags. Like Go's `MatchString`,
 * a pattern is not anchored: `^`/`$` must be written to match the whole text.
 */

const LEADING_FLAGS = /^\(\?([a-zA-Z]+)\)/;

/** The compiled pattern, or an Error whose message says what is wrong with it. */
export function compileRegex(pattern: string): RegExp | Error {
  let source = pattern.replace(/\(\?P</g, '(?<');
  let flags = '';
  const m = LEADING_FLAGS.exec(source);
  if (m) {
    const other = [...m[1]].find((f) => !'ims'.includes(f));
    if (other) return new Error(`is not a valid regular expression: inline flag "${other}" in "${m[0]}" is not supported (only i, m, s)`);
    flags = [...new Set(m[1])].join('');
    source = source.slice(m[0].length);
  }
  try {
    return new RegExp(source, flags);
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e);
    return new Error(`is not a valid regular expression: ${why}`);
  }
}

/** The names of the pattern's named groups (in order), and how many groups have no name. */
export function captureGroups(re: RegExp): { names: string[]; unnamed: number } {
  // An empty alternative always matches, and its match array has one slot
  // per group whatever the pattern is; `groups` has one key per named group.
  const probe = new RegExp(`${re.source}|`, re.flags).exec('')!;
  const names = probe.groups ? Object.keys(probe.groups) : [];
  return { names, unnamed: probe.length - 1 - names.length };
}
