/**
 * One HTTP/2 stream as the connection keeps it (connection.ts): both sides'
 * ends, both flow-control windows, what waits to be sent, and the handler
 * that is told what arrives.
 */
import type { H2Connection } from './connection';

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
