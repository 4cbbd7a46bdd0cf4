/**
 * A flat copy of a string built by concatenation. V8 keeps such strings as
 * trees of pieces (about 1 KiB for a typical label set, against ~200 bytes
 * flat); a key kept for a series' whole life should be flat. The JSON round
 * trip is exact for every string, lone surrogates included.
 */
export function flatString(s: string): string {
  return s === '' ? s : JSON.parse(JSON.stringify(s));
}
