/**
 * One HTTP/2 connection (RFC 9113): what the server side (server-
 * connection.ts) and the client side (client-connection.ts) share.
 *
 * Why not node:http2: at the rates a sidecar sees (a hundred requests a
 * second, each its own event-loop turn) node:http2 spends about 0.9 ms of
 * CPU per request on this project's benchmark machine, against 0.26 ms for
 * the same bytes over a bare socket: a Duplex stream object, header objects
 * built twice, and two to four socket writes and loop turns per request.
 * Here a request costs one parse per frame, and everything a connection
 * sends in one turn of the event loop goes out in one write.
 *
 * This part reads frames (a payload is handed over as a view of the
 * socket's chunk unless the frame spans two chunks), answers SETTINGS and
 * PING, takes GOAWAY and RST_STREAM, parses and ignores PRIORITY, joins
 * header blocks over HEADERS and CONTINUATION and decodes them (hpack.ts),
 * strips padding, and keeps flow control both ways: the peer's windows
 * bound what we send (queued until a WINDOW_UPDATE), and ours are
 * replenished once half is used. A protocol violation ends the connection
 * with GOAWAY and the right error code; one confined to a stream resets it.
 */
import type * as net from 'node:net';
import {
  DEFAULT_MAX_FRAME_SIZE, DEFAULT_WINDOW, ErrorCode, Flag, FRAME_HEADER_LENGTH, FrameType, MAX_ALLOWED_FRAME_SIZE, MAX_WINDOW, PREFACE, Setting,
  frame, goawayFrame, headerFrames, rstStreamFrame, settingsFrame, windowUpdateFrame, writeFrameHeader,
} from './frames';
import { HpackDecoder, HpackError, type DecodedBlock } from './hpack';

export interface H2Settings {
  /** SETTINGS_INITIAL_WINDOW_SIZE: what a stream may send us before we replenish its window. */
  streamWindow: number;
  /** The connection's receive window, raised from 65,535 right after our SETTINGS. */
  connectionWindow: number;
  maxConcurrentStreams: number;
  maxHeaderListSize: number;
}

/** The stream's close: `undefined` when it finished, the peer's RST_STREAM code, or CONNECTION_LOST. */
export const CONNECTION_LOST = -1;

/** What becomes of a stream: header blocks after the first (client side: all), DATA, the peer's end, and the close. */
export interface StreamHandler {
  headerFields?(fields: string[], end: boolean): void;
  data(chunk: Buffer): void;
  end(): void;
  /** Once, whatever the cause: see CONNECTION_LOST. */
  close(code: number | undefined): void;
}

const noop = (): void => {};
const IGNORE: StreamHandler = { data: noop, end: noop, close: noop };
/** Output a peer leaves unread beyond this is a peer flooding us (pings, resets): the connection ends. */
const MAX_UNREAD_OUTPUT = 16 * 1024 * 1024;
/**
 * What goes out in one turn is joined into one buffer when it is no larger
 * than this; else written as it is (one writev), so DATA payloads are not
 * copied: a copy of every export is memory outside V8's heap, whose growth
 * brings on full collections.
 */
const JOIN_LIMIT = 4 * 1024;
/** A header block longer than this many times SETTINGS_MAX_HEADER_LIST_SIZE (compressed) is refused undecoded: a CONTINUATION flood. */
const MAX_BLOCK_FACTOR = 4;

export class H2Stream {
  handler: StreamHandler = IGNORE;
  remoteEnded = false;
  localEnded = false;
  closed = false;
  /** Our receive window for the stream, and what was consumed since the last WINDOW_UPDATE. */
  recvWindow: number;
  recvConsumed = 0;
  /** The peer's window for what we send. */
  sendWindow: number;
  /** DATA waiting for the peer's windows; then END_STREAM on the last of it, or trailers. */
  pending: Buffer[] = [];
  endAfterPending = false;
  pendingTrailers: Buffer | undefined;
  /** Request content-length (-1: none) and the DATA received, which must agree. */
  contentLength = -1;
  received = 0;

