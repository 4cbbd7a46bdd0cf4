/**
 * Hand decoding of the two protobuf messages an OTLP server sends back when
 * it refuses a request: `google.rpc.Status` (the HTTP error body and the gRPC
 * `grpc-status-details-bin` trailer) and the `google.rpc.RetryInfo` detail
 * that may ride inside it. Small enough that a generated class is not worth it.
 */

export interface RpcStatus {
  code: number;
  message: string;
  /** Milliseconds from a `google.rpc.RetryInfo` detail, when there is one. */
  retryDelayMs?: number;
}

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  }
  bytes(): Uint8Array {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
    if (this.pos > this.buf.length) throw new Error('truncated field');
  }
}

const utf8 = new TextDecoder();

/** Decodes a `google.rpc.Status`; throws on bytes that are not one. */
export function decodeRpcStatus(buf: Uint8Array): RpcStatus {
  const r = new Reader(buf);
  const out: RpcStatus = { code: 0, message: '' };
  while (!r.done) {
    const tag = Number(r.varint());
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 0) out.code = Number(BigInt.asIntN(32, r.varint()));
    else if (field === 2 && wire === 2) out.message = utf8.decode(r.bytes());
    else if (field === 3 && wire === 2) {
      const delay = retryDelayOfAny(r.bytes());
      if (delay !== undefined) out.retryDelayMs = delay;
    } else r.skip(wire);
  }
  return out;
}

/** The retry delay of an `Any` holding a RetryInfo, else undefined. */
function retryDelayOfAny(buf: Uint8Array): number | undefined {
  const r = new Reader(buf);
  let typeUrl = '';
  let value: Uint8Array | undefined;
  while (!r.done) {
    const tag = Number(r.varint());
    if (tag === 0x0a) typeUrl = utf8.decode(r.bytes());
    else if (tag === 0x12) value = r.bytes();
    else r.skip(tag & 7);
  }
  if (typeUrl !== RETRY_INFO_TYPE) return undefined;
  if (!value) return 0;
  // RetryInfo { Duration retry_delay = 1 } ; Duration { int64 seconds = 1; int32 nanos = 2 }
  const ri = new Reader(value);
  let ms = 0;
  while (!ri.done) {
    const tag = Number(ri.varint());
    if (tag !== 0x0a) {
      ri.skip(tag & 7);
      continue;
    }
    const d = new Reader(ri.bytes());
    let seconds = 0n;
    let nanos = 0;
    while (!d.done) {
      const t = Number(d.varint());
      if (t === 0x08) seconds = BigInt.asIntN(64, d.varint());
      else if (t === 0x10) nanos = Number(BigInt.asIntN(32, d.varint()));
      else d.skip(t & 7);
    }
    ms = Math.max(0, Number(seconds) * 1000 + Math.floor(nanos / 1e6));
  }
  return ms;
}

// --- encoding, for the test server (and tests) that play the other side ---

function varint(n: bigint | number): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function lenField(tag: number, body: Uint8Array | number[]): number[] {
  return [tag, ...varint(body.length), ...body];
}

/** Encodes a `google.rpc.Status`, with a RetryInfo detail when `retryDelayMs` is set. */
export function encodeRpcStatus(s: RpcStatus): Uint8Array {
  const out: number[] = [];
  if (s.code !== 0) out.push(0x08, ...varint(s.code));
  if (s.message) out.push(...lenField(0x12, Buffer.from(s.message, 'utf8')));
  if (s.retryDelayMs !== undefined) {
    const seconds = Math.floor(s.retryDelayMs / 1000);
    const nanos = (s.retryDelayMs % 1000) * 1e6;
    const duration = [...(seconds ? [0x08, ...varint(seconds)] : []), ...(nanos ? [0x10, ...varint(nanos)] : [])];
    const retryInfo = lenField(0x0a, duration);
    const any = [...lenField(0x0a, Buffer.from(RETRY_INFO_TYPE, 'utf8')), ...lenField(0x12, retryInfo)];
    out.push(...lenField(0x1a, any));
  }
  return Uint8Array.from(out);
}
