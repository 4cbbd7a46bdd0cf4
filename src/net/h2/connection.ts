/**
 * One HTTP/2 connection (RFC 9113): what the server side (server-
 * connection.ts) and the client side (client-connection.ts) share.
 *
 * Why not node:http2: at the rates a sidecar sees (a hundred requests a
 * second, each its own event-loop turn) node:http2 spends about 0.9 ms of
 * CPU per request on this project's benchmark machine, against 0.26 ms for
 * the same bytes over a bare socket: a Duplex stream object, header objects
 * built twice, and two to four socket writes and loop turns per request.
 * Here a request costs one parse per frame (frame-reader.ts), and
 * everything a connection sends in one turn of the event loop goes out in
 * one write (turn-writer.ts).
 *
 * This part is the protocol's state: it answers SETTINGS and PING, takes GOAWAY and RST_STREAM, parses and ignores PRIORITY, joins
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
import { FrameReader } from './frame-reader';
import { HpackDecoder, HpackError, type DecodedBlock } from './hpack';
import { CONNECTION_LOST, type H2Stream } from './stream';
import { TurnWriter } from './turn-writer';

export interface H2Settings {
  /** SETTINGS_INITIAL_WINDOW_SIZE: what a stream may send us before we replenish its window. */
  streamWindow: number;
  /** The connection's receive window, raised from 65,535 right after our SETTINGS. */
  connectionWindow: number;
  maxConcurrentStreams: number;
  maxHeaderListSize: number;
}

const ignore = (): void => {};
/** A header block longer than this many times SETTINGS_MAX_HEADER_LIST_SIZE (compressed) is refused undecoded: a CONTINUATION flood. */
const MAX_BLOCK_FACTOR = 4;

