/**
 * What an HTTP/2 connection sends in one turn of the event loop, written
 * together once the turn's work is done (`setImmediate`): joined into one
 * buffer when small, else handed over as it is in one writev, so large DATA
 * payloads are not copied (a copy of every export is memory outside V8's
 * heap, whose growth brings on full collections).
 */
import type * as net from 'node:net';

/** Output a peer leaves unread beyond this is a peer flooding us (pings, resets): the socket is destroyed. */
const MAX_UNREAD_OUTPUT = 16 * 1024 * 1024;
/** The most joined into one buffer; more goes out as one writev. */
const JOIN_LIMIT = 4 * 1024;

export class TurnWriter {
  private out: Buffer[] = [];
  private outLength = 0;
  private scheduled = false;

  constructor(private readonly socket: net.Socket) {}

  queue(buf: Buffer): void {
    if (this.socket.destroyed) return;
    this.out.push(buf);
    this.outLength += buf.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is queued now (also called before the socket ends). */
  flush(): void {
    this.scheduled = false;
    const out = this.out;
    const length = this.outLength;
    this.out = [];
    this.outLength = 0;
    const socket = this.socket;
    if (out.length === 0 || socket.destroyed || !socket.writable) return;
    if (out.length === 1) socket.write(out[0]);
    else if (length <= JOIN_LIMIT) socket.write(Buffer.concat(out, length));
    else {
      socket.cork();
      for (const b of out) socket.write(b);
      socket.uncork();
    }
    if (socket.writableLength > MAX_UNREAD_OUTPUT) socket.destroy();
  }

  /** Drops what is queued (the socket is gone). */
  clear(): void {
    this.out = [];
    this.outLength = 0;
  }
}
