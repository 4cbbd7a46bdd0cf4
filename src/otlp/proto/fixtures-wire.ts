/**
 * A deliberately naive protobuf wire builder for tests (BigInt-based, no
 * shared code with the codec), for hand-crafting valid, odd and broken input.
 */

export type Bytes = Uint8Array | number[];

export function cat(...parts: Bytes[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) out.push(...p);
  return Uint8Array.from(out);
}

/** A varint of any uint64 (negative int64s as their two's complement). */
export function varint(v: number | bigint): number[] {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

export const tag = (field: number, wt: number): number[] => varint((field << 3) | wt);

export function fixed64(v: number | bigint): number[] {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  for (let i = 0; i < 8; i++, n >>= 8n) out.push(Number(n & 0xffn));
  return out;
}

export function fixed32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

export function double(v: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [...b];
}

/** A field of wire type 0. */
export const fVarint = (field: number, v: number | bigint): number[] => [...tag(field, 0), ...varint(v)];
/** A field of wire type 1 holding an integer. */
export const fFixed64 = (field: number, v: number | bigint): number[] => [...tag(field, 1), ...fixed64(v)];
/** A field of wire type 1 holding a double. */
export const fDouble = (field: number, v: number): number[] => [...tag(field, 1), ...double(v)];
export const fFixed32 = (field: number, v: number): number[] => [...tag(field, 5), ...fixed32(v)];

/** A length-delimited field: a string, bytes or a message built from parts. */
export function fLen(field: number, ...content: (Bytes | string)[]): number[] {
  const body: number[] = [];
  for (const c of content) body.push(...(typeof c === 'string' ? Buffer.from(c, 'utf8') : c));
  return [...tag(field, 2), ...varint(body.length), ...body];
}

/** Seeded PRNG (mulberry32), so fuzz cases are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
