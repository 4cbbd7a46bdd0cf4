/**
 * The connections handed to a protocol server that never listens itself
 * (the listener registry accepts them, listeners.ts), and the wait for the
 * last of them to close on shutdown.
 */
import type { EventEmitter } from 'node:events';
import type * as net from 'node:net';

export class InjectedSockets {
  private readonly sockets = new Set<net.Socket>();
  private onEmpty: (() => void) | undefined;

  /** Tracks `socket` and hands it to `server` as a new connection. */
  inject(socket: net.Socket, server: EventEmitter): void {
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (this.sockets.size === 0) this.onEmpty?.();
    });
    server.emit('connection', socket);
  }

  /** Resolves when every socket has closed; at `deadline`, runs `force` and destroys the sockets left. */
  whenClosed(deadline: number, force?: () => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        force?.();
        for (const socket of this.sockets) socket.destroy();
      }, Math.max(0, deadline - Date.now()));
      this.onEmpty = () => {
        clearTimeout(timer);
        resolve();
      };
      if (this.sockets.size === 0) this.onEmpty();
    });
  }
}
