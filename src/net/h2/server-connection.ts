/**
 * The server side of an HTTP/2 connection (connection.ts has what both
 * sides share): streams the client opens, their request headers checked as
 * RFC 9113 §8.2-8.3 require (a malformed request is reset with
 * PROTOCOL_ERROR), and GOAWAY on shutdown. It neither pushes nor opens
 * streams.
 */
import type * as net from 'node:net';
import { H2Connection, type H2Settings } from './connection';
import { H2Stream } from './stream';
import { ErrorCode, rstStreamFrame } from './frames';
import type { DecodedBlock } from './hpack';

/** Request headers as node:http2 gives them: lower-case names, repeated fields joined (see `requestHeaders`). */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** A request's headers are complete: its stream is open. The listener sets the stream's handler. */
export type StreamListener = (stream: H2Stream, headers: RequestHeaders) => void;

export class H2ServerConnection extends H2Connection {
  private lastStreamId = 0;

  constructor(
    socket: net.Socket,
    settings: H2Settings,
    private readonly onStream: StreamListener,
  ) {
    super(socket, settings, true);
  }

  /** Graceful close: GOAWAY naming the last stream we took; the socket ends when those are done. */
  goAway(): void {
    this.sendGoaway(this.lastStreamId);
  }

  protected override lastPeerStream(): number {
    return this.lastStreamId;
  }

  protected isIdle(id: number): boolean {
    return id > this.lastStreamId;
  }

  protected onHeaderBlock(id: number, endStream: boolean, decoded: DecodedBlock): void {
    const existing = this.streams.get(id);
    if (existing !== undefined) {
      // Trailers from the client.
      if (existing.remoteEnded) return this.resetStream(existing, ErrorCode.STREAM_CLOSED);
      if (!endStream || hasPseudo(decoded.fields)) return this.resetStream(existing, ErrorCode.PROTOCOL_ERROR);
      return this.remoteEnd(existing);
    }
    if (id % 2 === 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, `HEADERS on even stream ${id}`);
    if (id <= this.lastStreamId) return this.fatal(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${id}, which is not new`);
    this.lastStreamId = id;
    const refuse = this.goawaySent || this.peerGoingAway || this.streams.size >= this.settings.maxConcurrentStreams;
    if (refuse) return this.queue(rstStreamFrame(id, ErrorCode.REFUSED_STREAM));
    if (decoded.tooLarge) return this.queue(rstStreamFrame(id, ErrorCode.ENHANCE_YOUR_CALM));
    const headers = requestHeaders(decoded.fields);
    if (headers === undefined) return this.queue(rstStreamFrame(id, ErrorCode.PROTOCOL_ERROR));
    const stream = new H2Stream(this, id, this.settings.streamWindow, this.peerInitialWindow);
    const length = headers['content-length'];
    if (typeof length === 'string') {
      if (!/^\d{1,15}$/.test(length)) return this.queue(rstStreamFrame(id, ErrorCode.PROTOCOL_ERROR));
      stream.contentLength = Number(length);
    }
    this.streams.set(id, stream);
    this.onStream(stream, headers);
    if (endStream && !stream.closed) this.remoteEnd(stream);
  }

  /** Answered before the request ended (an early status): tell the client to stop sending (§8.1). */
  protected localEndedFirst(stream: H2Stream): void {
    this.resetStream(stream, ErrorCode.NO_ERROR);
  }

  /** The request is complete; the answer comes when the handler has it. */
  protected remoteEndedFirst(): void {}
}

function hasPseudo(fields: string[]): boolean {
  for (let i = 0; i < fields.length; i += 2) if (fields[i].charCodeAt(0) === 0x3a) return true;
  return false;
}

const REQUEST_PSEUDO = new Set([':method', ':scheme', ':path', ':authority']);
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
/** Fields node:http2 keeps the first of when repeated (its kSingleValueHeaders). */
const SINGLE_VALUE = new Set([
  ':status', ':method', ':authority', ':scheme', ':path', ':protocol', 'access-control-allow-credentials', 'access-control-max-age',
  'access-control-request-method', 'age', 'authorization', 'content-encoding', 'content-language', 'content-length', 'content-location',
  'content-md5', 'content-range', 'content-type', 'date', 'dnt', 'etag', 'expires', 'from', 'host', 'if-match', 'if-modified-since',
  'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'range',
  'referer', 'retry-after', 'tk', 'upgrade-insecure-requests', 'user-agent', 'x-content-type-options',
]);

/**
 * A request's fields as node:http2 presents them, or undefined when the
 * request is malformed (§8.2, §8.3): a name not in lower-case token
 * characters, a value with NUL, CR, LF or surrounding whitespace, a pseudo-
 * field that is unknown, repeated or after a regular field, a connection-
 * specific field, `te` other than "trailers", or no :method, :scheme or :path.
 */
export function requestHeaders(fields: string[]): RequestHeaders | undefined {
  const out: RequestHeaders = Object.create(null);
  let regular = false;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i];
    const value = fields[i + 1];
    if (!validName(name) || !validValue(value)) return undefined;
    if (name.charCodeAt(0) === 0x3a) {
      if (regular || !REQUEST_PSEUDO.has(name) || out[name] !== undefined) return undefined;
      out[name] = value;
      continue;
    }
    regular = true;
    if (CONNECTION_SPECIFIC.has(name) || (name === 'te' && value !== 'trailers')) return undefined;
    const existing = out[name];
    if (existing === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (SINGLE_VALUE.has(name)) continue;
    else if (name === 'set-cookie') (existing as string[]).push(value);
    else out[name] = `${existing as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  const method = out[':method'];
  if (method === undefined) return undefined;
  if (method !== 'CONNECT' && (out[':scheme'] === undefined || !out[':path'])) return undefined;
  return out;
}

function validName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = name.charCodeAt(0) === 0x3a ? 1 : 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    // lower-case token characters (RFC 9110 §5.6.2); upper-case is malformed in HTTP/2
    if (c <= 0x20 || c >= 0x7f || (c >= 0x41 && c <= 0x5a) || c === 0x3a || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x2c || c === 0x2f
      || (c >= 0x3b && c <= 0x40) || (c >= 0x5b && c <= 0x5d) || c === 0x7b || c === 0x7d) {
      return false;
    }
  }
  return true;
}

function validValue(value: string): boolean {
  const n = value.length;
  if (n === 0) return true;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(n - 1);
  if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) return false;
  }
  return true;
}

