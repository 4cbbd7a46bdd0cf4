/**
 * Test helper for wal-crash.test.ts (not used by the daemon): appends to a
 * write-ahead log as fast as it can, printing each id only after its append
 * (or ACK) resolved, until it is killed.
 */
import { WriteAheadLog } from './wal';
import { silentLogger } from '../../telemetry/logger';

async function main(dir: string): Promise<void> {
  const wal = new WriteAheadLog(dir, { maxBytes: 64 << 20, segmentBytes: 16 << 10, logger: silentLogger });
  wal.open();
  for (let i = 0; ; i++) {
    const body = Buffer.from(`rec-${i}-`.padEnd(40 + (i % 200), 'x'));
    // Several in parallel, so group commits are exercised too.
    const ids = await Promise.all([0, 1, 2].map((k) => wal.append(Buffer.concat([body, Buffer.from(`-${k}`)]), i)));
    process.stdout.write(ids.map((id, k) => `data ${id} ${body.toString()}-${k}\n`).join(''));
    if (i % 2 === 0) {
      // Said before the ACK starts: a kill can land after the ACK reached the
      // file but before "ack" is printed, so such an id may go either way.
      process.stdout.write(`acking ${ids[0]}\n`);
      await wal.ack(ids[0]);
      process.stdout.write(`ack ${ids[0]}\n`);
    }
  }
}

void main(process.argv[2]);
