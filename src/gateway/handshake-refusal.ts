import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

import { ErrorCode } from '../common/error-codes.js';
import type { FerroError } from '../common/ferro.error.js';
import { errorBody } from '../common/ferro.error.js';

/** An HTTP answer to an upgrade request that will not become a WebSocket. */
export interface HandshakeRefusal {
  status: number;
  body: string;
  headers: Record<string, string>;
  /** Why, for the log only. */
  cause?: string;
}

export function refusalOf(error: FerroError): HandshakeRefusal {
  const body = JSON.stringify(errorBody(error));
  return {
    status: error.status,
    body,
    headers: { ...error.headers, 'Content-Type': 'application/json; charset=utf-8' },
    cause: error.cause,
  };
}

export function refusal(
  status: number,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): HandshakeRefusal {
  return {
    status,
    body: JSON.stringify({ error: message, error_code: code }),
    headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' },
  };
}

/**
 * The answer to an upgrade request `ws` found malformed (wrong method,
 * missing key, unsupported version). `ws` reports these through its
 * `wsClientError` event with only a message, so the status is derived
 * from which check failed.
 */
export function malformedUpgradeRefusal(error: Error): HandshakeRefusal {
  if (error.message.startsWith('Invalid HTTP method')) {
    return refusal(405, ErrorCode.InvalidUpgrade, error.message, { Allow: 'GET' });
  }
  if (error.message.includes('Sec-WebSocket-Version')) {
    return refusal(400, ErrorCode.InvalidUpgrade, error.message, {
      'Sec-WebSocket-Version': '13',
    });
  }
  return refusal(400, ErrorCode.InvalidUpgrade, error.message);
}

/**
 * Answers an upgrade request on its raw socket and closes it, for the
 * requests no WebSocket server takes (an unknown path). Without this the
 * socket would be reset with no status, which clients report as a bare
 * network error.
 */
export function writeRefusal(socket: Duplex, answer: HandshakeRefusal): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }

  const headers = {
    Connection: 'close',
    'Content-Length': String(Buffer.byteLength(answer.body)),
    ...answer.headers,
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n${head}\r\n${answer.body}`,
  );
}