  constructor(
    readonly connection: H2Connection,
    readonly id: number,
    recvWindow: number,
    sendWindow: number,
  ) {
    this.recvWindow = recvWindow;
    this.sendWindow = sendWindow;
  }

  get remoteAddress(): string | undefined {
    return this.connection.socket.remoteAddress;
  }

  /** Headers (an HPACK block); `end` ends our side of the stream with them. */
  respond(block: Buffer, end: boolean): void {
    this.connection.sendHeaders(this, block, end);
  }

  /** DATA, flow-controlled; `end` sets END_STREAM on the last frame of it. */
  data(chunk: Buffer, end = false): void {
    this.connection.sendData(this, chunk, end);
  }

  /** Trailers (an HPACK block) end the stream, after any DATA still waiting for a window. */
  trailers(block: Buffer): void {
    this.connection.sendTrailers(this, block);
  }

  reset(code: number): void {
    this.connection.resetStream(this, code);
  }
}

export abstract class H2Connection {
  protected readonly streams = new Map<number, H2Stream>();
  private readonly decoder: HpackDecoder;
  private prefaceGot: number;
  /** The frame being read: its header, and its payload when it spans chunks. */
  private readonly head = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
  private headGot = 0;
  private fLength = 0;
  private fType = 0;
  protected fFlags = 0;
  private fStream = 0;
  private payload: Buffer | undefined;
  private payloadGot = 0;
  /** A header block waiting for its CONTINUATION frames. */
  private blockStream = 0;
  private blockEnd = false;
  private blockParts: Buffer[] = [];
  private blockLength = 0;
  private connRecvWindow: number;
  private connRecvConsumed = 0;
  private connSendWindow = DEFAULT_WINDOW;
  protected peerInitialWindow = DEFAULT_WINDOW;
  protected peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  protected peerMaxConcurrentStreams = Infinity;
  /** Streams with DATA waiting for the connection's send window. */
  private readonly blocked = new Set<H2Stream>();
  private out: Buffer[] = [];
  private outLength = 0;
  private flushScheduled = false;
  /** Either side sent GOAWAY: no new streams; the socket ends once the open ones are done. */
  protected goawaySent = false;
  protected peerGoingAway = false;
  /** The socket is ending or gone. */
  protected dead = false;
  /** When the peer last sent anything (ms, Date.now()). */
  private lastReceivedAt = Date.now();
  private aliveCheck: NodeJS.Timeout | undefined;
  /** Resolves when the peer's first SETTINGS arrives (its limits are known), or when the connection is gone. */
  readonly settled: Promise<void>;
  private settle!: () => void;

  constructor(
    readonly socket: net.Socket,
    protected readonly settings: H2Settings,
    isServer: boolean,
  ) {
    this.decoder = new HpackDecoder(4096, settings.maxHeaderListSize);
    this.connRecvWindow = settings.connectionWindow;
    this.settled = new Promise<void>((resolve) => (this.settle = resolve));
    // The server waits for the client's preface; the client sends it.
    this.prefaceGot = isServer ? 0 : PREFACE.length;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', noop);
    socket.once('close', () => this.onSocketClose());
    if (!isServer) this.queue(PREFACE);
    const local: Array<[number, number]> = [
      [Setting.MAX_CONCURRENT_STREAMS, settings.maxConcurrentStreams],
      [Setting.INITIAL_WINDOW_SIZE, settings.streamWindow],
      [Setting.MAX_HEADER_LIST_SIZE, settings.maxHeaderListSize],
      [Setting.ENABLE_PUSH, 0],
    ];
    this.queue(settingsFrame(local));
    if (settings.connectionWindow > DEFAULT_WINDOW) this.queue(windowUpdateFrame(0, settings.connectionWindow - DEFAULT_WINDOW));
  }

