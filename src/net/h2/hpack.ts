/**
 * HPACK (RFC 7541), the header compression of HTTP/2, for the receiver's own
 * HTTP/2 connections: a decoder that follows the peer's encoder exactly (all
 * five representations, the dynamic table with eviction, Huffman-coded
 * strings) and a small encoder for our responses that never touches a
 * dynamic table.
 *
 * A decoder that disagrees with the peer's encoder by one table entry
 * corrupts every later header block on the connection, so anything that
 * does not follow the RFC is an `HpackError` (a connection error,
 * COMPRESSION_ERROR) rather than a guess.
 *
 * Speed: one header block per request, mostly indexed fields once the table
 * is warm (grpc-js resends the same headers). Indexed fields cost a table
 * read; literal strings are one latin1 slice of the block; Huffman strings
 * go through a table of 256 states x 256 input octets, built once on the
 * first Huffman-coded string: a lookup per octet instead of a walk per bit.
 */

import { HUFFMAN_BAD_PADDING, HUFFMAN_EOS, huffmanDecode, huffmanOutput } from './huffman';

/** A COMPRESSION_ERROR (RFC 9113 §4.3): the connection must end with GOAWAY. */
export class HpackError extends Error {
  override name = 'HpackError';
}

export interface DecodedBlock {
  /** Names (lower-case as sent) and values, in order: [name0, value0, name1, value1, ...]. Strings are latin1 (one char per octet, as node:http2 gives them). */
  fields: string[];
  /** Sum over fields of name.length + value.length + 32 (RFC 9113 §6.5.2) exceeded maxHeaderListSize; `fields` then holds what was decoded before the limit was passed (or nothing), but the dynamic table was still updated by the whole block. */
  tooLarge: boolean;
}

/** Node's native latin1 slice and write (undocumented but long-standing: what toString and write with 'latin1' end in, without the encoding lookup, about a quarter less per string); toString and write are the fallback. */
type Latin1Buffer = Buffer & {
  latin1Slice?(start: number, end: number): string;
  latin1Write?(s: string, offset: number): number;
};
const HAS_LATIN1 =
  typeof (Buffer.prototype as Latin1Buffer).latin1Slice === 'function' && typeof (Buffer.prototype as Latin1Buffer).latin1Write === 'function';

function latin1(buf: Latin1Buffer, start: number, end: number): string {
  return HAS_LATIN1 ? buf.latin1Slice!(start, end) : buf.toString('latin1', start, end);
}

/** Writes `s` (one octet per char) at `offset`; returns the octets written. */
function writeLatin1(buf: Latin1Buffer, s: string, offset: number): number {
  return HAS_LATIN1 ? buf.latin1Write!(s, offset) : buf.write(s, offset, 'latin1');
}

// --- Static table (RFC 7541 Appendix A) -------------------------------------

const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];
const STATIC_COUNT = STATIC_TABLE.length; // 61
/** Indexed from 1 as on the wire; [0] is unused. */
const STATIC_NAMES: string[] = [''];
const STATIC_VALUES: string[] = [''];
for (const [n, v] of STATIC_TABLE) {
  STATIC_NAMES.push(n);
  STATIC_VALUES.push(v);
}

// --- Decoder -----------------------------------------------------------------

function huffmanString(buf: Buffer, start: number, end: number): string {
  const n = huffmanDecode(buf, start, end);
  if (n === HUFFMAN_EOS) throw new HpackError('HPACK: EOS symbol inside a Huffman-coded string');
  if (n === HUFFMAN_BAD_PADDING) throw new HpackError('HPACK: Huffman padding longer than 7 bits or not all ones');
  return latin1(huffmanOutput(), 0, n);
}

/** The largest integer taken (RFC 9113 needs no more: sizes and indexes fit in 31 bits); 5 continuation octets carry it. */
const MAX_INT = 0x7fffffff;

export class HpackDecoder {
  private readonly maxTableSize: number;
  private readonly maxHeaderListSize: number;
  /** The size limit the encoder last set (dynamic table size update), at most maxTableSize. */
  private limit: number;
  private size = 0;
  /** Ring of entries, newest at `head`, older ones after it; every entry is at least 32 octets, so maxTableSize / 32 slots suffice. */
  private readonly names: string[];
  private readonly values: string[];
  private readonly cap: number;
  private head = 0;
  private count = 0;
  /** Read position in the block being decoded. */
  private pos = 0;

