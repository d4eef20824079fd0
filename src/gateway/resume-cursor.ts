import type { IncomingMessage } from 'node:http';

import { parseCursor, parseEpoch } from '../sync/sync.params.js';

/** Where a reconnecting client left off: `/api/ws?since=N[&epoch=E]`. */
export interface ResumeCursor {
  /** Absent for a client that wants live events only. */
  since?: number;
  /** The log the client's state came from; checked even without `since`. */
  epoch?: string;
}

const CURSOR = Symbol('ferro.resumeCursor');

type WithCursor = IncomingMessage & { [CURSOR]?: ResumeCursor };

/**
 * The `since` and `epoch` named in an upgrade's query, each undefined when
 * absent. Throws 400 for a value that is no clock or epoch, exactly as the
 * delta endpoint does.
 */
export function parseResumeCursor(url = ''): ResumeCursor {
  const query = url.indexOf('?');
  if (query === -1) {
    return {};
  }

  const params = new URLSearchParams(url.slice(query + 1));
  return {
    since: parseCursor(single(params, 'since')),
    epoch: parseEpoch(single(params, 'epoch')),
  };
}

export function setResumeCursor(req: IncomingMessage, cursor: ResumeCursor): void {
  (req as WithCursor)[CURSOR] = cursor;
}

/** The cursor the upgrade verifier accepted for this request. */
export function resumeCursorOf(req: IncomingMessage): ResumeCursor {
  return (req as WithCursor)[CURSOR] ?? {};
}

/** A repeated parameter is as ambiguous as a bad one, and refused the same way. */
function single(params: URLSearchParams, name: string): unknown {
  const values = params.getAll(name);
  return values.length > 1 ? values : values[0];
}
