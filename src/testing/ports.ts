/** Test support: loopback ports. Not used by the daemon. */
import fs from 'node:fs';
import net from 'node:net';

/**
 * Lowest port the kernel picks for outgoing connections and `listen(0)`
 * (`ip_local_port_range`; 32768 on Linux by default).
 */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : 0;
  } catch {
    return 0;
  }
}

const LOW = ephemeralLow();
/** Ports handed out by this process, never handed out twice. */
const given = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A port that was free a moment ago (bound and released on 127.0.0.1).
 *
 * Chosen at random *below* the kernel's ephemeral range where there is room:
 * a port from that range can be taken, between this check and the test's
 * own bind, as the local port of any outgoing connection on the machine
 * (a scrape, a database client), which made tests fail with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  if (LOW >= 12_000) {
    const from = Math.max(10_000, LOW - 12_000);
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = from + Math.floor(Math.random() * (LOW - from));
      if (given.has(port)) continue;
      if (await bindable(port)) {
        given.add(port);
        return port;
      }
    }
  }
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Whether a TCP connection to 127.0.0.1:port succeeds now. */
export function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
