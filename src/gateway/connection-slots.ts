import type { Socket } from 'node:net';

/**
 * Counts WebSocket connections against the limit by their TCP socket.
 *
 * A slot is taken while the handshake is still being verified and given
 * back when the TCP socket closes, whatever happened in between: a clean
 * close, a reset, a handshake that failed after it was admitted. Tying the
 * slot to the one `close` event every socket emits exactly once is what
 * keeps the count from drifting (field case C03).
 */
export class ConnectionSlots {
  private readonly held = new Set<Socket>();

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.held.size;
  }

  /** Takes a slot for `socket`; false when every slot is in use. */
  tryTake(socket: Socket): boolean {
    if (this.held.has(socket)) {
      return true;
    }
    if (this.held.size >= this.limit || socket.destroyed) {
      return false;
    }

    this.held.add(socket);
    socket.once('close', () => this.held.delete(socket));
    return true;
  }
}
