import type { IncomingMessage } from 'node:http';

import { parseCursor, parseEpoch } from '../sync/sync.params.js';

/** Where a reconnecting client left off: `/api/ws?since=N[&epoch=E]`. */
export interface ResumeCursor {
  since: number;
  epoch?: string;
}

const CURSOR = Symbol('ferro.resumeCursor');

type WithCursor = IncomingMessage & { [CURSOR]?: ResumeCursor };

/**
 * The cursor named in an upgrade's query, or undefined for a client that
 * only wants live events. Throws 400 for a value that is no clock or
 * epoch, exactly as the delta endpoint does.
 */
export function parseResumeCursor(url = ''): ResumeCursor | undefined {
  const query = url.indexOf('?');
  if (query === -1) {
    return undefined;
  }

  const params = new URLSearchParams(url.slice(query + 1));
  const since = parseCursor(single(params, 'since'));
  const epoch = parseEpoch(single(params, 'epoch'));
  return since === undefined ? undefined : { since, epoch };
}

export function setResumeCursor(req: IncomingMessage, cursor: ResumeCursor | undefined): void {
  (req as WithCursor)[CURSOR] = cursor;
}

/** The cursor the upgrade verifier accepted for this request, if any. */
export function resumeCursorOf(req: IncomingMessage): ResumeCursor | undefined {
  return (req as WithCursor)[CURSOR];
}

/** A repeated parameter is as ambiguous as a bad one, and refused the same way. */
function single(params: URLSearchParams, name: string): unknown {
  const values = params.getAll(name);
  return values.length > 1 ? values : values[0];
}
