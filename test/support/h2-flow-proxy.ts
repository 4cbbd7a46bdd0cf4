/**
 * Test support: a TCP proxy in front of an HTTP/2 server that reads the
 * frames going both ways and notes every DATA frame a client sends beyond
 * the windows the server gave it (RFC 9113 §6.9): the stream's
 * (SETTINGS_INITIAL_WINDOW_SIZE plus its WINDOW_UPDATEs) and the
 * connection's (65,535 plus its WINDOW_UPDATEs).
 *
 * Why: node:http2 (and so grpc-js) takes DATA beyond its windows without
 * complaint, so a client that ignores flow control passes against it. The
 * proxy sees the server's frames before the client does, so what it allows
 * is never less than what the client may assume: no false alarms.
 */
import net from 'node:net';

const PREFACE_LENGTH = 24;
const DEFAULT_WINDOW = 65_535;
const DATA = 0x0;
const SETTINGS = 0x4;
const WINDOW_UPDATE = 0x8;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;

/** Calls `onFrame` for each whole frame in the bytes fed to it, after skipping `skip` bytes. */
function frameReader(skip: number, onFrame: (type: number, flags: number, stream: number, payload: Buffer) => void): (chunk: Buffer) => void {
  let buffered: Buffer = Buffer.alloc(0);
  let toSkip = skip;
  return (chunk) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    if (toSkip > 0) {
      const n = Math.min(toSkip, buffered.length);
      buffered = buffered.subarray(n);
      toSkip -= n;
    }
    while (buffered.length >= 9) {
      const length = buffered.readUIntBE(0, 3);
      if (buffered.length < 9 + length) break;
      onFrame(buffered[3], buffered[4], buffered.readUInt32BE(5) & 0x7fffffff, buffered.subarray(9, 9 + length));
      buffered = buffered.subarray(9 + length);
    }
  };
}

export class FlowCheckProxy {
  /** One line per DATA frame sent beyond a window. */
  readonly violations: string[] = [];
  /** DATA payload bytes the clients sent, and WINDOW_UPDATE frames the server sent. */
  dataBytes = 0;
  windowUpdates = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, host = '127.0.0.1'): Promise<FlowCheckProxy> {
    let proxy!: FlowCheckProxy;
    const server = net.createServer((client) => proxy.relay(client, targetPort, host));
    await new Promise<void>((r) => server.listen(0, host, r));
    proxy = new FlowCheckProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  private relay(client: net.Socket, targetPort: number, host: string): void {
    const upstream = net.connect(targetPort, host);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    let initialWindow = DEFAULT_WINDOW;
    let connAllowed = DEFAULT_WINDOW;
    let connSent = 0;
    const streamUpdates = new Map<number, number>();
    const streamSent = new Map<number, number>();
    const fromServer = frameReader(0, (type, flags, stream, payload) => {
      if (type === SETTINGS && (flags & 0x1) === 0) {
        for (let p = 0; p + 6 <= payload.length; p += 6) if (payload.readUInt16BE(p) === SETTINGS_INITIAL_WINDOW_SIZE) initialWindow = payload.readUInt32BE(p + 2);
      } else if (type === WINDOW_UPDATE && payload.length === 4) {
        this.windowUpdates++;
        const increment = payload.readUInt32BE(0) & 0x7fffffff;
        if (stream === 0) connAllowed += increment;
        else streamUpdates.set(stream, (streamUpdates.get(stream) ?? 0) + increment);
      }
    });
    const fromClient = frameReader(PREFACE_LENGTH, (type, _flags, stream, payload) => {
      if (type !== DATA) return;
      this.dataBytes += payload.length;
      connSent += payload.length;
      const sent = (streamSent.get(stream) ?? 0) + payload.length;
      streamSent.set(stream, sent);
      const streamAllowed = initialWindow + (streamUpdates.get(stream) ?? 0);
      if (sent > streamAllowed) this.violations.push(`stream ${stream}: ${sent} bytes sent, window ${streamAllowed}`);
      if (connSent > connAllowed) this.violations.push(`connection: ${connSent} bytes sent, window ${connAllowed}`);
    });
    // The server's frames are read before the client gets them, the client's before the server does.
    upstream.on('data', (d: Buffer) => {
      fromServer(d);
      client.write(d);
    });
    client.on('data', (d: Buffer) => {
      fromClient(d);
      upstream.write(d);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}
