import { FerroClientError } from './ferro-client.error.js';
import type { FerroAuth, FetchInit, FetchLike } from './ferro-client.options.js';
import { basicCredentials, ServerApi } from './server-api.js';

const BASE = new URL('https://ferro.test/prefix/');

function answering(
  status: number,
  body: unknown,
): { fetch: FetchLike; calls: [string, FetchInit][] } {
  const calls: [string, FetchInit][] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push([url, init]);
    return { status, json: async () => body };
  };
  return { fetch, calls };
}

const signal = new AbortController().signal;

describe('ServerApi', () => {
  it('builds the socket URL under the base, on wss for https', () => {
    const sut = new ServerApi(BASE, { type: 'none' }, answering(200, {}).fetch);

    const url = sut.socketUrl({ since: 4, epoch: 'e', ticket: 't/+' });

    expect(url).toBe('wss://ferro.test/prefix/api/ws?since=4&epoch=e&ticket=t%2F%2B');
  });

  it.each<[FerroAuth['type'], boolean]>([
    ['none', false],
    ['cookie', false],
    ['basic', true],
    ['bearer', true],
  ])('with %s auth needs a ticket: %s', (type, expected) => {
    const auth = { type, user: 'u', password: 'p', token: 't' } as FerroAuth;

    expect(new ServerApi(BASE, auth, answering(200, {}).fetch).needsTicket).toBe(expected);
  });

  it('sends the browser its own cookies in cookie mode only', async () => {
    const { fetch, calls } = answering(201, { ticket: 't', expires_in: 30 });
    const sut = new ServerApi(BASE, { type: 'cookie' }, fetch);

    const ticket = await sut.ticket(signal);

    expect(ticket).toBe('t');
    expect(calls[0]).toEqual([
      'https://ferro.test/prefix/api/ws/ticket',
      expect.objectContaining({ method: 'POST', credentials: 'same-origin' }),
    ]);
    expect(calls[0][1].headers).not.toHaveProperty('authorization');
  });

  it('reads a 410 from the delta as a resync, not an error', async () => {
    const body = { error: 'x', error_code: 'cursor_unknown', epoch: 'e', current_clock: 3 };
    const sut = new ServerApi(BASE, { type: 'none' }, answering(410, body).fetch);

    const answer = await sut.delta({ since: 9, limit: 10 }, signal);

    expect(answer).toEqual({ kind: 'gone', body });
  });

  it.each([
    [
      '401',
      401,
      { error_code: 'unauthorized' },
      { kind: 'auth', status: 401, errorCode: 'unauthorized' },
    ],
    ['403', 403, { error_code: 'forbidden' }, { kind: 'auth', status: 403 }],
    ['503', 503, { error_code: 'auth_unavailable' }, { kind: 'http', status: 503 }],
    ['410 without a cursor body', 410, undefined, { kind: 'protocol', status: 410 }],
    ['200 that is no delta', 200, { hello: 1 }, { kind: 'protocol' }],
  ])('throws a FerroClientError for a %s', async (_name, status, body, expected) => {
    const sut = new ServerApi(BASE, { type: 'none' }, answering(status, body).fetch);

    const error = await sut.delta({ limit: 1 }, signal).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(FerroClientError);
    expect(error).toMatchObject(expected);
  });

  it('reports a network failure with its cause', async () => {
    const cause = new TypeError('fetch failed');
    const sut = new ServerApi(BASE, { type: 'none' }, () => Promise.reject(cause));

    const error = await sut.ticket(signal).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ kind: 'network', cause });
  });

  it('reports a token provider that throws as an auth error', async () => {
    const auth: FerroAuth = {
      type: 'bearer',
      token: () => {
        throw new Error('refresh failed');
      },
    };
    const sut = new ServerApi(BASE, auth, answering(201, { ticket: 't' }).fetch);

    const error = await sut.ticket(signal).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ kind: 'auth', message: 'the token provider failed' });
  });
});

describe('basicCredentials', () => {
  it('encodes UTF-8 and keeps colons in the password', () => {
    const header = basicCredentials('admin', 's3cret:pässword');

    expect(header).toBe(`Basic ${Buffer.from('admin:s3cret:pässword').toString('base64')}`);
  });
});
