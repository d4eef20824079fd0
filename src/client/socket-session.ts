import { FerroClientError } from './ferro-client.error.js';
import type { WebSocketLike } from './ferro-client.options.js';
import { LAGGING_CLOSE_CODE } from './wire.types.js';

/** How one socket ended, which decides what the client does next. */
export type SessionEnd =
  /** It never opened: refused at the upgrade, or the server is unreachable. */
  | { kind: 'refused' }
  /** Closed by the server or the network after it opened. */
  | { kind: 'dropped'; stable: boolean }
  /** Closed with 4000: the client missed events. */
  | { kind: 'lagged'; stable: boolean }
  /** The client stopped trusting it: a clock was skipped or a pair broken. */
  | { kind: 'gap'; stable: boolean }
  /** No socket was tried: the ticket could not be had. */
  | { kind: 'no_ticket' }
  | { kind: 'stopped' };

export interface SessionHooks {
  opened(): void;
  /** Handles one message; true when the socket can no longer be trusted. */
  received(data: unknown): boolean;
  failed(error: FerroClientError): void;
}

const NORMAL_CLOSE = 1000;

/**
 * One socket, from its creation until it is of no more use. The session
 * may end before the socket has closed (a gap, `stop`); nothing the socket
 * says after that reaches the hooks.
 */
export class SocketSession {
  /** How the session ended. */
  readonly ended: Promise<SessionEnd>;
  /** Resolves once the socket itself has closed. */
  readonly closed: Promise<void>;
  private finish!: (end: SessionEnd) => void;
  private done = false;
  private openedAt?: number;
  private failure: unknown;

  constructor(
    private readonly socket: WebSocketLike,
    private readonly stableAfterMs: number,
    private readonly hooks: SessionHooks,
  ) {
    this.ended = new Promise((resolve) => (this.finish = resolve));
    this.closed = new Promise((resolve) => {
      socket.onclose = (event) => {
        resolve();
        this.onClose(event.code);
      };
    });
    socket.onopen = () => this.onOpen();
    socket.onmessage = (event) => this.onMessage(event.data);
    socket.onerror = (event) => {
      this.failure = event;
    };
  }

  /** Ends the session now and closes the socket. */
  stop(reason: string): void {
    this.end({ kind: 'stopped' });
    this.socket.close(NORMAL_CLOSE, reason);
  }

  private onOpen(): void {
    if (this.done) {
      return;
    }

    this.openedAt = Date.now();
    this.hooks.opened();
  }

  private onMessage(data: unknown): void {
    if (this.done || !this.hooks.received(data)) {
      return;
    }

    this.end({ kind: 'gap', stable: this.stable() });
    this.socket.close(NORMAL_CLOSE, 'catching up');
  }

  private onClose(code: number): void {
    if (this.done) {
      return;
    }

    if (this.openedAt === undefined) {
      const detail = detailOf(this.failure);
      this.hooks.failed(new FerroClientError(`the WebSocket did not open${detail}`, 'network'));
      this.end({ kind: 'refused' });
      return;
    }
    const stable = this.stable();
    this.end(
      code === LAGGING_CLOSE_CODE ? { kind: 'lagged', stable } : { kind: 'dropped', stable },
    );
  }

  private stable(): boolean {
    return this.openedAt !== undefined && Date.now() - this.openedAt >= this.stableAfterMs;
  }

  private end(how: SessionEnd): void {
    if (!this.done) {
      this.done = true;
      this.finish(how);
    }
  }
}

/** `ws` says why an upgrade failed ("Unexpected server response: 410"); browsers never do. */
function detailOf(event: unknown): string {
  const message = (event as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && message !== '' ? `: ${message}` : '';
}
