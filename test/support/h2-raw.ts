/**
 * Test support: a raw HTTP/2 client (RFC 9113) that writes exactly the bytes
 * a test asks for, so a server can be checked frame by frame, including with
 * frames no well-behaved client library would send.
 *
 * - Frame writers for every frame type with any flags, stream id (the
 *   reserved bit too) and padding (`frame.*`), and raw bytes (`send`).
 * - A header-block encoder that needs no compression state: every field a
 *   literal without indexing with a new name, no Huffman (`encodeFields`).
 * - A reader that parses what the server sends into frames, joins a header
 *   block's HEADERS and CONTINUATION frames and decodes it with a complete
 *   HPACK decoder (RFC 7541: static and dynamic table, every representation,
 *   Huffman), so tests do not depend on how the server chooses to encode.
 * - Bookkeeping of both directions: the windows the server advertised (for
 *   `sendData`, which respects them) and the windows and frame size this
 *   client advertised, against which every server frame is checked; what the
 *   server must never do is collected in `violations`.
 * - `waitForFrame` and `waitForClose`: waits for a condition, never a fixed time.
 *
 * It shares no code with the daemon's HTTP/2 (src/net/h2/): the RFC's
 * constants, static table and Huffman code are written out again here on
 * purpose, so a wrong value there cannot be confirmed by the same value here.
 */
import { once } from 'node:events';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

const DEFAULT_WINDOW = 65_535;
const DEFAULT_MAX_FRAME = 16_384;
const DEFAULT_TABLE_SIZE = 4096;
const MAX_WINDOW = 2 ** 31 - 1;

export function frameTypeName(type: number): string {
  return Object.entries(FrameType).find(([, v]) => v === type)?.[0] ?? `UNKNOWN(0x${type.toString(16)})`;
}

export function errorCodeName(code: number): string {
  return Object.entries(ErrorCode).find(([, v]) => v === code)?.[0] ?? `0x${code.toString(16)}`;
}

// --- Frames -----------------------------------------------------------------

export type HeaderField = [name: string, value: string];

export interface Frame {
  type: number;
  flags: number;
  /** Without the reserved bit. */
  streamId: number;
  /** The whole payload, padding included. */
  payload: Buffer;
  /** DATA: the data without padding. */
  data?: Buffer;
  /** The first frame of a header block (HEADERS, PUSH_PROMISE): the decoded block, once complete. */
  fields?: HeaderField[];
}

/** A frame: 9-byte header and payload. `streamId` is written as given (set bit 31 to send the reserved bit). */
export function encodeFrame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId >>> 0, 5);
  payload.copy(out, 9);
  return out;
}

export interface Priority {
  exclusive?: boolean;
  dependency: number;
  /** The weight field as sent (0–255: weight 1–256). */
  weight: number;
}

export interface PadOption {
  /** Adds the PADDED flag, the Pad Length byte and this many zero bytes. */
  padLength?: number;
}

function padded(body: Buffer, padLength: number | undefined): { flags: number; payload: Buffer } {
  if (padLength === undefined) return { flags: 0, payload: body };
  return { flags: Flag.PADDED, payload: Buffer.concat([Buffer.from([padLength]), body, Buffer.alloc(padLength)]) };
}

function priorityBytes(p: Priority): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32BE(((p.exclusive ? 0x80000000 : 0) | p.dependency) >>> 0, 0);
  b[4] = p.weight;
  return b;
}