  /** maxTableSize: the SETTINGS_HEADER_TABLE_SIZE we advertise (default 4096); maxHeaderListSize: our SETTINGS_MAX_HEADER_LIST_SIZE (default 64 KiB). */
  constructor(maxTableSize = 4096, maxHeaderListSize = 65536) {
    this.maxTableSize = maxTableSize;
    this.maxHeaderListSize = maxHeaderListSize;
    this.limit = maxTableSize;
    this.cap = Math.max(1, Math.floor(maxTableSize / 32));
    this.names = new Array<string>(this.cap).fill('');
    this.values = new Array<string>(this.cap).fill('');
  }

  /** Decodes one complete header block (HEADERS + CONTINUATION payloads joined, padding and priority already removed). Throws HpackError on any encoding error. */
  decode(block: Uint8Array): DecodedBlock {
    const buf = Buffer.isBuffer(block) ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    const end = buf.length;
    const fields: string[] = [];
    const maxList = this.maxHeaderListSize;
    let listSize = 0;
    let updates = 0;
    let started = false;
    this.pos = 0;
    while (this.pos < end) {
      const b = buf[this.pos];
      let name: string;
      let value: string;
      if (b & 0x80) {
        // Indexed header field (§6.1).
        let index = b & 0x7f;
        this.pos++;
        if (index === 0x7f) index = this.continueInt(buf, 0x7f);
        if (index <= STATIC_COUNT) {
          if (index === 0) throw new HpackError('HPACK: index 0');
          name = STATIC_NAMES[index];
          value = STATIC_VALUES[index];
        } else {
          const slot = this.slot(index);
          name = this.names[slot];
          value = this.values[slot];
        }
      } else if (b & 0x40) {
        // Literal with incremental indexing (§6.2.1): 6-bit name index, 0 for a new name.
        name = this.literalName(buf, b & 0x3f, 0x3f);
        value = this.string(buf);
        this.insert(name, value);
      } else if (b & 0x20) {
        // Dynamic table size update (§6.3): only before the first field, at most two (§4.2).
        if (started) throw new HpackError('HPACK: dynamic table size update after the first header field of a block');
        if (++updates > 2) throw new HpackError('HPACK: more than two dynamic table size updates in a block');
        let max = b & 0x1f;
        this.pos++;
        if (max === 0x1f) max = this.continueInt(buf, 0x1f);
        if (max > this.maxTableSize) throw new HpackError(`HPACK: dynamic table size update to ${max}, above the ${this.maxTableSize} advertised`);
        this.limit = max;
        this.evictTo(max);
        continue;
      } else {
        // Literal without indexing (0000) or never indexed (0001) (§6.2.2, §6.2.3): 4-bit name index.
        name = this.literalName(buf, b & 0x0f, 0x0f);
        value = this.string(buf);
      }
      started = true;
      listSize += name.length + value.length + 32;
      if (listSize <= maxList) fields.push(name, value);
    }
    return { fields, tooLarge: listSize > maxList };
  }

