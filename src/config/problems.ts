/**
 * The one problem type every config stage reports, plus the helpers they
 * share: key paths, formatting, sorting and "did you mean" hints.
 */

/** Something wrong (or, as a warning, suspicious) at one place in one config file. */
export interface ConfigProblem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Key path: keys joined by ".", list indexes as "[n]", component ids kept whole. */
  path: string;
  message: string;
  hint?: string;
}

/** A place in a source file. */
export interface Loc {
  file: string;
  line: number;
  column: number;
}

/** One step of a key path: a map key or a list index. */
export type Segment = string | number;

/** `processors.batch/fast.timeout`, `service.pipelines.metrics.receivers[1]`. */
export function formatPath(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? s : `.${s}`;
  }
  return out;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.path ? `${p.path}: ` : '';
  return `${p.file}:${p.line}:${p.column}: ${where}${p.message}` + (p.hint ? ` (${p.hint})` : '');
}

export function problemAt(loc: Loc, path: readonly Segment[] | string, message: string, hint?: string): ConfigProblem {
  const p: ConfigProblem = {
    file: loc.file,
    line: loc.line,
    column: loc.column,
    path: typeof path === 'string' ? path : formatPath(path),
    message,
  };
  if (hint) p.hint = hint;
  return p;
}

/**
 * Sorts by file (in the order the files were given; unknown files last, by
 * name), then line, then column; drops exact duplicates.
 */
export function sortProblems(problems: readonly ConfigProblem[], fileOrder: readonly string[] = []): ConfigProblem[] {
  const rank = (f: string) => {
    const i = fileOrder.indexOf(f);
    return i < 0 ? fileOrder.length : i;
  };
  const seen = new Set<string>();
  const unique: ConfigProblem[] = [];
  for (const p of problems) {
    const key = formatProblem(p);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(p);
  }
  return unique.sort(
    (a, b) =>
      rank(a.file) - rank(b.file) ||
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column,
  );
}

/** Levenshtein distance (case-insensitive). */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The closest candidate: edit distance ≤ 2, or one is a prefix of the other
 * (at least two characters). Undefined when nothing is close.
 */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    if (c === input) continue;
    const cl = c.toLowerCase();
    let score = editDistance(lower, cl);
    if (score > 2) {
      const prefix = lower.length >= 2 && (cl.startsWith(lower) || lower.startsWith(cl));
      if (!prefix) continue;
      score = 3 + Math.abs(cl.length - lower.length) / 100;
    }
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/** `did you mean "batch"?`, or undefined. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const c = closest(input, candidates);
  return c === undefined ? undefined : `did you mean ${JSON.stringify(c)}?`;
}
