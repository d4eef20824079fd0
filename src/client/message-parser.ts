import type {
  CursorGoneBody,
  DeltaOp,
  DeltaPage,
  OpType,
  TicketBody,
  WireMessage,
} from './wire.types.js';

type Fields = Record<string, unknown>;

const OP_TYPES: ReadonlySet<unknown> = new Set<OpType>([
  'create',
  'update',
  'delete',
  'move',
  'share',
]);

/** Which fields each message type must carry, and of which kind. */
const MESSAGE_FIELDS: Record<WireMessage['type'], (fields: Fields) => boolean> = {
  file_created: (m) => isPath(m.path) && isCount(m.size) && isText(m.owner),
  file_updated: (m) => isPath(m.path) && isCount(m.size) && isText(m.owner),
  file_deleted: (m) => isPath(m.path) && isText(m.owner),
  file_moved: (m) => isPath(m.from) && isPath(m.to) && isText(m.owner),
  file_shared: (m) => isPath(m.path) && isText(m.token) && isText(m.owner),
  sync_op: (m) => isClock(m.clock) && OP_TYPES.has(m.op_type) && isPath(m.path),
  storage_health: (m) => typeof m.healthy === 'boolean' && isText(m.backend),
};

/**
 * A socket message as the type it claims, or undefined for anything else:
 * binary data, text that is not JSON, a type this client does not know
 * (a newer server may add some) or a known type with missing fields.
 */
export function parseMessage(data: unknown): WireMessage | undefined {
  if (typeof data !== 'string') {
    return undefined;
  }

  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (
    !isObject(value) ||
    typeof value.type !== 'string' ||
    !Object.hasOwn(MESSAGE_FIELDS, value.type)
  ) {
    return undefined;
  }

  const valid = MESSAGE_FIELDS[value.type as WireMessage['type']](value);
  return valid ? (value as unknown as WireMessage) : undefined;
}

/** A delta body, or undefined when it is not one (a proxy's page, say). */
export function asDeltaPage(body: unknown): DeltaPage | undefined {
  if (
    !isObject(body) ||
    !isText(body.epoch) ||
    !isCount(body.current_clock) ||
    !isCount(body.oldest_clock) ||
    typeof body.has_more !== 'boolean' ||
    !Array.isArray(body.ops) ||
    !body.ops.every(isDeltaOp)
  ) {
    return undefined;
  }

  return body as unknown as DeltaPage;
}

/** A `410` body that names the log the client should resync with. */
export function asCursorGone(body: unknown): CursorGoneBody | undefined {
  if (
    !isObject(body) ||
    (body.error_code !== 'cursor_expired' && body.error_code !== 'cursor_unknown') ||
    !isText(body.epoch) ||
    !isCount(body.current_clock)
  ) {
    return undefined;
  }

  return body as unknown as CursorGoneBody;
}

export function asTicket(body: unknown): TicketBody | undefined {
  return isObject(body) && isText(body.ticket) ? (body as unknown as TicketBody) : undefined;
}

function isDeltaOp(value: unknown): value is DeltaOp {
  return (
    isObject(value) &&
    isClock(value.clock) &&
    OP_TYPES.has(value.op_type) &&
    isPath(value.path) &&
    isText(value.owner)
  );
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isPath(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('/');
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isClock(value: unknown): value is number {
  return isCount(value) && value >= 1;
}
