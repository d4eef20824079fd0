import type { IncomingMessage } from 'node:http';

import WebSocket from 'ws';
import type { ClientOptions } from 'ws';

const DEFAULT_WAIT_MS = 3_000;

/**
 * A `ws` client that queues every message it receives, so a test can
 * await them one by one with a timeout that fails with a clear message.
 */
export class TestSocket {
  private readonly received: unknown[] = [];
  private readonly waiters: Array<(message: unknown) => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      const message: unknown = isBinary ? data : JSON.parse(data.toString('utf8'));
      const waiter = this.waiters.shift();
      if (waiter) {
        waiter(message);
      } else {
        this.received.push(message);
      }
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
  }

  /** The next message, or a rejection naming what was awaited. */
  next<T = Record<string, unknown>>(timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    const queued = this.received.shift();
    if (queued !== undefined) {
      return Promise.resolve(queued as T);
    }

    return new Promise<T>((resolve, reject) => {
      const waiter = (message: unknown): void => {
        clearTimeout(timer);
        resolve(message as T);
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no WebSocket message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The next `count` messages, in order. */
  async take<T = Record<string, unknown>>(
    count: number,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<T[]> {
    const messages: T[] = [];
    for (let i = 0; i < count; i++) {
      messages.push(await this.next<T>(timeoutMs));
    }
    return messages;
  }

  /** Resolves if nothing arrives for `ms`; rejects with what did arrive. */
  async expectSilence(ms = 200): Promise<void> {
    const message = await this.next(ms).catch(() => undefined);
    if (message !== undefined) {
      throw new Error(`expected no message, got ${JSON.stringify(message)}`);
    }
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close();
    }
    return this.closed;
  }
}

/** Opens a WebSocket and resolves once it is open. */
export function connect(url: string, options: ClientOptions = {}): Promise<TestSocket> {
  const ws = new WebSocket(url, options);
  const socket = new TestSocket(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused with ${res.statusCode}`)),
    );
    ws.once('error', reject);
  });
}

export interface Refusal {
  status: number;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** Attempts an upgrade that must be refused, and returns the HTTP answer. */
export function expectRefused(url: string, options: ClientOptions = {}): Promise<Refusal> {
  const ws = new WebSocket(url, options);
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`upgrade to ${url} was accepted, expected a refusal`));
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        ws.terminate();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parse(text) });
      });
    });
    ws.once('error', (error) => reject(error));
  });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
