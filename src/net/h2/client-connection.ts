/**
 * The client side of an HTTP/2 connection (connection.ts has what both
 * sides share): streams we open one request at a time, the server's header
 * blocks handed to the stream's handler, and the server's GOAWAY, after
 * which streams it did not take end as refused (safe to send again) and no
 * new ones open.
 */
import type * as net from 'node:net';
import { H2Connection, type H2Settings } from './connection';
import { H2Stream, type StreamHandler } from './stream';
import { ErrorCode } from './frames';
import type { DecodedBlock } from './hpack';

const MAX_STREAM_ID = 2 ** 31 - 1;

export class H2ClientConnection extends H2Connection {
  private nextStreamId = 1;

  constructor(socket: net.Socket, settings: H2Settings) {
    super(socket, settings, false);
  }

  /** A new stream may open now (not closing, under the server's SETTINGS_MAX_CONCURRENT_STREAMS, ids left). */
  get canOpen(): boolean {
    return !this.dead && !this.goawaySent && !this.peerGoingAway && this.streams.size < this.peerMaxConcurrentStreams && this.nextStreamId <= MAX_STREAM_ID;
  }

  /** Whether the connection will take no more streams (closing or out of ids): a new one is needed. */
  get spent(): boolean {
    return this.dead || this.goawaySent || this.peerGoingAway || this.nextStreamId > MAX_STREAM_ID;
  }

  /** Opens a stream with request headers `block` (an HPACK block); `canOpen` must hold. */
  open(block: Buffer, handler: StreamHandler, endStream = false): H2Stream {
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new H2Stream(this, id, this.settings.streamWindow, this.peerInitialWindow);
    stream.handler = handler;
    this.streams.set(id, stream);
    this.sendHeaders(stream, block, endStream);
    return stream;
  }

  /** No more streams; the socket ends when the open ones are done. */
  close(): void {
    this.sendGoaway(0);
  }

  protected isIdle(id: number): boolean {
    return id % 2 === 0 || id >= this.nextStreamId;
  }

  protected onHeaderBlock(id: number, endStream: boolean, decoded: DecodedBlock): void {
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (this.isIdle(id)) return this.fatal(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${id}, which we did not open`);
      return; // a stream we already closed
    }
    if (stream.remoteEnded) return this.resetStream(stream, ErrorCode.STREAM_CLOSED);
    if (decoded.tooLarge) return this.resetStream(stream, ErrorCode.ENHANCE_YOUR_CALM);
    stream.handler.headerFields?.(decoded.fields, endStream);
    if (endStream && !stream.closed) this.remoteEnd(stream);
  }

  protected override onGoaway(lastStreamId: number): void {
    // Streams above the server's last were never processed: they end as refused.
    for (const stream of [...this.streams.values()]) {
      if (stream.id > lastStreamId) this.finishStream(stream, ErrorCode.REFUSED_STREAM);
    }
    super.onGoaway(lastStreamId);
  }

  /** The request is sent; the response comes. */
  protected localEndedFirst(): void {}

  /** The server answered before taking the whole request: stop sending it. */
  protected remoteEndedFirst(stream: H2Stream): void {
    this.resetStream(stream, ErrorCode.CANCEL);
  }
}