  get isDead(): boolean {
    return this.dead;
  }

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * A PING; when nothing at all comes back within `timeoutMs`, the peer is
   * taken for gone and the socket destroyed (a connection can die without
   * closing: a host that vanished, a NAT that forgot it). One check at a time.
   */
  checkAlive(timeoutMs: number): void {
    if (this.dead || this.aliveCheck) return;
    const sentAt = Date.now();
    this.queue(frame(FrameType.PING, 0, 0, Buffer.alloc(8)));
    this.aliveCheck = setTimeout(() => {
      this.aliveCheck = undefined;
      if (this.lastReceivedAt < sentAt) this.socket.destroy();
    }, timeoutMs);
    this.aliveCheck.unref();
  }

  /** A complete header block for stream `id` (decoded: the decoder's table follows the peer's whatever becomes of the stream). */
  protected abstract onHeaderBlock(id: number, endStream: boolean, decoded: DecodedBlock): void;
  /** Stream `id` was never opened (and so cannot carry DATA, RST_STREAM or WINDOW_UPDATE yet). */
  protected abstract isIdle(id: number): boolean;
  /** The peer sent GOAWAY naming its last stream. */
  protected onGoaway(lastStreamId: number): void {
    void lastStreamId;
    this.peerGoingAway = true;
    this.endIfIdle();
  }
  /** Our side ended while the peer's is still open. */
  protected abstract localEndedFirst(stream: H2Stream): void;
  /** The peer's side ended while ours is still open. */
  protected abstract remoteEndedFirst(stream: H2Stream): void;

  // --- input ---------------------------------------------------------------

