/**
 * The Huffman code of HPACK string literals (RFC 7541 Appendix B, §5.2):
 * the code from its lengths, and a decoder that takes a whole octet per step
 * through a table of 256 states x 256 octets, built on the first
 * Huffman-coded string rather than when the module loads.
 */

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

/** `huffmanDecode`'s failures. */
export const HUFFMAN_EOS = -1;
export const HUFFMAN_BAD_PADDING = -2;

/**
 * Decodes the Huffman-coded octets `buf[start, end)` into `huffmanOutput()`;
 * returns how many octets that is, or HUFFMAN_EOS (the EOS symbol inside the
 * string) or HUFFMAN_BAD_PADDING (padding longer than 7 bits or not all ones).
 */
export function huffmanDecode(buf: Uint8Array, start: number, end: number): number {
  const table = HUFF_DECODE ?? (HUFF_DECODE = buildHuffmanDecoder());
  // At least 5 bits per symbol: 8 octets hold at most 12 symbols.
  const max = Math.ceil(((end - start) * 8) / 5);
  if (huffOut.length < max) huffOut = Buffer.allocUnsafe(Math.max(max, huffOut.length * 2));
  const out = huffOut;
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const e = table[(state << 8) | buf[i]];
    if (e & HUFF_FAIL) return HUFFMAN_EOS;
    const count = (e >>> HUFF_EMIT_SHIFT) & 3;
    if (count !== 0) {
      out[n++] = (e >>> 16) & 0xff;
      if (count === 2) out[n++] = e >>> 24;
    }
    state = e & 0xff;
  }
  return HUFF_ACCEPTS[state] === 0 ? HUFFMAN_BAD_PADDING : n;
}

/** The buffer the last `huffmanDecode` wrote to (valid until the next call). */
export function huffmanOutput(): Buffer {
  return huffOut;
}
