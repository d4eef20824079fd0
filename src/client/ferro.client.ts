import { Backoff } from './backoff.js';
import { FerroClientError } from './ferro-client.error.js';
import { resolveOptions } from './ferro-client.options.js';
import type { FerroClientOptions, ResolvedOptions, SyncCursor } from './ferro-client.options.js';
import { ListenerRegistry } from './listener-registry.js';
import type { Listener } from './listener-registry.js';
import { parseMessage } from './message-parser.js';
import { OpSequencer } from './op-sequencer.js';
import type { FerroOp } from './op-sequencer.js';
import { withDeadline } from './request-deadline.js';
import { ServerApi } from './server-api.js';
import { SocketSession } from './socket-session.js';
import type { SessionEnd } from './socket-session.js';
import type { CursorGoneBody, DeltaOp, StorageHealthMessage } from './wire.types.js';

/** Where the client is; every change is sent as a `state` event. */
export type ClientState =
  | { state: 'idle' }
  /** Reading the delta: after a lag, a gap or a failed connect, or to find its place. */
  | { state: 'catching_up'; since?: number }
  | { state: 'connecting' }
  | { state: 'open' }
  /** Waiting `delay` ms; `attempt` counts the reconnects since the last stable connection. */
  | { state: 'reconnecting'; delay: number; attempt: number }
  | { state: 'closed' };

/**
 * The server could not serve the client's cursor (`410`): ops after it
 * left the log, or it belongs to a log that started over. Ops delivered
 * from now on continue after `current_clock` of log `epoch`; the app
 * should list the files it cares about again.
 */
export interface ResyncNotice {
  reason: CursorGoneBody['error_code'];
  epoch: string;
  current_clock: number;
  /** With `cursor_expired`: the oldest op the log still holds. */
  oldest_clock?: number;
  /** The cursor that could not be served. */
  lost?: SyncCursor;
}

/** Events of a {@link FerroClient}, by name. */
export interface FerroClientEvents {
  /** The next op, exactly once and in clock order. */
  op: FerroOp;
  health: StorageHealthMessage;
  state: ClientState;
  resync: ResyncNotice;
  error: FerroClientError;
}

/**
 * A client of Ferro's real-time API for browsers and Node. It delivers
 * every op after its cursor exactly once and in order: live from the
 * socket, and from `/api/sync/delta` whenever the socket cannot be
 * trusted to have sent everything. It reconnects with backoff until
 * {@link FerroClient.close} and never throws at the caller after `start`;
 * what goes wrong is reported through the `error` event.
 *
 * ```ts
 * const client = new FerroClient({ url: 'https://files.example.com', WebSocket });
 * client.on('op', (op) => console.log(op.clock, op.event));
 * client.start();
 * ```
 */
export class FerroClient {
  private readonly options: ResolvedOptions;
  private readonly api: ServerApi;
  private readonly listeners = new ListenerRegistry<FerroClientEvents>();
  private readonly backoff: Backoff;
  /** Undefined until the client knows its place in the log. */
  private sequencer?: OpSequencer;
  private epoch?: string;
  private current: ClientState = { state: 'idle' };
  private needsCatchUp: boolean;
  /** A lag or a gap may reconnect at once, once per stable connection. */
  private quickRetry = true;
  private stopping = false;
  private running?: Promise<void>;
  private finished?: Promise<void>;
  /** What `close()` must cut short, whichever step the loop is in. */
  private aborter?: AbortController;
  private wake?: () => void;
  private session?: SocketSession;
  /** Sockets not closed yet, including ones the loop has left behind. */
  private readonly closing = new Set<Promise<void>>();

  /** Throws a `TypeError` for a bad option; nothing starts before {@link start}. */
  constructor(options: FerroClientOptions) {
    this.options = resolveOptions(options);
    const { base, auth, fetch, backoffBaseMs, backoffCapMs, random, cursor } = this.options;
    this.api = new ServerApi(base, auth, fetch);
    this.backoff = new Backoff({ baseMs: backoffBaseMs, capMs: backoffCapMs, random });
    if (cursor) {
      this.sequencer = new OpSequencer(cursor.clock);
      this.epoch = cursor.epoch;
    }
    // Without an epoch the client cannot tell a log that started over;
    // the delta names it.
    this.needsCatchUp = cursor?.epoch === undefined;
  }

  get state(): ClientState {
    return this.current;
  }

  /**
   * The last op delivered and its log: save it (after handling the op)
   * and pass it as the `cursor` option to resume there. Undefined until
   * the client has found its place.
   */
  get cursor(): SyncCursor | undefined {
    return this.sequencer && { clock: this.sequencer.clock, epoch: this.epoch };
  }

