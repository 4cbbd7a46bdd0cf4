/**
 * HTTP/2 framing of a byte stream (RFC 9113 §3.4, §4.1): the client's
 * connection preface when we are the server, then frames, however the
 * socket's chunks cut them. A frame inside one chunk is handed over as a
 * view of it (no copy); only a frame that spans chunks is assembled.
 */
import { FRAME_HEADER_LENGTH, PREFACE } from './frames';

export interface FrameListener {
  /** The header of the next frame is read (see the reader's fields); false refuses the frame and stops reading. */
  header(): boolean;
  /** The frame's payload: `length` bytes of `buf` from `offset`. */
  frame(buf: Buffer, offset: number): void;
  /** The bytes before the first frame were not the connection preface. */
  badPreface(): void;
  /** Whether to stop reading (the connection is ending). */
  stopped(): boolean;
}

export class FrameReader {
  /** The current frame's header fields. */
  length = 0;
  type = 0;
  flags = 0;
  streamId = 0;
  private prefaceGot: number;
  private readonly head = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
  private headGot = 0;
  /** The payload of a frame that spans chunks, as it is assembled. */
  private payload: Buffer | undefined;
  private payloadGot = 0;

  constructor(
    expectPreface: boolean,
    private readonly listener: FrameListener,
  ) {
    this.prefaceGot = expectPreface ? 0 : PREFACE.length;
  }

  push(chunk: Buffer): void {
    let off = 0;
    const n = chunk.length;
    if (this.prefaceGot < PREFACE.length) {
      const take = Math.min(PREFACE.length - this.prefaceGot, n);
      for (let i = 0; i < take; i++) {
        if (chunk[i] !== PREFACE[this.prefaceGot + i]) return this.listener.badPreface();
      }
      this.prefaceGot += take;
      off = take;
    }
    while (off < n && !this.listener.stopped()) {
      if (this.payload !== undefined) {
        const take = Math.min(this.payload.length - this.payloadGot, n - off);
        chunk.copy(this.payload, this.payloadGot, off, off + take);
        this.payloadGot += take;
        off += take;
        if (this.payloadGot < this.payload.length) break;
        const p = this.payload;
        this.payload = undefined;
        this.listener.frame(p, 0);
        continue;
      }
      if (this.headGot > 0 || n - off < FRAME_HEADER_LENGTH) {
        const take = Math.min(FRAME_HEADER_LENGTH - this.headGot, n - off);
        chunk.copy(this.head, this.headGot, off, off + take);
        this.headGot += take;
        off += take;
        if (this.headGot < FRAME_HEADER_LENGTH) break;
        this.headGot = 0;
        if (!this.readHeader(this.head, 0)) break;
      } else {
        if (!this.readHeader(chunk, off)) break;
        off += FRAME_HEADER_LENGTH;
      }
      if (n - off >= this.length) {
        this.listener.frame(chunk, off);
        off += this.length;
      } else {
        this.payload = Buffer.allocUnsafe(this.length);
        this.payloadGot = 0;
      }
    }
  }

  private readHeader(buf: Buffer, off: number): boolean {
    this.length = (buf[off] << 16) | (buf[off + 1] << 8) | buf[off + 2];
    this.type = buf[off + 3];
    this.flags = buf[off + 4];
    this.streamId = buf.readUInt32BE(off + 5) & 0x7fffffff;
    return this.listener.header();
  }
}
