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

// --- Huffman code (RFC 7541 Appendix B) -------------------------------------

/**
 * Code length in bits of each symbol 0..255 and EOS (256). The code is
 * canonical: codes of one length are consecutive in symbol order, and each
 * length continues where the shorter one ended, so the lengths alone give
 * every code (0x1ff8 for 0, 0x18 for '/', 0x3fffffff for EOS).
 */
// prettier-ignore
const HUFFMAN_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, //   0- 15
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, //  16- 31
   6, 10, 10, 12, 13,  6,  8, 11, 10, 10,  8, 11,  8,  6,  6,  6, //  32- 47 ' '..'/'
   5,  5,  5,  6,  6,  6,  6,  6,  6,  6,  7,  8, 15,  6, 12, 10, //  48- 63 '0'..'?'
  13,  6,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7, //  64- 79 '@'..'O'
   7,  7,  7,  7,  7,  7,  7,  7,  8,  7,  8, 13, 19, 13, 14,  6, //  80- 95 'P'..'_'
  15,  5,  6,  5,  6,  5,  6,  6,  6,  5,  7,  7,  6,  6,  6,  5, //  96-111 '`'..'o'
   6,  7,  6,  5,  5,  6,  7,  7,  7,  7,  7, 15, 11, 14, 13, 28, // 112-127 'p'..DEL
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128-143
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144-159
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160-175
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176-191
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192-207
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208-223
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224-239
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240-255
  30,                                                             // EOS
];
const EOS = 256;

/** Canonical codes from the lengths; throws if the lengths do not make a complete prefix code. */
function huffmanCodes(lengths: readonly number[]): number[] {
  const codes = new Array<number>(lengths.length);
  let code = 0;
  let prevLen = 0;
  for (let len = 1; len <= 30; len++) {
    code *= 2;
    for (let sym = 0; sym < lengths.length; sym++) {
      if (lengths[sym] !== len) continue;
      codes[sym] = code++;
      prevLen = len;
    }
  }
  // A complete code ends exactly at 2^maxLen: every bit string decodes to something.
  if (lengths.length !== 257 || code !== 2 ** prevLen) throw new Error('HPACK Huffman code lengths are not a complete code');
  return codes;
}

/**
 * Decoding state machine: the code tree's 256 internal nodes are the states,
 * node 0 the root. HUFF_DECODE[state << 8 | octet]: the next state (bits
 * 0-7), how many symbols the octet completes (bits 8-9; at most two, codes
 * being 5 bits or longer), the first symbol (bits 16-23) and the second
 * (24-31); or HUFF_FAIL when the octet completes EOS. 256 KiB, built on the
 * first Huffman-coded string (a few milliseconds) rather than when the module
 * loads.
 */
let HUFF_DECODE: Uint32Array | undefined;
const HUFF_EMIT_SHIFT = 8;
const HUFF_FAIL = 1 << 10;
/** States a string may end in: the root, or up to 7 bits down the all-ones path (padding is a prefix of EOS). */
const HUFF_ACCEPTS = new Uint8Array(256);

function buildHuffmanDecoder(): Uint32Array {
  const codes = huffmanCodes(HUFFMAN_LENGTHS);
  // child[node * 2 + bit]: >= 0 an internal node, < 0 the leaf of symbol -(c + 1).
  const child = new Int32Array(256 * 2);
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const len = HUFFMAN_LENGTHS[sym];
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const slot = node * 2 + (Math.floor(codes[sym] / 2 ** i) & 1);
      if (i === 0) {
        child[slot] = -(sym + 1);
      } else {
        if (child[slot] === 0) child[slot] = nodes++;
        node = child[slot];
      }
    }
  }
  if (nodes !== 256) throw new Error('HPACK Huffman tree does not have 256 internal nodes');

  for (let node = 0, depth = 0; depth <= 7; depth++, node = child[node * 2 + 1]) HUFF_ACCEPTS[node] = 1;

  // Each state and 4-bit nibble first (at most one symbol ends in 4 bits), then each octet as two nibbles.
  // nibble[state << 4 | n]: next state (bits 0-7), 1 << 8 if a symbol ends, the symbol (bits 9-17).
  const nibble = new Uint32Array(256 * 16);
  for (let state = 0; state < 256; state++) {
    for (let n = 0; n < 16; n++) {
      let node = state;
      let e = 0;
      for (let bit = 3; bit >= 0; bit--) {
        const c = child[node * 2 + ((n >> bit) & 1)];
        if (c >= 0) {
          node = c;
        } else {
          e = (1 << 8) | ((-c - 1) << 9);
          node = 0;
        }
      }
      nibble[(state << 4) | n] = e | node;
    }
  }
  const table = new Uint32Array(256 * 256);
  for (let first = 0; first < 256 * 16; first++) fillOctets(table, nibble, first);
  return table;
}

/**
 * The 16 table entries for octets whose high nibble is `first` & 15, from state
 * `first` >> 4: each is the high nibble's step, then the low nibble's from
 * where it ended. (A function of its own so that V8 compiles it after a few
 * calls: the build takes a few milliseconds instead of tens interpreted.)
 */
function fillOctets(table: Uint32Array, nibble: Uint32Array, first: number): void {
  const a = nibble[first];
  const symA = a & (1 << 8) ? a >>> 9 : -1;
  const from = (a & 0xff) << 4;
  for (let lo = 0; lo < 16; lo++) {
    const b = nibble[from | lo];
    const symB = b & (1 << 8) ? b >>> 9 : -1;
    let e = b & 0xff;
    if (symA === EOS || symB === EOS) e = HUFF_FAIL;
    else if (symA >= 0 && symB >= 0) e |= (2 << HUFF_EMIT_SHIFT) | (symA << 16) | (symB << 24);
    else if (symA >= 0) e |= (1 << HUFF_EMIT_SHIFT) | (symA << 16);
    else if (symB >= 0) e |= (1 << HUFF_EMIT_SHIFT) | (symB << 16);
    table[(first << 4) | lo] = e >>> 0;
  }
}

/** Where Huffman-decoded octets are put before they become a string; grows to the longest string seen. */
let huffOut = Buffer.allocUnsafe(256);

function huffmanDecode(buf: Buffer, start: number, end: number): string {
  const table = HUFF_DECODE ?? (HUFF_DECODE = buildHuffmanDecoder());
  // At least 5 bits per symbol: 8 octets hold at most 12 symbols.
  const max = Math.ceil(((end - start) * 8) / 5);
  if (huffOut.length < max) huffOut = Buffer.allocUnsafe(Math.max(max, huffOut.length * 2));
  const out = huffOut;
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const e = table[(state << 8) | buf[i]];
    if (e & HUFF_FAIL) throw new HpackError('HPACK: EOS symbol inside a Huffman-coded string');
    const count = (e >>> HUFF_EMIT_SHIFT) & 3;
    if (count !== 0) {
      out[n++] = (e >>> 16) & 0xff;
      if (count === 2) out[n++] = e >>> 24;
    }
    state = e & 0xff;
  }
  if (HUFF_ACCEPTS[state] === 0) throw new HpackError('HPACK: Huffman padding longer than 7 bits or not all ones');
  return latin1(out, 0, n);
}

// --- Decoder -----------------------------------------------------------------

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
    return b & 0x80 ? huffmanDecode(buf, start, start + len) : latin1(buf, start, start + len);
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