  private receive(chunk: Buffer): void {
    this.lastReceivedAt = Date.now();
    let off = 0;
    const n = chunk.length;
    if (this.prefaceGot < PREFACE.length) {
      const take = Math.min(PREFACE.length - this.prefaceGot, n);
      for (let i = 0; i < take; i++) {
        if (chunk[i] !== PREFACE[this.prefaceGot + i]) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'invalid connection preface');
      }
      this.prefaceGot += take;
      off = take;
    }
    while (off < n && !this.dead) {
      if (this.payload !== undefined) {
        const take = Math.min(this.payload.length - this.payloadGot, n - off);
        chunk.copy(this.payload, this.payloadGot, off, off + take);
        this.payloadGot += take;
        off += take;
        if (this.payloadGot < this.payload.length) break;
        const p = this.payload;
        this.payload = undefined;
        this.dispatch(p, 0);
        continue;
      }
      if (this.headGot > 0 || n - off < FRAME_HEADER_LENGTH) {
        const take = Math.min(FRAME_HEADER_LENGTH - this.headGot, n - off);
        chunk.copy(this.head, this.headGot, off, off + take);
        this.headGot += take;
        off += take;
        if (this.headGot < FRAME_HEADER_LENGTH) break;
        this.headGot = 0;
        if (!this.beginFrame(this.head, 0)) break;
      } else {
        if (!this.beginFrame(chunk, off)) break;
        off += FRAME_HEADER_LENGTH;
      }
      if (n - off >= this.fLength) {
        this.dispatch(chunk, off);
        off += this.fLength;
      } else {
        this.payload = Buffer.allocUnsafe(this.fLength);
        this.payloadGot = 0;
      }
    }
    if (!this.dead && this.connRecvConsumed >= this.settings.connectionWindow / 2) {
      this.queue(windowUpdateFrame(0, this.connRecvConsumed));
      this.connRecvWindow += this.connRecvConsumed;
      this.connRecvConsumed = 0;
    }
  }

  /** Reads a frame header; false when the frame is refused (the connection is then failing). */
  private beginFrame(buf: Buffer, off: number): boolean {
    this.fLength = (buf[off] << 16) | (buf[off + 1] << 8) | buf[off + 2];
    this.fType = buf[off + 3];
    this.fFlags = buf[off + 4];
    this.fStream = buf.readUInt32BE(off + 5) & 0x7fffffff;
    if (this.fLength > DEFAULT_MAX_FRAME_SIZE) {
      this.fatal(ErrorCode.FRAME_SIZE_ERROR, `frame of ${this.fLength} bytes is larger than SETTINGS_MAX_FRAME_SIZE ${DEFAULT_MAX_FRAME_SIZE}`);
      return false;
    }
    if (this.blockStream !== 0 && (this.fType !== FrameType.CONTINUATION || this.fStream !== this.blockStream)) {
      this.fatal(ErrorCode.PROTOCOL_ERROR, 'expected a CONTINUATION frame for the open header block');
      return false;
    }
    return true;
  }

  private dispatch(buf: Buffer, off: number): void {
    const len = this.fLength;
    switch (this.fType) {
      case FrameType.DATA:
        return this.onDataFrame(buf, off, len);
      case FrameType.HEADERS:
        return this.onHeadersFrame(buf, off, len);
      case FrameType.PRIORITY:
        if (this.fStream === 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (len !== 5) return this.fatal(ErrorCode.FRAME_SIZE_ERROR, 'PRIORITY frame of a length other than 5');
        return;
      case FrameType.RST_STREAM:
        return this.onRstStream(buf, off, len);
      case FrameType.SETTINGS:
        return this.onSettings(buf, off, len);
      case FrameType.PUSH_PROMISE:
        return this.fatal(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE was disabled by SETTINGS_ENABLE_PUSH 0');
      case FrameType.PING:
        if (this.fStream !== 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        if (len !== 8) return this.fatal(ErrorCode.FRAME_SIZE_ERROR, 'PING frame of a length other than 8');
        if ((this.fFlags & Flag.ACK) === 0) this.queue(frame(FrameType.PING, Flag.ACK, 0, buf.subarray(off, off + 8)));
        return;
      case FrameType.GOAWAY:
        if (this.fStream !== 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
        if (len < 8) return this.fatal(ErrorCode.FRAME_SIZE_ERROR, 'GOAWAY frame shorter than 8 bytes');
        return this.onGoaway(buf.readUInt32BE(off) & 0x7fffffff);
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(buf, off, len);
      case FrameType.CONTINUATION:
        return this.onContinuation(buf, off, len);
      default:
        return; // unknown frame types are ignored (§5.5)
    }
  }

  private onDataFrame(buf: Buffer, off: number, len: number): void {
    const id = this.fStream;
    if (id === 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    if (len > this.connRecvWindow) return this.fatal(ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the connection flow-control window');
    this.connRecvWindow -= len;
    this.connRecvConsumed += len; // handed over at once, so consumed at once
    let start = off;
    let end = off + len;
    if (this.fFlags & Flag.PADDED) {
      if (len < 1) return this.fatal(ErrorCode.FRAME_SIZE_ERROR, 'padded DATA frame without a pad length');
      const pad = buf[off];
      start++;
      if (pad > end - start) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'DATA padding longer than the frame');
      end -= pad;
    }
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (this.isIdle(id)) return this.fatal(ErrorCode.PROTOCOL_ERROR, `DATA on idle stream ${id}`);
      return; // a stream already closed: the peer may not know yet (§5.1); only the connection window counts
    }
    if (stream.remoteEnded) return this.resetStream(stream, ErrorCode.STREAM_CLOSED);
    if (len > stream.recvWindow) return this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
    stream.recvWindow -= len;
    stream.recvConsumed += len;
    stream.received += end - start;
    if (end > start) stream.handler.data(buf.subarray(start, end));
    if (stream.closed) return;
    if (this.fFlags & Flag.END_STREAM) return this.remoteEnd(stream);
    if (stream.recvConsumed >= this.settings.streamWindow / 2) {
      this.queue(windowUpdateFrame(id, stream.recvConsumed));
      stream.recvWindow += stream.recvConsumed;
      stream.recvConsumed = 0;
    }
  }

  private onHeadersFrame(buf: Buffer, off: number, len: number): void {
    const id = this.fStream;
    if (id === 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    let start = off;
    let end = off + len;
    if (this.fFlags & Flag.PADDED) {
      if (len < 1) return this.fatal(ErrorCode.FRAME_SIZE_ERROR, 'padded HEADERS frame without a pad length');
      const pad = buf[off];
      start++;
      if (pad > end - start) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'HEADERS padding longer than the frame');
      end -= pad;
    }
    if (this.fFlags & Flag.PRIORITY) {
      if (end - start < 5) return this.fatal(ErrorCode.FRAME_SIZE_ERROR, 'HEADERS priority fields cut short');
      start += 5;
    }
    const fragment = buf.subarray(start, end);
    const endStream = (this.fFlags & Flag.END_STREAM) !== 0;
    if (this.fFlags & Flag.END_HEADERS) return this.headerBlock(id, endStream, fragment);
    this.blockStream = id;
    this.blockEnd = endStream;
    this.blockParts = [fragment];
    this.blockLength = fragment.length;
  }

  private onContinuation(buf: Buffer, off: number, len: number): void {
    if (this.blockStream === 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without HEADERS');
    this.blockParts.push(buf.subarray(off, off + len));
    this.blockLength += len;
    if (this.blockLength > MAX_BLOCK_FACTOR * this.settings.maxHeaderListSize) {
      return this.fatal(ErrorCode.ENHANCE_YOUR_CALM, 'header block too large');
    }
    if ((this.fFlags & Flag.END_HEADERS) === 0) return;
    const id = this.blockStream;
    const block = Buffer.concat(this.blockParts, this.blockLength);
    this.blockStream = 0;
    this.blockParts = [];
    this.headerBlock(id, this.blockEnd, block);
  }

  private headerBlock(id: number, endStream: boolean, block: Buffer): void {
    let decoded: DecodedBlock;
    try {
      decoded = this.decoder.decode(block);
    } catch (err) {
      return this.fatal(ErrorCode.COMPRESSION_ERROR, err instanceof HpackError ? err.message : 'invalid header block');
    }
    this.onHeaderBlock(id, endStream, decoded);
  }

  private onRstStream(buf: Buffer, off: number, len: number): void {
    const id = this.fStream;
    if (id === 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (len !== 4) return this.fatal(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM frame of a length other than 4');
    if (this.isIdle(id)) return this.fatal(ErrorCode.PROTOCOL_ERROR, `RST_STREAM on idle stream ${id}`);
    const stream = this.streams.get(id);
    if (stream !== undefined) this.finishStream(stream, buf.readUInt32BE(off));
  }

  private onSettings(buf: Buffer, off: number, len: number): void {
    if (this.fStream !== 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (this.fFlags & Flag.ACK) {
      if (len !== 0) return this.fatal(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      return;
    }
    if (len % 6 !== 0) return this.fatal(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS payload not a multiple of 6');
    for (let p = off; p < off + len; p += 6) {
      const id = buf.readUInt16BE(p);
      const value = buf.readUInt32BE(p + 2);
      switch (id) {
        case Setting.ENABLE_PUSH:
          if (value > 1) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'SETTINGS_ENABLE_PUSH other than 0 or 1');
          break;
        case Setting.MAX_CONCURRENT_STREAMS:
          this.peerMaxConcurrentStreams = value;
          break;
        case Setting.INITIAL_WINDOW_SIZE: {
          if (value > MAX_WINDOW) return this.fatal(ErrorCode.FLOW_CONTROL_ERROR, 'SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1');
          const delta = value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          for (const stream of this.streams.values()) {
            stream.sendWindow += delta;
            if (stream.sendWindow > MAX_WINDOW) return this.fatal(ErrorCode.FLOW_CONTROL_ERROR, 'a stream window above 2^31-1');
          }
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_ALLOWED_FRAME_SIZE) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'SETTINGS_MAX_FRAME_SIZE out of range');
          this.peerMaxFrameSize = value;
          break;
        default:
          break; // the rest bind us to nothing we do (we never index or push); unknown ones are ignored
      }
    }
    this.queue(frame(FrameType.SETTINGS, Flag.ACK, 0));
    for (const stream of this.streams.values()) if (stream.pending.length > 0) this.trySend(stream);
    this.settle();
  }

  private onWindowUpdate(buf: Buffer, off: number, len: number): void {
    if (len !== 4) return this.fatal(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE frame of a length other than 4');
    const increment = buf.readUInt32BE(off) & 0x7fffffff;
    const id = this.fStream;
    if (id === 0) {
      if (increment === 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE with an increment of 0');
      this.connSendWindow += increment;
      if (this.connSendWindow > MAX_WINDOW) return this.fatal(ErrorCode.FLOW_CONTROL_ERROR, 'connection window above 2^31-1');
      const waiting = [...this.blocked];
      this.blocked.clear();
      for (const stream of waiting) this.trySend(stream);
      return;
    }
    if (this.isIdle(id)) return this.fatal(ErrorCode.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${id}`);
    const stream = this.streams.get(id);
    if (stream === undefined) return; // closed meanwhile
    if (increment === 0) return this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) return this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
    this.trySend(stream);
  }

  protected remoteEnd(stream: H2Stream): void {
    if (stream.contentLength >= 0 && stream.contentLength !== stream.received) return this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
    stream.remoteEnded = true;
    stream.handler.end();
    if (stream.closed) return;
    if (stream.localEnded) this.finishStream(stream);
    else this.remoteEndedFirst(stream);
  }

  // --- output --------------------------------------------------------------

  sendHeaders(stream: H2Stream, block: Buffer, end: boolean): void {
    if (stream.closed || stream.localEnded) return;
    this.queue(headerFrames(stream.id, block, end, this.peerMaxFrameSize));
    if (end) this.localEnd(stream);
  }

  sendData(stream: H2Stream, chunk: Buffer, end: boolean): void {
    if (stream.closed || stream.localEnded || stream.endAfterPending) return;
    if (chunk.length > 0) stream.pending.push(chunk);
    stream.endAfterPending = end;
    this.trySend(stream);
  }

  sendTrailers(stream: H2Stream, block: Buffer): void {
    if (stream.closed || stream.localEnded || stream.endAfterPending) return;
    if (stream.pending.length > 0) {
      stream.pendingTrailers = block;
      return;
    }
    this.queue(headerFrames(stream.id, block, true, this.peerMaxFrameSize));
    this.localEnd(stream);
  }

  /** RST_STREAM: the stream is over for both sides. */
  resetStream(stream: H2Stream, code: number): void {
    if (stream.closed) return;
    this.queue(rstStreamFrame(stream.id, code));
    this.finishStream(stream);
  }

  private trySend(stream: H2Stream): void {
    while (stream.pending.length > 0 && !stream.closed) {
      const chunk = stream.pending[0];
      const allowed = Math.min(stream.sendWindow, this.connSendWindow, this.peerMaxFrameSize);
      if (allowed <= 0) {
        if (this.connSendWindow <= 0) this.blocked.add(stream);
        return;
      }
      const n = Math.min(allowed, chunk.length);
      const last = n === chunk.length && stream.pending.length === 1 && stream.endAfterPending;
      const head = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
      writeFrameHeader(head, 0, n, FrameType.DATA, last ? Flag.END_STREAM : 0, stream.id);
      this.queue(head);
      // The payload goes out as the caller's bytes, not a copy: see flush().
      this.queue(n === chunk.length ? chunk : chunk.subarray(0, n));
      stream.sendWindow -= n;
      this.connSendWindow -= n;
      if (n === chunk.length) stream.pending.shift();
      else stream.pending[0] = chunk.subarray(n);
      if (last) return this.localEnd(stream);
    }
    if (stream.closed || stream.pending.length > 0) return;
    if (stream.endAfterPending) {
      // END_STREAM with no DATA left to carry it.
      this.queue(frame(FrameType.DATA, Flag.END_STREAM, stream.id));
      this.localEnd(stream);
    } else if (stream.pendingTrailers !== undefined) {
      const block = stream.pendingTrailers;
      stream.pendingTrailers = undefined;
      this.queue(headerFrames(stream.id, block, true, this.peerMaxFrameSize));
      this.localEnd(stream);
    }
  }

  private localEnd(stream: H2Stream): void {
    stream.localEnded = true;
    stream.endAfterPending = false;
    if (stream.remoteEnded) this.finishStream(stream);
    else this.localEndedFirst(stream);
  }

  protected finishStream(stream: H2Stream, code?: number): void {
    if (stream.closed) return;
    stream.closed = true;
    stream.pending = [];
    stream.pendingTrailers = undefined;
    this.blocked.delete(stream);
    this.streams.delete(stream.id);
    stream.handler.close(code);
    this.endIfIdle();
  }

  protected endIfIdle(): void {
    if ((this.goawaySent || this.peerGoingAway) && this.streams.size === 0 && !this.dead) {
      this.dead = true;
      this.flush();
      this.socket.end();
    }
  }

  /** Our GOAWAY (NO_ERROR) naming `lastStreamId`; the socket ends once the streams left are done. */
  protected sendGoaway(lastStreamId: number): void {
    if (this.dead || this.goawaySent) return;
    this.goawaySent = true;
    this.queue(goawayFrame(lastStreamId, ErrorCode.NO_ERROR, ''));
    this.endIfIdle();
  }

  /** The last stream the peer opened that we took (GOAWAY names it); 0 on the client side. */
  protected lastPeerStream(): number {
    return 0;
  }

  /** A connection error (§5.4.1): GOAWAY with `code`, then the socket ends. */
  protected fatal(code: number, message: string): void {
    if (this.dead) return;
    this.queue(goawayFrame(this.lastPeerStream(), code, message));
    this.dead = true;
    this.flush();
    this.socket.end();
    // A peer that never closes its side is not waited for.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.closeStreams();
  }

  protected queue(buf: Buffer): void {
    if (this.socket.destroyed) return;
    this.out.push(buf);
    this.outLength += buf.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /**
   * Everything queued in this turn of the event loop: joined into one write
   * when small, else written as it is in one writev (large DATA payloads
   * are not copied).
   */
  private flush(): void {
    this.flushScheduled = false;
    const out = this.out;
    const length = this.outLength;
    this.out = [];
    this.outLength = 0;
    if (out.length === 0 || this.socket.destroyed || !this.socket.writable) return;
    if (out.length === 1) this.socket.write(out[0]);
    else if (length <= JOIN_LIMIT) this.socket.write(Buffer.concat(out, length));
    else {
      this.socket.cork();
      for (const b of out) this.socket.write(b);
      this.socket.uncork();
    }
    if (this.socket.writableLength > MAX_UNREAD_OUTPUT && !this.dead) {
      this.dead = true;
      this.socket.destroy();
    }
  }

  private closeStreams(): void {
    for (const stream of [...this.streams.values()]) {
      stream.closed = true;
      this.streams.delete(stream.id);
      stream.handler.close(CONNECTION_LOST);
    }
    this.blocked.clear();
  }

  private onSocketClose(): void {
    this.settle();
    if (this.aliveCheck) clearTimeout(this.aliveCheck);
    this.dead = true;
    this.out = [];
    this.closeStreams();
  }
}
