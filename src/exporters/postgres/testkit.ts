/**
 * Test support: a TCP proxy in front of a real PostgreSQL that can lose the
 * reply to a COMMIT. Armed, it forwards the client's `COMMIT` to the server,
 * waits for the server's answer (so the transaction did commit), and then
 * closes the client's connection instead of passing the answer on: the
 * ambiguous commit a network failure produces, made deterministic.
 */
import net from 'node:net';

export class CommitReplyDropper {
  /** Commits whose reply is still to be lost. */
  armed = 0;
  /** Replies lost so far. */
  dropped = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<CommitReplyDropper> {
    let self: CommitReplyDropper | undefined;
    const server = net.createServer((client) => self!.pipe(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new CommitReplyDropper(server, (server.address() as net.AddressInfo).port);
    return self;
  }

  /** The URL to give the exporter instead of the server's. */
  url(database = 'otel'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private pipe(client: net.Socket, targetPort: number): void {
    const upstream = net.connect(targetPort, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    let pending = Buffer.alloc(0);
    let startup = true;
    let committing = false;
    client.on('data', (data: Buffer) => {
      upstream.write(data);
      // Frontend messages: the startup packet (length first), then type byte + length.
      pending = Buffer.concat([pending, data]);
      for (;;) {
        const head = startup ? 0 : 1;
        if (pending.length < head + 4) break;
        const len = pending.readUInt32BE(head);
        if (pending.length < head + len) break;
        const type = startup ? '' : String.fromCharCode(pending[0]);
        const body = pending.subarray(head + 4, head + len);
        if (type === 'Q' && body.toString('utf8').replace(/\0$/, '').trim().toUpperCase() === 'COMMIT' && this.armed > 0) {
          this.armed--;
          committing = true;
        }
        startup = false;
        pending = pending.subarray(head + len);
      }
    });
    upstream.on('data', (data: Buffer) => {
      if (!committing) return void client.write(data);
      // The server answered the COMMIT: it is durable; the client never hears of it.
      this.dropped++;
      close();
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