  /** Adds a listener; the function returned removes it. */
  on<K extends keyof FerroClientEvents>(
    name: K,
    listener: Listener<FerroClientEvents[K]>,
  ): () => void {
    return this.listeners.on(name, listener);
  }

  off<K extends keyof FerroClientEvents>(name: K, listener: Listener<FerroClientEvents[K]>): void {
    this.listeners.off(name, listener);
  }

  /** Connects, and keeps connecting until {@link close}. Calling it again does nothing. */
  start(): void {
    if (this.stopping) {
      throw new Error('this FerroClient was closed; create a new one');
    }

    // The loop handles every failure it expects; anything else is a bug
    // that must not leave the client silently stuck in some state.
    this.running ??= this.run().catch((error: unknown) => {
      this.report(error);
      void this.close();
    });
  }

  /**
   * Stops everything: the socket, a request in flight, a pending
   * reconnect. No event follows the `closed` state. The promise resolves
   * once the socket has closed, so no timer or handle is left behind; a
   * peer that does not answer the close within half a second is cut off
   * (`ws`) or left to time out in the background (browsers).
   */
  close(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.setState({ state: 'closed' });
      this.aborter?.abort();
      this.wake?.();
      this.session?.stop('client closed');
    }

    this.finished ??= this.drain();
    return this.finished;
  }

  private async drain(): Promise<void> {
    await this.running;
    await Promise.all(this.closing);
  }

  /**
   * Each turn: wait out the backoff, catch up through the delta when the
   * socket cannot be trusted to resume exactly, then hold one socket until
   * it ends. The wait comes before the catch-up, never between it and the
   * connect: the cursor the delta just brought up to date would age out of
   * a short log during the wait, and the upgrade be refused with 410 again.
   */
  private async run(): Promise<void> {
    let delay: number | undefined;
    while (!this.stopping) {
      if (delay !== undefined) {
        await this.pause(delay);
        delay = undefined;
        continue;
      }
      if (this.needsCatchUp && !(await this.catchUp())) {
        delay = this.backoff.next();
        continue;
      }

      delay = this.delayAfter(await this.connect());
    }
  }

  /** What the way a socket ended asks for before the next one. */
  private delayAfter(end: SessionEnd): number | undefined {
    if (end.kind === 'stopped') {
      return undefined;
    }
    if ('stable' in end && end.stable) {
      this.backoff.reset();
      this.quickRetry = true;
    }

    switch (end.kind) {
      case 'lagged':
      case 'gap':
        this.needsCatchUp = true;
        if (this.quickRetry) {
          this.quickRetry = false;
          return 0;
        }
        return this.backoff.next();
      case 'refused':
        // A browser cannot see why an upgrade failed; the delta, asked
        // with the same cursor, tells a 410 from anything else.
        this.needsCatchUp = true;
        return this.backoff.next();
      default:
        return this.backoff.next();
    }
  }

  /** Reads the delta up to the newest op. False when it failed and should be retried. */
  private async catchUp(): Promise<boolean> {
    const sequencer = this.sequencer;
    this.setState({ state: 'catching_up', since: sequencer?.clock });
    try {
      await (sequencer ? this.readDelta(sequencer) : this.locate());
      this.needsCatchUp = false;
      return true;
    } catch (error) {
      this.report(error);
      return false;
    }
  }

  /** A client without a cursor starts after the newest op in the log. */
  private async locate(): Promise<void> {
    const answer = await this.request('delta', (signal) => this.api.delta({ limit: 1 }, signal));
    if (answer.kind === 'gone') {
      this.resync(answer.body);
      return;
    }
    this.startAfter(answer.page.current_clock, answer.page.epoch);
  }

  private async readDelta(sequencer: OpSequencer): Promise<void> {
    for (;;) {
      const since = sequencer.clock;
      const query = { since, limit: this.options.deltaLimit, epoch: this.epoch };
      const answer = await this.request('delta', (signal) => this.api.delta(query, signal));
      if (this.stopping) {
        return;
      }
      if (answer.kind === 'gone') {
        this.resync(answer.body);
        return;
      }

      this.epoch = answer.page.epoch;
      this.deliverDelta(sequencer, answer.page.ops);
      if (!answer.page.has_more || this.stopping) {
        return;
      }
      if (sequencer.clock === since) {
        throw new FerroClientError(
          'the delta has more ops but sent none after the cursor',
          'protocol',
        );
      }
    }
  }

  private deliverDelta(sequencer: OpSequencer, ops: DeltaOp[]): void {
    for (const op of ops) {
      if (this.stopping) {
        return;
      }
      const step = sequencer.acceptDelta(op);
      if (step.kind === 'gap') {
        throw new FerroClientError(`the delta skipped ops: ${step.reason}`, 'protocol');
      }
      if (step.kind === 'deliver') {
        this.emit('op', step.op);
      }
    }
  }

  /** The server's 410 is authoritative: continue from where it stands now. */
  private resync(body: CursorGoneBody): void {
    const lost = this.cursor;
    this.startAfter(body.current_clock, body.epoch);
    this.emit('resync', {
      reason: body.error_code,
      epoch: body.epoch,
      current_clock: body.current_clock,
      oldest_clock: body.oldest_clock,
      lost,
    });
  }

  private startAfter(clock: number, epoch: string): void {
    this.sequencer = new OpSequencer(clock);
    this.epoch = epoch;
  }

  private async connect(): Promise<SessionEnd> {
    this.setState({ state: 'connecting' });
    let ticket: string | undefined;
    if (this.api.needsTicket) {
      try {
        ticket = await this.request('ticket', (signal) => this.api.ticket(signal));
      } catch (error) {
        this.report(error);
        return { kind: 'no_ticket' };
      }
    }
    if (this.stopping) {
      return { kind: 'stopped' };
    }

    const since = this.sequencer?.clock;
    return this.hold(this.api.socketUrl({ since, epoch: this.epoch, ticket }));
  }

  /** Opens one socket and resolves when it is of no more use. */
  private async hold(url: string): Promise<SessionEnd> {
    let session: SocketSession;
    try {
      session = new SocketSession(new this.options.WebSocket(url), this.options, {
        opened: () => this.opened(),
        received: (data) => this.receive(data),
        failed: (error) => this.report(error),
      });
    } catch (error) {
      this.report(
        new FerroClientError('could not create the WebSocket', 'network', { cause: error }),
      );
      return { kind: 'refused' };
    }

    this.session = session;
    this.closing.add(session.closed);
    void session.closed.then(() => this.closing.delete(session.closed));
    try {
      return await session.ended;
    } finally {
      this.session = undefined;
    }
  }

  private opened(): void {
    this.sequencer?.forgetHeld();
    this.setState({ state: 'open' });
  }

  /** Handles one socket message; true when the socket can no longer be trusted. */
  private receive(data: unknown): boolean {
    const message = parseMessage(data);
    if (this.stopping || !message || !this.sequencer) {
      return false;
    }

    const step = this.sequencer.accept(message);
    if (step.kind === 'deliver') {
      this.emit('op', step.op);
    } else if (step.kind === 'health') {
      this.emit('health', step.health);
    }
    return step.kind === 'gap';
  }

  /**
   * Runs one HTTP request, which `close()` cuts short, and so does
   * `requestTimeoutMs`: a request lost in a network gone silent would
   * otherwise hold the loop until the platform gives up, minutes later,
   * however soon the network returns. Each delta page has its own limit.
   */
  private async request<T>(
    what: 'ticket' | 'delta',
    send: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const aborter = new AbortController();
    this.aborter = aborter;
    const ms = this.options.requestTimeoutMs;
    const timedOut = (): FerroClientError =>
      new FerroClientError(
        `the ${what} request did not finish within ${ms} ms (requestTimeoutMs)`,
        'network',
      );
    try {
      return await withDeadline(aborter.signal, ms, send, timedOut);
    } finally {
      this.aborter = undefined;
    }
  }

  private pause(delay: number): Promise<void> {
    if (this.stopping) {
      return Promise.resolve();
    }

    this.setState({ state: 'reconnecting', delay, attempt: this.backoff.attempts });
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined = undefined;
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      timer = setTimeout(done, delay);
      this.wake = done;
    });
  }

  private setState(state: ClientState): void {
    if (this.current.state === 'closed') {
      return;
    }

    this.current = state;
    this.listeners.emit('state', state);
  }

  private report(error: unknown): void {
    const reported =
      error instanceof FerroClientError
        ? error
        : new FerroClientError(String(error), 'protocol', { cause: error });
    this.emit('error', reported);
  }

  /**
   * Nothing reaches the user after the `closed` state: errors while
   * closing are the close itself, not news.
   */
  private emit<K extends Exclude<keyof FerroClientEvents, 'state'>>(
    name: K,
    payload: FerroClientEvents[K],
  ): void {
    if (!this.stopping) {
      this.listeners.emit(name, payload);
    }
  }
}
