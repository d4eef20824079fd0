import { FerroClientError } from './ferro-client.error.js';
import type { FerroAuth, FetchLike, FetchResponse } from './ferro-client.options.js';
import { asCursorGone, asDeltaPage, asTicket } from './message-parser.js';
import type { CursorGoneBody, DeltaPage } from './wire.types.js';

/** A delta page, or the `410` that tells the client to resync. */
export type DeltaAnswer =
  { kind: 'page'; page: DeltaPage } | { kind: 'gone'; body: CursorGoneBody };

export interface DeltaQuery {
  /** Undefined asks from the oldest op the log holds. */
  since?: number;
  limit: number;
  epoch?: string;
}

const GONE = 410;

/**
 * The HTTP side of the server as the client needs it: tickets, the delta
 * and the socket's URL, each with the credentials of the auth mode. Every
 * failure is thrown as a {@link FerroClientError}.
 */
export class ServerApi {
  constructor(
    private readonly base: URL,
    private readonly auth: FerroAuth,
    private readonly fetch: FetchLike,
  ) {}

  /** Basic and bearer credentials cannot ride on a browser's upgrade. */
  get needsTicket(): boolean {
    return this.auth.type === 'basic' || this.auth.type === 'bearer';
  }

  /** A single-use ticket for the next upgrade. */
  async ticket(signal: AbortSignal): Promise<string> {
    const response = await this.send('POST', new URL('api/ws/ticket', this.base), signal);
    const body = await this.expect(response, 201, 'ticket');
    const ticket = asTicket(body);
    if (!ticket) {
      throw new FerroClientError('the ticket endpoint answered without a ticket', 'protocol');
    }
    return ticket.ticket;
  }

  async delta(query: DeltaQuery, signal: AbortSignal): Promise<DeltaAnswer> {
    const url = new URL('api/sync/delta', this.base);
    setParams(url, { since: query.since, limit: query.limit, epoch: query.epoch });
    const response = await this.send('GET', url, signal);

    if (response.status === GONE) {
      const body = asCursorGone(await bodyOf(response));
      if (!body) {
        const message = 'the delta answered 410 without a cursor body';
        throw new FerroClientError(message, 'protocol', { status: GONE });
      }
      return { kind: 'gone', body };
    }
    const page = asDeltaPage(await this.expect(response, 200, 'delta'));
    if (!page) {
      throw new FerroClientError('the delta answered with a body that is no delta', 'protocol');
    }
    return { kind: 'page', page };
  }

  /** `ws(s)://<base>/api/ws` with the resume cursor and ticket in the query. */
  socketUrl(params: { since?: number; epoch?: string; ticket?: string }): string {
    const url = new URL('api/ws', this.base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    setParams(url, params);
    return url.href;
  }

  private async send(method: string, url: URL, signal: AbortSignal): Promise<FetchResponse> {
    const headers = await this.headers();
    try {
      return await this.fetch(url.href, {
        method,
        headers,
        signal,
        // Only the cookie mode needs the browser's own credentials.
        credentials: this.auth.type === 'cookie' ? 'same-origin' : 'omit',
      });
    } catch (error) {
      throw new FerroClientError(`${method} ${url.pathname} failed`, 'network', { cause: error });
    }
  }

  private async headers(): Promise<Record<string, string>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.auth.type === 'basic') {
      headers.authorization = basicCredentials(this.auth.user, this.auth.password);
    } else if (this.auth.type === 'bearer') {
      headers.authorization = `Bearer ${await tokenOf(this.auth.token)}`;
    }
    return headers;
  }

  private async expect(response: FetchResponse, status: number, what: string): Promise<unknown> {
    const body = await bodyOf(response);
    if (response.status === status) {
      return body;
    }

    const code = errorCodeOf(body);
    const kind = response.status === 401 || response.status === 403 ? 'auth' : 'http';
    throw new FerroClientError(
      `the ${what} endpoint answered ${response.status}${code ? ` ${code}` : ''}`,
      kind,
      { status: response.status, errorCode: code },
    );
  }
}

async function tokenOf(source: string | (() => string | Promise<string>)): Promise<string> {
  if (typeof source === 'string') {
    return source;
  }

  try {
    return await source();
  } catch (error) {
    throw new FerroClientError('the token provider failed', 'auth', { cause: error });
  }
}

/** RFC 7617 with UTF-8, without Node's `Buffer`. */
export function basicCredentials(user: string, password: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(`${user}:${password}`)) {
    binary += String.fromCharCode(byte);
  }
  return `Basic ${btoa(binary)}`;
}

/** A body that is not JSON (a proxy's error page) reads as undefined. */
async function bodyOf(response: FetchResponse): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

function errorCodeOf(body: unknown): string | undefined {
  const code = (body as { error_code?: unknown } | undefined)?.error_code;
  return typeof code === 'string' ? code : undefined;
}

function setParams(url: URL, params: Record<string, string | number | undefined>): void {
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) {
      url.searchParams.set(name, String(value));
    }
  }
}