/** Writers for each frame type; `flags` in an option adds bits on top of those the options imply. */
export const frame = {
  data(streamId: number, data: Buffer, o: PadOption & { endStream?: boolean; flags?: number } = {}): Buffer {
    const p = padded(data, o.padLength);
    return encodeFrame(FrameType.DATA, p.flags | (o.endStream ? Flag.END_STREAM : 0) | (o.flags ?? 0), streamId, p.payload);
  },

  /** `block`: a header block fragment (see `encodeFields`). END_HEADERS unless `endHeaders: false`. */
  headers(
    streamId: number,
    block: Buffer,
    o: PadOption & { endStream?: boolean; endHeaders?: boolean; priority?: Priority; flags?: number } = {},
  ): Buffer {
    const body = o.priority ? Buffer.concat([priorityBytes(o.priority), block]) : block;
    const p = padded(body, o.padLength);
    const flags =
      p.flags | (o.endStream ? Flag.END_STREAM : 0) | (o.endHeaders === false ? 0 : Flag.END_HEADERS) | (o.priority ? Flag.PRIORITY : 0) | (o.flags ?? 0);
    return encodeFrame(FrameType.HEADERS, flags, streamId, p.payload);
  },

  priority(streamId: number, p: Priority): Buffer {
    return encodeFrame(FrameType.PRIORITY, 0, streamId, priorityBytes(p));
  },

  rstStream(streamId: number, code: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(code >>> 0);
    return encodeFrame(FrameType.RST_STREAM, 0, streamId, b);
  },

  settings(entries: [id: number, value: number][] = [], o: { streamId?: number } = {}): Buffer {
    const b = Buffer.alloc(entries.length * 6);
    entries.forEach(([id, value], i) => {
      b.writeUInt16BE(id, i * 6);
      b.writeUInt32BE(value >>> 0, i * 6 + 2);
    });
    return encodeFrame(FrameType.SETTINGS, 0, o.streamId ?? 0, b);
  },

  settingsAck(payload: Buffer = Buffer.alloc(0)): Buffer {
    return encodeFrame(FrameType.SETTINGS, Flag.ACK, 0, payload);
  },

  pushPromise(streamId: number, promisedId: number, block: Buffer, o: PadOption & { endHeaders?: boolean } = {}): Buffer {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(promisedId >>> 0);
    const p = padded(Buffer.concat([id, block]), o.padLength);
    return encodeFrame(FrameType.PUSH_PROMISE, p.flags | (o.endHeaders === false ? 0 : Flag.END_HEADERS), streamId, p.payload);
  },

  /** `data`: the opaque payload, normally 8 bytes. */
  ping(data: Buffer, o: { ack?: boolean; streamId?: number } = {}): Buffer {
    return encodeFrame(FrameType.PING, o.ack ? Flag.ACK : 0, o.streamId ?? 0, data);
  },

  goaway(lastStreamId: number, code: number, debug: Buffer = Buffer.alloc(0)): Buffer {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(lastStreamId >>> 0, 0);
    b.writeUInt32BE(code >>> 0, 4);
    return encodeFrame(FrameType.GOAWAY, 0, 0, Buffer.concat([b, debug]));
  },

  windowUpdate(streamId: number, increment: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(increment >>> 0);
    return encodeFrame(FrameType.WINDOW_UPDATE, 0, streamId, b);
  },

  continuation(streamId: number, block: Buffer, o: { endHeaders?: boolean } = {}): Buffer {
    return encodeFrame(FrameType.CONTINUATION, o.endHeaders === false ? 0 : Flag.END_HEADERS, streamId, block);
  },
};

/** Incremental parser of a byte stream of frames (after the preface). */
class FrameParser {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const out: Frame[] = [];
    while (this.buffered.length >= 9) {
      const length = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < 9 + length) break;
      out.push({
        type: this.buffered[3],
        flags: this.buffered[4],
        streamId: this.buffered.readUInt32BE(5) & 0x7fffffff,
        payload: Buffer.from(this.buffered.subarray(9, 9 + length)),
      });
      this.buffered = this.buffered.subarray(9 + length);
    }
    return out;
  }
}

/** The padding-free part of a PADDED frame's payload; undefined when the padding is longer than the payload. */
function unpad(f: Frame): Buffer | undefined {
  if (!(f.flags & Flag.PADDED)) return f.payload;
  if (f.payload.length < 1) return undefined;
  const pad = f.payload[0];
  if (1 + pad > f.payload.length) return undefined;
  return f.payload.subarray(1, f.payload.length - pad);
}

