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

export interface SessionTimings {
  /** Open this long, the socket counts as stable. */
  stableAfterMs: number;
  /** Silent this long, the socket counts as dead; 0 never. */
  idleTimeoutMs: number;
}

const NORMAL_CLOSE = 1000;

/**
 * How long a close handshake may take before the socket is cut (`ws`) or
 * left to close in the background (browsers). Without it, `ws` waits 30 s
 * for a peer that may be gone.
 */
export const CLOSE_GRACE_MS = 500;

/** Longer delays overflow `setTimeout`, which then fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One socket, from its creation until it is of no more use. The session
 * may end before the socket has closed (a gap, silence, `stop`); nothing
 * the socket says after that reaches the hooks.
 */
export class SocketSession {
  /** How the session ended. */
  readonly ended: Promise<SessionEnd>;
  /**
   * Resolves once the socket has closed, or once the client stopped
   * waiting for it: {@link CLOSE_GRACE_MS} after asking it to close.
   */
  readonly closed: Promise<void>;
  private finish!: (end: SessionEnd) => void;
  private settle!: () => void;
  private done = false;
  /** Asked to close, or closed by itself: there is nothing more to close. */
  private releasing = false;
  private openedAt?: number;
  private heardAt = Date.now();
  private idleTimer?: ReturnType<typeof setTimeout>;
  private graceTimer?: ReturnType<typeof setTimeout>;
  private failure: unknown;

  constructor(
    private readonly socket: WebSocketLike,
    private readonly timings: SessionTimings,
    private readonly hooks: SessionHooks,
  ) {
    this.ended = new Promise((resolve) => (this.finish = resolve));
    this.closed = new Promise((resolve) => (this.settle = resolve));
    socket.onclose = (event) => {
      this.releasing = true;
      clearTimeout(this.graceTimer);
      this.settle();
      this.onClose(event.code);
    };
    socket.onopen = () => this.onOpen();
    socket.onmessage = (event) => this.onMessage(event.data);
    socket.onerror = (event) => {
      this.failure = event;
    };
    // Pings prove the line alive where the socket reports them (`ws`);
    // a browser's does not, and there only messages count.
    socket.on?.('ping', this.heard);
    if (timings.idleTimeoutMs > 0) {
      this.watchSilence();
    }
  }

  /** Ends the session now and closes the socket. */
  stop(reason: string): void {
    this.end({ kind: 'stopped' });
    this.release(reason);
  }

  private readonly heard = (): void => {
    this.heardAt = Date.now();
  };

  private onOpen(): void {
    if (this.done) {
      return;
    }

    this.heard();
    this.openedAt = Date.now();
    this.hooks.opened();
  }

  private onMessage(data: unknown): void {
    if (this.done) {
      return;
    }

    this.heard();
    if (!this.hooks.received(data)) {
      return;
    }
    this.end({ kind: 'gap', stable: this.stable() });
    this.release('catching up');
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

  /**
   * One timer for the whole session rather than one per message: when it
   * fires early because something was heard meanwhile, it waits out the
   * rest from then.
   */
  private watchSilence(): void {
    const left = this.heardAt + this.timings.idleTimeoutMs - Date.now();
    if (left > 0) {
      this.idleTimer = setTimeout(() => this.watchSilence(), Math.min(left, MAX_TIMER_MS));
      return;
    }

    this.onSilence();
  }

  /** A line that went dead says nothing at all; it is treated as lost. */
  private onSilence(): void {
    const { idleTimeoutMs } = this.timings;
    if (this.openedAt === undefined) {
      const message = `the WebSocket did not open within ${idleTimeoutMs} ms`;
      this.hooks.failed(new FerroClientError(message, 'network'));
      this.end({ kind: 'refused' });
    } else {
      this.end({ kind: 'dropped', stable: this.stable() });
    }
    this.release(`nothing heard for ${idleTimeoutMs} ms`, { dead: true });
  }

  /**
   * Closes the socket without waiting long on a peer that may not answer:
   * past the grace (at once for a dead line) `ws` is cut with
   * `terminate()`, and a browser's socket is left to close by itself.
   */
  private release(reason: string, { dead = false } = {}): void {
    if (this.releasing) {
      return;
    }

    this.releasing = true;
    // Armed first: a socket may report its close within the call below.
    this.graceTimer = setTimeout(
      () => {
        this.socket.terminate?.();
        this.settle();
      },
      dead ? 0 : CLOSE_GRACE_MS,
    );
    if (dead && this.socket.terminate) {
      this.socket.terminate();
    } else {
      this.socket.close(NORMAL_CLOSE, reason);
    }
  }

  private stable(): boolean {
    const { stableAfterMs } = this.timings;
    return this.openedAt !== undefined && Date.now() - this.openedAt >= stableAfterMs;
  }

  private end(how: SessionEnd): void {
    if (!this.done) {
      this.done = true;
      clearTimeout(this.idleTimer);
      this.socket.off?.('ping', this.heard);
      this.finish(how);
    }
  }
}

/** `ws` says why an upgrade failed ("Unexpected server response: 410"); browsers never do. */
function detailOf(event: unknown): string {
  const message = (event as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && message !== '' ? `: ${message}` : '';
}