  /** For tests: the dynamic table, newest first, and its size in RFC 7541 terms. */
  tableEntries(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head + i) % this.cap;
      out.push([this.names[slot], this.values[slot]]);
    }
    return out;
  }

  tableSize(): number {
    return this.size;
  }

  /** The rest of a prefix integer whose prefix was all ones (`prefixMax`); pos is just past the prefix octet. */
  private continueInt(buf: Buffer, prefixMax: number): number {
    let value = prefixMax;
    let pos = this.pos;
    for (let shift = 0; ; shift += 7) {
      if (pos >= buf.length) throw new HpackError('HPACK: integer runs past the end of the block');
      if (shift > 28) throw new HpackError('HPACK: integer longer than 5 continuation octets');
      const b = buf[pos++];
      value += (b & 0x7f) * 2 ** shift;
      if (value > MAX_INT) throw new HpackError('HPACK: integer above 2^31 - 1');
      if ((b & 0x80) === 0) break;
    }
    this.pos = pos;
    return value;
  }

  /** Dynamic table slot of wire index `index` (> 61). */
  private slot(index: number): number {
    const d = index - STATIC_COUNT - 1;
    if (d >= this.count) throw new HpackError(`HPACK: index ${index} beyond the static and dynamic tables (${STATIC_COUNT + this.count} entries)`);
    return (this.head + d) % this.cap;
  }

  /** The name of a literal field: an index in the first octet's prefix, or (0) a string after it. */
  private literalName(buf: Buffer, index: number, prefixMax: number): string {
    this.pos++;
    if (index === 0) return this.string(buf);
    if (index === prefixMax) index = this.continueInt(buf, prefixMax);
    return index <= STATIC_COUNT ? STATIC_NAMES[index] : this.names[this.slot(index)];
  }

  /** A string literal (§5.2) at pos: H bit, 7-bit prefix length, octets. */
  private string(buf: Buffer): string {
    const end = buf.length;
    if (this.pos >= end) throw new HpackError('HPACK: block ends before a string literal');
    const b = buf[this.pos++];
    let len = b & 0x7f;
    if (len === 0x7f) len = this.continueInt(buf, 0x7f);
    const start = this.pos;
    if (len > end - start) throw new HpackError(`HPACK: string of ${len} octets runs past the end of the block`);
    this.pos = start + len;
    return b & 0x80 ? huffmanString(buf, start, start + len) : latin1(buf, start, start + len);
  }

  /** Adds an entry (§4.4): evicts the oldest until it fits; an entry larger than the table empties it and is not added. */
  private insert(name: string, value: string): void {
    const size = name.length + value.length + 32;
    if (size > this.limit) {
      this.evictTo(0);
      return;
    }
    this.evictTo(this.limit - size);
    this.head = (this.head + this.cap - 1) % this.cap;
    this.names[this.head] = name;
    this.values[this.head] = value;
    this.count++;
    this.size += size;
  }

  /** Drops the oldest entries until the table's size is at most `max`. */
  private evictTo(max: number): void {
    while (this.size > max) {
      const slot = (this.head + this.count - 1) % this.cap;
      this.size -= this.names[slot].length + this.values[slot].length + 32;
      this.names[slot] = '';
      this.values[slot] = '';
      this.count--;
    }
  }
}

// --- Encoder -----------------------------------------------------------------

interface StaticName {
  /** The first static index with this name. */
  index: number;
  /** Static index of each value the table has for this name. */
  values: Map<string, number>;
}
const STATIC_BY_NAME = new Map<string, StaticName>();
for (let i = 1; i <= STATIC_COUNT; i++) {
  let e = STATIC_BY_NAME.get(STATIC_NAMES[i]);
  if (!e) STATIC_BY_NAME.set(STATIC_NAMES[i], (e = { index: i, values: new Map() }));
  if (!e.values.has(STATIC_VALUES[i])) e.values.set(STATIC_VALUES[i], i);
}

/** Writes a prefix integer (§5.1) whose first octet carries `flags` in the bits above the prefix; returns the new offset. */
function writeInt(out: Buffer, pos: number, flags: number, prefixMax: number, value: number): number {
  if (value < prefixMax) {
    out[pos++] = flags | value;
    return pos;
  }
  out[pos++] = flags | prefixMax;
  value -= prefixMax;
  while (value >= 0x80) {
    out[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[pos++] = value;
  return pos;
}

export class HpackEncoder {
  /** Encodes fields with no dynamic table: an exact static-table match as an indexed field, a static name as "literal without indexing, indexed name", anything else as "literal without indexing, new name"; no Huffman. Values are latin1 strings. */
  encode(fields: ReadonlyArray<readonly [string, string]>): Buffer {
    // Each string's length takes at most 5 octets, the name index at most 2: a bound, then one pass.
    let bound = 0;
    for (const [name, value] of fields) bound += 11 + name.length + value.length;
    const out = Buffer.allocUnsafe(bound);
    let pos = 0;
    for (const [name, value] of fields) {
      const st = STATIC_BY_NAME.get(name);
      if (st !== undefined) {
        const exact = st.values.get(value);
        if (exact !== undefined) {
          pos = writeInt(out, pos, 0x80, 0x7f, exact);
          continue;
        }
        pos = writeInt(out, pos, 0x00, 0x0f, st.index);
      } else {
        out[pos++] = 0x00;
        pos = writeInt(out, pos, 0x00, 0x7f, name.length);
        pos += writeLatin1(out, name, pos);
      }
      pos = writeInt(out, pos, 0x00, 0x7f, value.length);
      pos += writeLatin1(out, value, pos);
    }
    return out.subarray(0, pos);
  }
}