/** A HEADERS or PUSH_PROMISE frame's header block fragment. */
function blockFragment(f: Frame): Buffer | undefined {
  const body = unpad(f);
  if (body === undefined) return undefined;
  if (f.type === FrameType.HEADERS) return f.flags & Flag.PRIORITY ? (body.length >= 5 ? body.subarray(5) : undefined) : body;
  if (f.type === FrameType.PUSH_PROMISE) return body.length >= 4 ? body.subarray(4) : undefined;
  return f.payload;
}

// --- HPACK (RFC 7541) -------------------------------------------------------

export class HpackError extends Error {}

/** RFC 7541 Appendix A. */
const STATIC_TABLE: HeaderField[] = [
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

/**
 * The length in bits of the Huffman code of each octet 0–255 and of EOS
 * (256), RFC 7541 Appendix B. The code is canonical (codes of one length are
 * consecutive, in symbol order, shorter codes first), so the lengths are all
 * it takes to rebuild the appendix's codes; `HUFFMAN` below does, and checks
 * that the lengths make a complete prefix code.
 */
const HUFFMAN_LENGTHS: readonly number[] = [
  // 0–31
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  // 32–63: ' ' to '?'
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  // 64–95: '@' to '_'
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  // 96–127: '`' to DEL
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  // 128–159
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  // 160–191
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  // 192–223
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  // 224–255
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  // 256: EOS
  30,
];

/** The canonical codes, and a decoding map per code length (code → symbol). */
const HUFFMAN = (() => {
  if (HUFFMAN_LENGTHS.length !== 257) throw new Error(`Huffman table: ${HUFFMAN_LENGTHS.length} lengths, not 257`);
  const order = [...HUFFMAN_LENGTHS.keys()].sort((a, b) => HUFFMAN_LENGTHS[a] - HUFFMAN_LENGTHS[b] || a - b);
  const codes = new Array<number>(257);
  const byLength = new Map<number, Map<number, number>>();
  let code = 0;
  let prevLength = HUFFMAN_LENGTHS[order[0]];
  let kraft = 0;
  order.forEach((symbol, i) => {
    const length = HUFFMAN_LENGTHS[symbol];
    if (i > 0) code = (code + 1) * 2 ** (length - prevLength);
    prevLength = length;
    codes[symbol] = code;
    kraft += 2 ** -length;
    if (!byLength.has(length)) byLength.set(length, new Map());
    byLength.get(length)!.set(code, symbol);
  });
  // Every code fits its length, and the lengths use the whole code space exactly.
  if (kraft !== 1 || code !== 2 ** 30 - 1) throw new Error('Huffman table: the lengths do not make a complete prefix code');
  return { codes, byLength };
})();

/** RFC 7541 §5.2: decoding errors are EOS in the data and padding that is longer than 7 bits or not all ones. */
export function huffmanDecode(input: Buffer): Buffer {
  const out: number[] = [];
  let code = 0;
  let bits = 0;
  for (const byte of input) {
    for (let shift = 7; shift >= 0; shift--) {
      code = code * 2 + ((byte >> shift) & 1);
      bits++;
      const symbol = HUFFMAN.byLength.get(bits)?.get(code);
      if (symbol === undefined) {
        if (bits >= 30) throw new HpackError('Huffman: no code matches');
        continue;
      }
      if (symbol === 256) throw new HpackError('Huffman: EOS in a string literal');
      out.push(symbol);
      code = 0;
      bits = 0;
    }
  }
  if (bits > 7) throw new HpackError('Huffman: padding longer than 7 bits');
  if (code !== 2 ** bits - 1) throw new HpackError('Huffman: padding is not the most significant bits of EOS');
  return Buffer.from(out);
}

/** For testing the decoder: the Huffman coding of `input`, padded with ones. */
export function huffmanEncode(input: Buffer): Buffer {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const byte of input) {
    const length = HUFFMAN_LENGTHS[byte];
    const code = HUFFMAN.codes[byte];
    for (let i = length - 1; i >= 0; i--) {
      acc = (acc << 1) | (Math.floor(code / 2 ** i) & 1);
      if (++bits === 8) {
        out.push(acc);
        acc = 0;
        bits = 0;
      }
    }
  }
  if (bits > 0) out.push(((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xff);
  return Buffer.from(out);
}

/** RFC 7541 §5.1: `value` with an N-bit prefix; `first` holds the bits above the prefix. */
export function encodeInteger(value: number, prefixBits: number, first = 0): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([first | value]);
  const out = [first | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

function encodeString(s: string | Buffer): Buffer {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
  return Buffer.concat([encodeInteger(bytes.length, 7), bytes]);
}

/**
 * A header block needing no compression state at either end: each field a
 * "literal header field without indexing — new name" (RFC 7541 §6.2.2),
 * strings without Huffman. Names are sent as given (upper case too).
 */
export function encodeFields(fields: HeaderField[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) parts.push(Buffer.from([0x00]), encodeString(name), encodeString(value));
  return Buffer.concat(parts);
}

/** A decoder for one direction of one connection: the dynamic table lives across blocks. */
export class HpackDecoder {
  private readonly dynamic: HeaderField[] = [];
  private size = 0;
  private maxSize: number;

  /** `settingsMax`: the SETTINGS_HEADER_TABLE_SIZE this side advertised, the bound of any size update. */
  constructor(private readonly settingsMax = DEFAULT_TABLE_SIZE) {
    this.maxSize = settingsMax;
  }

  get tableSize(): number {
    return this.size;
  }

  get table(): readonly HeaderField[] {
    return this.dynamic;
  }

  decode(block: Buffer): HeaderField[] {
    const out: HeaderField[] = [];
    let pos = 0;
    let fieldSeen = false;
    const integer = (prefixBits: number): number => {
      const max = (1 << prefixBits) - 1;
      let value = block[pos++] & max;
      if (value < max) return value;
      let shift = 0;
      for (;;) {
        if (pos >= block.length) throw new HpackError('integer runs past the block');
        const b = block[pos++];
        value += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (value > 2 ** 32) throw new HpackError('integer too large');
        if (!(b & 0x80)) return value;
      }
    };
    const string = (): string => {
      if (pos >= block.length) throw new HpackError('string runs past the block');
      const huffman = (block[pos] & 0x80) !== 0;
      const length = integer(7);
      if (pos + length > block.length) throw new HpackError('string runs past the block');
      const raw = block.subarray(pos, pos + length);
      pos += length;
      return (huffman ? huffmanDecode(raw) : raw).toString('latin1');
    };
    const lookup = (index: number): HeaderField => {
      if (index === 0) throw new HpackError('index 0');
      if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1];
      const entry = this.dynamic[index - STATIC_TABLE.length - 1];
      if (!entry) throw new HpackError(`index ${index} is past the tables`);
      return entry;
    };
    while (pos < block.length) {
      const b = block[pos];
      if (b & 0x80) {
        // §6.1 indexed header field
        out.push([...lookup(integer(7))]);
        fieldSeen = true;
      } else if (b & 0x40) {
        // §6.2.1 literal with incremental indexing
        const index = integer(6);
        const name = index === 0 ? string() : lookup(index)[0];
        const field: HeaderField = [name, string()];
        out.push(field);
        this.add(field);
        fieldSeen = true;
      } else if (b & 0x20) {
        // §6.3 dynamic table size update: only at the start of a block
        if (fieldSeen) throw new HpackError('dynamic table size update after a field');
        const size = integer(5);
        if (size > this.settingsMax) throw new HpackError(`table size update to ${size} above the ${this.settingsMax} allowed`);
        this.maxSize = size;
        this.evict(0);
      } else {
        // §6.2.2 without indexing (0000), §6.2.3 never indexed (0001)
        const index = integer(4);
        const name = index === 0 ? string() : lookup(index)[0];
        out.push([name, string()]);
        fieldSeen = true;
      }
    }
    return out;
  }

  private add(field: HeaderField): void {
    const entrySize = 32 + Buffer.byteLength(field[0], 'latin1') + Buffer.byteLength(field[1], 'latin1');
    this.evict(entrySize);
    if (entrySize > this.maxSize) return; // too large: the table is just emptied (§4.4)
    this.dynamic.unshift(field);
    this.size += entrySize;
  }

  private evict(room: number): void {
    while (this.dynamic.length > 0 && this.size + room > this.maxSize) {
      const [name, value] = this.dynamic.pop()!;
      this.size -= 32 + Buffer.byteLength(name, 'latin1') + Buffer.byteLength(value, 'latin1');
    }
  }
}

// --- The client -------------------------------------------------------------

export interface RawClientOptions {
  /** The entries of the SETTINGS sent after the preface. Default: none. */
  settings?: [id: number, value: number][];
  /** Send the preface and SETTINGS at once (default true). */
  preface?: boolean;
  /** ACK each SETTINGS from the server as a client must (default true). */
  ackSettings?: boolean;
}

interface StreamBook {
  /** What this client may still send (the server's window). */
  sendWindow: number;
  /** What the server may still send (this client's window). */
  recvWindow: number;
  /** The server sent END_STREAM / RST_STREAM on it. */
  serverEnded: boolean;
  serverReset: boolean;
}

/**
 * One HTTP/2 connection from the client side, over any connected socket (TCP,
 * or TLS with ALPN h2). Records every frame the server sends, in order.
 */
export class RawH2Client {
  /** Every frame received, in order. HEADERS/PUSH_PROMISE and their CONTINUATIONs are added together once the block is complete. */
  readonly frames: Frame[] = [];
  /** What the server did that RFC 9113 or RFC 7541 says it MUST NOT. */
  readonly violations: string[] = [];
  /** The server's settings as last received (absent: the default). */
  readonly serverSettings = new Map<number, number>();
  closed = false;
  socketError: Error | undefined;

  private readonly in = new FrameParser();
  private readonly out = new FrameParser();
  /** The books on what this client sends start with the frames after its preface. */
  private prefaceSent = false;
  private readonly decoder: HpackDecoder;
  private pendingBlock: Frame[] | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly streams = new Map<number, StreamBook>();
  private connSendWindow = DEFAULT_WINDOW;
  private connRecvWindow = DEFAULT_WINDOW;
  /** This client's settings as sent (what the server must honour once it has them). */
  private readonly ownSettings = new Map<number, number>();
  private highestOwnStream = 0;
  private nextId = 1;
  private pingCounter = 0;

  constructor(
    readonly socket: Duplex,
    private readonly options: RawClientOptions = {},
  ) {
    this.decoder = new HpackDecoder(options.settings?.find(([id]) => id === Setting.HEADER_TABLE_SIZE)?.[1] ?? DEFAULT_TABLE_SIZE);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: Error) => {
      this.socketError ??= err;
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    if (options.preface !== false) this.preface(options.settings ?? []);
  }

  /** A TCP connection to `port` with the preface and SETTINGS sent. */
  static async connect(port: number, host = '127.0.0.1', options: RawClientOptions = {}): Promise<RawH2Client> {
    const socket = net.connect(port, host);
    socket.setNoDelay(true);
    await once(socket, 'connect');
    return new RawH2Client(socket, options);
  }

  /** The client connection preface: the magic and a SETTINGS frame. */
  preface(settings: [number, number][] = []): void {
    this.send(PREFACE);
    this.prefaceSent = true;
    this.send(frame.settings(settings));
  }

  /**
   * Writes bytes as they are (frames from `frame.*`, or anything else). After
   * the preface they are read as frames for the books (windows, settings,
   * streams opened), so whole frames are expected there.
   */
  send(...chunks: Buffer[]): void {
    for (const chunk of chunks) {
      this.track(chunk);
      if (!this.socket.destroyed) this.socket.write(chunk);
    }
  }

  /** The next unused odd stream id (ids used by hand are taken into account). */
  newStreamId(): number {
    const id = Math.max(this.nextId, this.highestOwnStream > 0 ? this.highestOwnStream + 2 : 1);
    this.nextId = id + 2;
    return id;
  }

  /** The space the server's windows leave for DATA on `streamId`. */
  sendWindow(streamId: number): number {
    return Math.min(this.connSendWindow, this.stream(streamId).sendWindow);
  }

  /** The space the server's connection window leaves for DATA. */
  get connectionSendWindow(): number {
    return this.connSendWindow;
  }

  /** The server's SETTINGS_MAX_FRAME_SIZE. */
  get maxFrameSize(): number {
    return this.serverSettings.get(Setting.MAX_FRAME_SIZE) ?? DEFAULT_MAX_FRAME;
  }

  /**
   * Sends `data` on `streamId` as DATA frames no larger than the server's
   * frame size, never beyond the windows the server advertised: waits for
   * its WINDOW_UPDATEs (or SETTINGS) when they are used up.
   */
  async sendData(streamId: number, data: Buffer, o: { endStream?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (o.timeoutMs ?? 5000);
    let off = 0;
    do {
      const room = Math.min(this.sendWindow(streamId), this.maxFrameSize, data.length - off);
      if (room <= 0 && off < data.length) {
        const from = this.frames.length;
        await this.waitForFrame(
          (f, i) => i >= from && (f.type === FrameType.WINDOW_UPDATE || f.type === FrameType.SETTINGS),
          Math.max(1, deadline - Date.now()),
          `window for DATA on stream ${streamId} (${off} of ${data.length} bytes sent)`,
        );
        continue;
      }
      const end = off + room;
      this.send(frame.data(streamId, data.subarray(off, end), { endStream: o.endStream && end === data.length }));
      off = end;
    } while (off < data.length);
  }

  /** Sends a PING with a payload of its own and returns a predicate for its ACK. */
  ping(): (f: Frame) => boolean {
    const data = Buffer.alloc(8);
    data.write('sync', 0, 'latin1');
    data.writeUInt32BE(++this.pingCounter, 4);
    this.send(frame.ping(data));
    return (f) => f.type === FrameType.PING && (f.flags & Flag.ACK) !== 0 && f.payload.equals(data);
  }

  /** A PING round trip: every frame the server sent before its answer has arrived. */
  async sync(timeoutMs = 5000): Promise<void> {
    await this.waitForFrame(this.ping(), timeoutMs, 'the PING ACK');
  }

  /**
   * The first frame (from index `from` on) that `predicate` accepts, as soon
   * as it has arrived. Rejects at `timeoutMs`, or when the connection closes
   * without one.
   */
  waitForFrame(predicate: (f: Frame, index: number) => boolean, timeoutMs = 5000, what = 'a frame', from = 0): Promise<Frame> {
    return new Promise<Frame>((resolve, reject) => {
      let scanned = from;
      const check = (): boolean => {
        for (; scanned < this.frames.length; scanned++) {
          if (predicate(this.frames[scanned], scanned)) {
            done();
            resolve(this.frames[scanned]);
            return true;
          }
        }
        if (this.closed) {
          done();
          reject(new Error(`the connection closed before ${what} arrived; received: ${this.describe()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs} ms; received: ${this.describe()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      const wake = () => void check();
      if (!check()) this.waiters.add(wake);
    });
  }

  /** Resolves when the server has closed the connection (the socket is closed). */
  waitForClose(timeoutMs = 5000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`the connection is still open after ${timeoutMs} ms; received: ${this.describe()}`));
      }, timeoutMs);
      const wake = () => {
        if (!this.closed) return;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
    });
  }

  /** The frames received on `streamId`, in order. */
  framesOn(streamId: number): Frame[] {
    return this.frames.filter((f) => f.streamId === streamId);
  }

  /** A one-line summary of what has been received, for failure messages. */
  describe(): string {
    const parts = this.frames.map((f) => {
      let s = `${frameTypeName(f.type)}#${f.streamId}`;
      if (f.flags) s += `/0x${f.flags.toString(16)}`;
      if (f.type === FrameType.GOAWAY || f.type === FrameType.RST_STREAM) {
        const code = f.payload.length >= (f.type === FrameType.GOAWAY ? 8 : 4) ? f.payload.readUInt32BE(f.type === FrameType.GOAWAY ? 4 : 0) : -1;
        s += `(${errorCodeName(code)})`;
      }
      if (f.type === FrameType.DATA) s += `[${f.payload.length}]`;
      return s;
    });
    return `${parts.join(' ') || 'nothing'}${this.closed ? ' | closed' : ''}`;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private stream(id: number): StreamBook {
    let s = this.streams.get(id);
    if (!s) {
      s = {
        sendWindow: this.serverSettings.get(Setting.INITIAL_WINDOW_SIZE) ?? DEFAULT_WINDOW,
        recvWindow: this.ownSettings.get(Setting.INITIAL_WINDOW_SIZE) ?? DEFAULT_WINDOW,
        serverEnded: false,
        serverReset: false,
      };
      this.streams.set(id, s);
    }
    return s;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Keeps the books on what this client sends: stream ids, settings, windows. */
  private track(chunk: Buffer): void {
    if (!this.prefaceSent) return;
    for (const f of this.out.push(chunk)) {
      switch (f.type) {
        case FrameType.HEADERS:
          if (f.streamId % 2 === 1) {
            this.stream(f.streamId);
            this.highestOwnStream = Math.max(this.highestOwnStream, f.streamId);
          }
          break;
        case FrameType.DATA:
          this.connSendWindow -= f.payload.length;
          if (f.streamId !== 0) this.stream(f.streamId).sendWindow -= f.payload.length;
          break;
        case FrameType.SETTINGS:
          if (f.flags & Flag.ACK || f.streamId !== 0 || f.payload.length % 6 !== 0) break;
          for (let i = 0; i < f.payload.length; i += 6) {
            const id = f.payload.readUInt16BE(i);
            const value = f.payload.readUInt32BE(i + 2);
            if (id === Setting.INITIAL_WINDOW_SIZE && value <= MAX_WINDOW) {
              const delta = value - (this.ownSettings.get(id) ?? DEFAULT_WINDOW);
              for (const s of this.streams.values()) s.recvWindow += delta;
            }
            this.ownSettings.set(id, value);
          }
          break;
        case FrameType.WINDOW_UPDATE:
          if (f.payload.length !== 4) break;
          if (f.streamId === 0) this.connRecvWindow += f.payload.readUInt32BE(0) & 0x7fffffff;
          else this.stream(f.streamId).recvWindow += f.payload.readUInt32BE(0) & 0x7fffffff;
          break;
      }
    }
  }

  private onData(chunk: Buffer): void {
    for (const f of this.in.push(chunk)) this.onFrame(f);
    this.wake();
  }

  private violation(message: string): void {
    this.violations.push(`${message} (after: ${this.describe()})`);
  }

  private onFrame(f: Frame): void {
    const maxFrame = this.ownSettings.get(Setting.MAX_FRAME_SIZE) ?? DEFAULT_MAX_FRAME;
    if (f.payload.length > maxFrame) this.violation(`a ${frameTypeName(f.type)} frame of ${f.payload.length} bytes, above SETTINGS_MAX_FRAME_SIZE ${maxFrame}`);

    // A header block is HEADERS/PUSH_PROMISE and CONTINUATIONs on the same stream, nothing in between (RFC 9113 §4.3).
    if (this.pendingBlock) {
      if (f.type !== FrameType.CONTINUATION || f.streamId !== this.pendingBlock[0].streamId) {
        this.violation(`${frameTypeName(f.type)} on stream ${f.streamId} inside a header block`);
        this.frames.push(...this.pendingBlock);
        this.pendingBlock = undefined;
      } else {
        this.pendingBlock.push(f);
        if (f.flags & Flag.END_HEADERS) this.completeBlock();
        return;
      }
    } else if (f.type === FrameType.CONTINUATION) {
      this.violation(`CONTINUATION on stream ${f.streamId} without a header block to continue`);
    }

    this.checkStreamState(f);
    switch (f.type) {
      case FrameType.DATA: {
        f.data = unpad(f);
        if (f.data === undefined) this.violation(`DATA on stream ${f.streamId} with padding longer than its payload`);
        this.connRecvWindow -= f.payload.length;
        const s = this.stream(f.streamId);
        s.recvWindow -= f.payload.length;
        if (this.connRecvWindow < 0) this.violation(`DATA beyond the connection window (by ${-this.connRecvWindow} bytes)`);
        if (s.recvWindow < 0) this.violation(`DATA beyond the window of stream ${f.streamId} (by ${-s.recvWindow} bytes)`);
        break;
      }
      case FrameType.HEADERS:
      case FrameType.PUSH_PROMISE:
        if (f.type === FrameType.PUSH_PROMISE && this.ownSettings.get(Setting.ENABLE_PUSH) === 0) this.violation('PUSH_PROMISE with SETTINGS_ENABLE_PUSH 0');
        this.pendingBlock = [f];
        if (f.flags & Flag.END_HEADERS) this.completeBlock();
        return;
      case FrameType.SETTINGS:
        if (f.flags & Flag.ACK) break;
        for (let i = 0; i + 6 <= f.payload.length; i += 6) {
          const id = f.payload.readUInt16BE(i);
          const value = f.payload.readUInt32BE(i + 2);
          if (id === Setting.INITIAL_WINDOW_SIZE) {
            const delta = value - (this.serverSettings.get(id) ?? DEFAULT_WINDOW);
            for (const s of this.streams.values()) s.sendWindow += delta;
          }
          this.serverSettings.set(id, value);
        }
        if (this.options.ackSettings !== false && !this.socket.destroyed) this.send(frame.settingsAck());
        break;
      case FrameType.WINDOW_UPDATE:
        if (f.payload.length === 4) {
          const increment = f.payload.readUInt32BE(0) & 0x7fffffff;
          if (f.streamId === 0) this.connSendWindow += increment;
          else this.stream(f.streamId).sendWindow += increment;
        }
        break;
    }
    this.frames.push(f);
  }

  /** What a server MUST NOT send on a stream given what it already sent (RFC 9113 §5.1). */
  private checkStreamState(f: Frame): void {
    if (f.streamId === 0 || f.type === FrameType.PRIORITY) return;
    const name = `${frameTypeName(f.type)} on stream ${f.streamId}`;
    if (f.streamId % 2 === 1 && f.streamId > this.highestOwnStream) return this.violation(`${name}, a stream the client never opened`);
    const s = this.streams.get(f.streamId);
    if (!s) return;
    if (s.serverReset) this.violation(`${name} after the server reset it`);
    else if (s.serverEnded && f.type !== FrameType.WINDOW_UPDATE && f.type !== FrameType.RST_STREAM) this.violation(`${name} after the server ended it`);
    if (f.type === FrameType.RST_STREAM) s.serverReset = true;
    if ((f.type === FrameType.DATA || f.type === FrameType.HEADERS) && f.flags & Flag.END_STREAM) s.serverEnded = true;
  }

  private completeBlock(): void {
    const frames = this.pendingBlock!;
    this.pendingBlock = undefined;
    const first = frames[0];
    const fragments = frames.map(blockFragment);
    if (fragments.some((x) => x === undefined)) this.violation(`a malformed ${frameTypeName(first.type)} on stream ${first.streamId}`);
    else {
      try {
        first.fields = this.decoder.decode(Buffer.concat(fragments as Buffer[]));
      } catch (err) {
        this.violation(`a header block on stream ${first.streamId} that is not valid HPACK: ${(err as Error).message}`);
      }
    }
    this.frames.push(...frames);
  }
}
