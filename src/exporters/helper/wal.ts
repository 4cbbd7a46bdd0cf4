/**
 * The persistent sending queue: an append-only write-ahead log in a
 * directory of numbered segment files.
 *
 * Each record (wal-record.ts) is length-prefixed and CRC-32-checked: DATA
 * holds a batch, ACK says the batch with that id is done (sent, or dropped as
 * permanent); replay returns every DATA without an ACK, in order.
 *
 * Appends are written and fdatasync'd before they resolve (several appends
 * waiting together share one write and one sync). New records always go to a
 * fresh segment after a restart, so a torn tail is never appended to. A
 * segment is deleted once it and every older one hold no unacknowledged
 * batch; deleting oldest-first keeps ACKs from outliving the data they cancel.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../telemetry/logger';
import { ackRecord, dataRecord, DATA_PREFIX, HEADER, parseRecords } from './wal-record';

const writeAsync = promisify(fs.write);
const readAsync = promisify(fs.read);
const fdatasyncAsync = promisify(fs.fdatasync);

const NAME = /^segment-(\d{12})\.wal$/;

/** The log cannot take this record now (full) or ever (`tooLarge`). */
export class WalFullError extends Error {
  constructor(
    message: string,
    readonly tooLarge: boolean,
  ) {
    super(message);
    this.name = 'WalFullError';
  }
}

export interface WalEntry {
  id: number;
  items: number;
  tag: number;
}

export interface WalOptions {
  /** Bound on the bytes of all segment files; appends beyond it are refused. */
  maxBytes: number;
  /** Rotate to a new segment past this size; default maxBytes/16, at most 32MiB. */
  segmentBytes?: number;
  logger: Logger;
}

interface Segment {
  seq: number;
  file: string;
  bytes: number;
  /** Ids of DATA records here not yet acknowledged. */
  live: Set<number>;
  /** Writes queued or under way; the segment is not deleted while any are. */
  writing: number;
  writeFd?: number;
  readFd?: number;
  broken?: boolean;
}

interface Location {
  seg: Segment;
  offset: number;
  length: number;
}

interface PendingWrite {
  seg: Segment;
  buf: Buffer;
  resolve(): void;
  reject(err: unknown): void;
}

export class WriteAheadLog {
  private readonly segments: Segment[] = [];
  private readonly where = new Map<number, Location>();
  private current: Segment | undefined;
  private nextId = 1;
  private lastSeq = 0;
  private totalBytes = 0;
  private pending: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;
  private readonly segmentBytes: number;

  constructor(
    readonly dir: string,
    private readonly opts: WalOptions,
  ) {
    this.segmentBytes = opts.segmentBytes ?? Math.max(1, Math.min(32 << 20, Math.floor(opts.maxBytes / 16)));
  }

