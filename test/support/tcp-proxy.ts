import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket;
  /** Passes nothing either way, and one end closing leaves the other open. */
  blackholed?: boolean;
}

/**
 * A loopback TCP proxy in front of a test server, so a test can do to a
 * client's connection what a network does: cut it, refuse new ones, or
 * stop passing the server's bytes on (the kernel buffers fill up and the
 * server sees a client that does not read), or go silent both ways.
 */
export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private refusing = false;
  private frozen = false;
  /** New connections are dead lines. */
  private silent = false;
  private dropped = '';

  private constructor(
    private readonly server: Server,
    private readonly targetPort: number,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  /** Starts a proxy on a free port of 127.0.0.1 for `127.0.0.1:<targetPort>`. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(createServer(), targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `http://127.0.0.1:<port>` of the proxy. */
  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Connections passed through right now. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Cuts every connection, as a network that went away (the client sees 1006). */
  sever(): void {
    for (const pair of this.pairs) {
      this.drop(pair);
    }
  }

  /** Closes every new connection at once until {@link allow}. */
  refuse(): void {
    this.refusing = true;
  }

  allow(): void {
    this.refusing = false;
  }

  /** Stops reading what the server sends, on every connection, until {@link thaw}. */
  freeze(): void {
    this.frozen = true;
    for (const { upstream, client } of this.pairs) {
      upstream.unpipe(client);
      upstream.pause();
    }
  }

  /** Passes on everything held back, then carries on. */
  thaw(): void {
    this.frozen = false;
    for (const { upstream, client, blackholed } of this.pairs) {
      if (!blackholed) {
        upstream.pipe(client);
      }
    }
  }

  /**
   * Makes every connection open now a dead line, as a pulled cable or a
   * laptop gone to sleep: bytes either way are dropped, and when one end
   * gives up and closes, the other is not told. Only {@link sever} or
   * {@link close} ends them. New connections pass as usual, unless
   * `newConnections` is set: then they are dead lines too, until
   * {@link restore}.
   */
  blackhole({ newConnections = false } = {}): void {
    this.silent = newConnections;
    for (const pair of this.pairs) {
      this.silence(pair);
    }
  }

  /**
   * New connections pass again. The dead ones stay dead, as after a real
   * outage: the client has to notice and replace them.
   */
  restore(): void {
    this.silent = false;
  }

  /** What clients sent into the blackhole, as text, for a test to wait on. */
  get swallowed(): string {
    return this.dropped;
  }

  async close(): Promise<void> {
    this.sever();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.refusing) {
      client.destroy();
      return;
    }

    const upstream = connect(this.targetPort, '127.0.0.1');
    const pair: Pair = { client, upstream };
    this.pairs.add(pair);
    for (const socket of [client, upstream]) {
      socket.on('error', () => this.lost(pair));
      socket.on('close', () => this.lost(pair));
    }
    if (this.silent) {
      this.silence(pair);
      return;
    }
    client.pipe(upstream);
    if (this.frozen) {
      upstream.pause();
    } else {
      upstream.pipe(client);
    }
  }

  private silence(pair: Pair): void {
    if (pair.blackholed) {
      return;
    }

    pair.blackholed = true;
    pair.client.unpipe(pair.upstream);
    pair.upstream.unpipe(pair.client);
    // Flowing with no pipe: whatever arrives is noted, and goes no further.
    // An unpiped stream is paused, so it is resumed explicitly.
    pair.client.on('data', (chunk: Buffer) => {
      this.dropped += chunk.toString('latin1');
    });
    pair.client.resume();
    pair.upstream.resume();
  }

  /** One end went away: the other hears of it, unless the line is dead. */
  private lost(pair: Pair): void {
    if (!pair.blackholed) {
      this.drop(pair);
    }
  }

  private drop(pair: Pair): void {
    this.pairs.delete(pair);
    pair.client.destroy();
    pair.upstream.destroy();
  }
}