export abstract class H2Connection {
  protected readonly streams = new Map<number, H2Stream>();
  private readonly decoder: HpackDecoder;
  /** The frame being read: its header fields are the reader's. */
  private readonly reader: FrameReader;
  private readonly writer: TurnWriter;
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
    this.reader = new FrameReader(isServer, {
      header: () => this.acceptFrame(),
      frame: (buf, off) => this.dispatch(buf, off),
      badPreface: () => this.fatal(ErrorCode.PROTOCOL_ERROR, 'invalid connection preface'),
      stopped: () => this.dead,
    });
    this.writer = new TurnWriter(socket);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', ignore);
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
    this.reader.push(chunk);
    if (!this.dead && this.connRecvConsumed >= this.settings.connectionWindow / 2) {
      this.queue(windowUpdateFrame(0, this.connRecvConsumed));
      this.connRecvWindow += this.connRecvConsumed;
      this.connRecvConsumed = 0;
    }
  }

  /** A frame header was read; false when the frame is refused (the connection is then failing). */
  private acceptFrame(): boolean {
    const f = this.reader;
    if (f.length > DEFAULT_MAX_FRAME_SIZE) {
      this.fatal(ErrorCode.FRAME_SIZE_ERROR, `frame of ${f.length} bytes is larger than SETTINGS_MAX_FRAME_SIZE ${DEFAULT_MAX_FRAME_SIZE}`);
      return false;
    }
    if (this.blockStream !== 0 && (f.type !== FrameType.CONTINUATION || f.streamId !== this.blockStream)) {
      this.fatal(ErrorCode.PROTOCOL_ERROR, 'expected a CONTINUATION frame for the open header block');
      return false;
    }
    return true;
  }

  private dispatch(buf: Buffer, off: number): void {
    const len = this.reader.length;
    switch (this.reader.type) {
      case FrameType.DATA:
        return this.onDataFrame(buf, off, len);
      case FrameType.HEADERS:
        return this.onHeadersFrame(buf, off, len);
      case FrameType.PRIORITY:
        if (this.reader.streamId === 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (len !== 5) return this.fatal(ErrorCode.FRAME_SIZE_ERROR, 'PRIORITY frame of a length other than 5');
        return;
      case FrameType.RST_STREAM:
        return this.onRstStream(buf, off, len);
      case FrameType.SETTINGS:
        return this.onSettings(buf, off, len);
      case FrameType.PUSH_PROMISE:
        return this.fatal(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE was disabled by SETTINGS_ENABLE_PUSH 0');
      case FrameType.PING:
        if (this.reader.streamId !== 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        if (len !== 8) return this.fatal(ErrorCode.FRAME_SIZE_ERROR, 'PING frame of a length other than 8');
        if ((this.reader.flags & Flag.ACK) === 0) this.queue(frame(FrameType.PING, Flag.ACK, 0, buf.subarray(off, off + 8)));
        return;
      case FrameType.GOAWAY:
        if (this.reader.streamId !== 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
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
    const id = this.reader.streamId;
    if (id === 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    if (len > this.connRecvWindow) return this.fatal(ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the connection flow-control window');
    this.connRecvWindow -= len;
    this.connRecvConsumed += len; // handed over at once, so consumed at once
    const end = this.unpadded(buf, off, len, 'DATA');
    if (end < 0) return;
    const start = this.reader.flags & Flag.PADDED ? off + 1 : off;
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
    if (this.reader.flags & Flag.END_STREAM) return this.remoteEnd(stream);
    if (stream.recvConsumed >= this.settings.streamWindow / 2) {
      this.queue(windowUpdateFrame(id, stream.recvConsumed));
      stream.recvWindow += stream.recvConsumed;
      stream.recvConsumed = 0;
    }
  }

  /** Where a DATA or HEADERS payload ends once its padding (§6.1) is taken off; -1 when the padding is malformed (the connection is then failing). */
  private unpadded(buf: Buffer, off: number, len: number, what: string): number {
    if ((this.reader.flags & Flag.PADDED) === 0) return off + len;
    if (len < 1) {
      this.fatal(ErrorCode.FRAME_SIZE_ERROR, `padded ${what} frame without a pad length`);
      return -1;
    }
    const pad = buf[off];
    if (pad > len - 1) {
      this.fatal(ErrorCode.PROTOCOL_ERROR, `${what} padding longer than the frame`);
      return -1;
    }
    return off + len - pad;
  }

  private onHeadersFrame(buf: Buffer, off: number, len: number): void {
    const id = this.reader.streamId;
    if (id === 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    const end = this.unpadded(buf, off, len, 'HEADERS');
    if (end < 0) return;
    let start = this.reader.flags & Flag.PADDED ? off + 1 : off;
    if (this.reader.flags & Flag.PRIORITY) {
      if (end - start < 5) return this.fatal(ErrorCode.FRAME_SIZE_ERROR, 'HEADERS priority fields cut short');
      start += 5;
    }
    const fragment = buf.subarray(start, end);
    const endStream = (this.reader.flags & Flag.END_STREAM) !== 0;
    if (this.reader.flags & Flag.END_HEADERS) return this.headerBlock(id, endStream, fragment);
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
    if ((this.reader.flags & Flag.END_HEADERS) === 0) return;
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
    const id = this.reader.streamId;
    if (id === 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (len !== 4) return this.fatal(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM frame of a length other than 4');
    if (this.isIdle(id)) return this.fatal(ErrorCode.PROTOCOL_ERROR, `RST_STREAM on idle stream ${id}`);
    const stream = this.streams.get(id);
    if (stream !== undefined) this.finishStream(stream, buf.readUInt32BE(off));
  }

  private onSettings(buf: Buffer, off: number, len: number): void {
    if (this.reader.streamId !== 0) return this.fatal(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (this.reader.flags & Flag.ACK) {
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
    const id = this.reader.streamId;
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
      this.writer.flush();
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
    this.writer.flush();
    this.socket.end();
    // A peer that never closes its side is not waited for.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.closeStreams();
  }

  protected queue(buf: Buffer): void {
    this.writer.queue(buf);
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
    this.writer.clear();
    this.closeStreams();
  }
}
