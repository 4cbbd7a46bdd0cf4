/**
 * The write-ahead log's record format (wal.ts).
 *
 * Record: u32 payload length, u32 CRC-32 of the payload, payload. Payload:
 * u8 type, u48 id, then for DATA a u8 tag (the caller's, e.g. the signal), a
 * u32 item count and the encoded batch. An ACK says the batch with that id is
 * done (sent, or dropped as permanent).
 */
import { crc32 } from './crc32';

export const HEADER = 8;
const DATA = 1;
const ACK = 2;
/** Payload bytes of a DATA record before the batch. */
export const DATA_PREFIX = 1 + 6 + 1 + 4;
const ACK_PAYLOAD = 1 + 6;

/** A sealed DATA record. */
export function dataRecord(id: number, tag: number, items: number, bytes: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + DATA_PREFIX + bytes.length);
  buf.writeUInt8(DATA, HEADER);
  buf.writeUIntBE(id, HEADER + 1, 6);
  buf.writeUInt8(tag, HEADER + 7);
  buf.writeUInt32BE(items, HEADER + 8);
  buf.set(bytes, HEADER + DATA_PREFIX);
  return seal(buf);
}

/** A sealed ACK record. */
export function ackRecord(id: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + ACK_PAYLOAD);
  buf.writeUInt8(ACK, HEADER);
  buf.writeUIntBE(id, HEADER + 1, 6);
  return seal(buf);
}

export type ParsedRecord =
  | { type: 'data'; id: number; tag: number; items: number; dataOffset: number; dataLength: number }
  | { type: 'ack'; id: number };

/**
 * Every valid record of a segment, in order, up to the first bad one:
 * `end` is where the valid prefix stops and `problem` says why, if it stops early.
 */
export function parseRecords(buf: Buffer): { records: ParsedRecord[]; end: number; problem?: string } {
  const records: ParsedRecord[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < HEADER) return { records, end: off, problem: 'torn record header' };
    const len = buf.readUInt32BE(off);
    if (len < ACK_PAYLOAD) return { records, end: off, problem: 'bad record length' };
    if (off + HEADER + len > buf.length) return { records, end: off, problem: 'torn record' };
    if (crc32(buf, off + HEADER, off + HEADER + len) !== buf.readUInt32BE(off + 4)) return { records, end: off, problem: 'checksum mismatch' };
    const p = off + HEADER;
    const type = buf.readUInt8(p);
    const id = buf.readUIntBE(p + 1, 6);
    if (type === DATA && len >= DATA_PREFIX) {
      records.push({ type: 'data', id, tag: buf.readUInt8(p + 7), items: buf.readUInt32BE(p + 8), dataOffset: p + DATA_PREFIX, dataLength: len - DATA_PREFIX });
    } else if (type === ACK) {
      records.push({ type: 'ack', id });
    } else {
      return { records, end: off, problem: `bad record type ${type}` };
    }
    off += HEADER + len;
  }
  return { records, end: off };
}

function seal(buf: Buffer): Buffer {
  buf.writeUInt32BE(buf.length - HEADER, 0);
  buf.writeUInt32BE(crc32(buf, HEADER), 4);
  return buf;
}