  /** Bytes of all segment files (what `maxBytes` bounds). */
  get sizeBytes(): number {
    return this.totalBytes;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Reads every segment and returns the unacknowledged batches, oldest first. */
  open(): WalEntry[] {
    fs.mkdirSync(this.dir, { recursive: true });
    const seqs = fs
      .readdirSync(this.dir)
      .map((f) => NAME.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const entries = new Map<number, WalEntry>();
    for (const seq of seqs) {
      const seg = this.newSegment(seq);
      this.lastSeq = seq;
      this.replaySegment(seg, entries);
      this.segments.push(seg);
      this.totalBytes += seg.bytes;
    }
    this.compact();
    const out: WalEntry[] = [];
    for (const [id, e] of entries) if (this.where.has(id)) out.push(e);
    out.sort((a, b) => a.id - b.id);
    return out;
  }

  /** Writes and syncs one batch; resolves to its id. Throws WalFullError when it does not fit. */
  async append(bytes: Uint8Array, items: number, tag = 0): Promise<number> {
    const length = HEADER + DATA_PREFIX + bytes.length;
    if (length > this.opts.maxBytes) throw new WalFullError(`a batch of ${length} bytes exceeds the queue's max_size of ${this.opts.maxBytes} bytes`, true);
    if (this.totalBytes + length > this.opts.maxBytes) this.retireIdleSegment();
    if (this.totalBytes + length > this.opts.maxBytes) throw new WalFullError(`the persistent queue is full (${this.totalBytes} of ${this.opts.maxBytes} bytes)`, false);
    const id = this.nextId++;
    const buf = dataRecord(id, tag, items, bytes);
    const seg = this.segmentFor(length);
    // segmentFor has already counted this record in seg.bytes.
    this.where.set(id, { seg, offset: seg.bytes - length + HEADER + DATA_PREFIX, length: bytes.length });
    seg.live.add(id);
    try {
      await this.write(seg, buf);
    } catch (err) {
      this.where.delete(id);
      seg.live.delete(id);
      throw err;
    }
    return id;
  }

  /** The encoded batch of an unacknowledged id. */
  async read(id: number): Promise<Uint8Array> {
    const loc = this.where.get(id);
    if (!loc) throw new Error(`no unacknowledged batch ${id} in the persistent queue`);
    loc.seg.readFd ??= fs.openSync(loc.seg.file, 'r');
    const out = Buffer.allocUnsafe(loc.length);
    const { bytesRead } = await readAsync(loc.seg.readFd, out, 0, loc.length, loc.offset);
    if (bytesRead !== loc.length) throw new Error(`batch ${id} is truncated in ${loc.seg.file}`);
    return out;
  }

  /** Records that the batch is done; its space is reclaimed when its segment (and all older) are done. */
  async ack(id: number): Promise<void> {
    const loc = this.where.get(id);
    if (!loc) return;
    this.where.delete(id);
    loc.seg.live.delete(id);
    const buf = ackRecord(id);
    const seg = this.segmentFor(buf.length);
    try {
      await this.write(seg, buf);
    } finally {
      this.compact();
    }
  }

  /** Waits for pending writes and closes every file. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    for (const seg of this.segments) closeFds(seg);
    this.current = undefined;
  }

  private newSegment(seq: number): Segment {
    return { seq, file: path.join(this.dir, `segment-${String(seq).padStart(12, '0')}.wal`), bytes: 0, live: new Set(), writing: 0 };
  }

  /** The segment to append `length` bytes to, rotating when the current one is full or broken. */
  private segmentFor(length: number): Segment {
    const cur = this.current;
    if (cur && !cur.broken && (cur.bytes === 0 || cur.bytes + length <= this.segmentBytes)) {
      cur.bytes += length;
      this.totalBytes += length;
      return cur;
    }
    const seg = this.newSegment(++this.lastSeq);
    seg.writeFd = fs.openSync(seg.file, 'a');
    this.segments.push(seg);
    this.current = seg;
    seg.bytes = length;
    this.totalBytes += length;
    // The old segment is complete; its write handle is no longer needed once its writes land.
    if (cur) this.compact();
    return seg;
  }

  private write(seg: Segment, buf: Buffer): Promise<void> {
    seg.writing++;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ seg, buf, resolve, reject });
      this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
    }).finally(() => seg.writing--);
  }

  /** Writes waiting records, one write + one sync per segment run. */
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const seg = this.pending[0].seg;
      let n = 1;
      while (n < this.pending.length && this.pending[n].seg === seg) n++;
      const run = this.pending.splice(0, n);
      try {
        if (seg.writeFd === undefined) throw new Error(`segment ${seg.file} is closed`);
        const data = run.length === 1 ? run[0].buf : Buffer.concat(run.map((w) => w.buf));
        let off = 0;
        while (off < data.length) off += (await writeAsync(seg.writeFd, data, off, data.length - off)).bytesWritten;
        await fdatasyncAsync(seg.writeFd);
        for (const w of run) w.resolve();
      } catch (err) {
        // Offsets after a failed write are unknown: never append to this segment again.
        seg.broken = true;
        this.opts.logger.error('persistent queue write failed', { file: seg.file, error: String(err) });
        for (const w of run) w.reject(err);
      }
    }
    // Segments rotated away from can close their write handles now.
    for (const seg of this.segments) if (seg !== this.current && seg.writing === 0) closeWrite(seg);
  }

  /** Reads one segment's records into the live set; a bad record ends the segment, which is cut there. */
  private replaySegment(seg: Segment, entries: Map<number, WalEntry>): void {
    const buf = fs.readFileSync(seg.file);
    const { records, end, problem } = parseRecords(buf);
    for (const r of records) {
      if (r.type === 'data') {
        seg.live.add(r.id);
        entries.set(r.id, { id: r.id, tag: r.tag, items: r.items });
        this.where.set(r.id, { seg, offset: r.dataOffset, length: r.dataLength });
      } else {
        const loc = this.where.get(r.id);
        if (loc) {
          loc.seg.live.delete(r.id);
          this.where.delete(r.id);
        }
      }
      if (r.id >= this.nextId) this.nextId = r.id + 1;
    }
    seg.bytes = end;
    if (problem !== undefined) {
      // Logged once: cutting the file here means the next start finds it clean.
      this.opts.logger.warn('persistent queue: skipping a torn or corrupt tail', { file: seg.file, offset: end, skipped_bytes: buf.length - end, problem });
      fs.truncateSync(seg.file, end);
    }
  }

  /** When full, the segment being written may hold only finished records: start afresh. */
  private retireIdleSegment(): void {
    const cur = this.current;
    if (!cur || cur.live.size > 0 || cur.writing > 0 || this.segments[0] !== cur) return;
    this.current = undefined;
    this.compact();
  }

  /** Deletes fully acknowledged segments, oldest first, never the one being written. */
  private compact(): void {
    while (this.segments.length > 0) {
      const seg = this.segments[0];
      if (seg === this.current || seg.live.size > 0) return;
      if (seg.writing > 0) return;
      this.segments.shift();
      closeFds(seg);
      try {
        fs.unlinkSync(seg.file);
      } catch (err) {
        this.opts.logger.warn('persistent queue: could not delete a finished segment', { file: seg.file, error: String(err) });
      }
      this.totalBytes -= seg.bytes;
    }
  }
}

function closeWrite(seg: Segment): void {
  if (seg.writeFd === undefined) return;
  try {
    fs.closeSync(seg.writeFd);
  } catch {
    /* already closed */
  }
  seg.writeFd = undefined;
}

function closeFds(seg: Segment): void {
  closeWrite(seg);
  if (seg.readFd !== undefined) {
    try {
      fs.closeSync(seg.readFd);
    } catch {
      /* already closed */
    }
    seg.readFd = undefined;
  }
}
