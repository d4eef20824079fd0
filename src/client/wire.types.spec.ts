import { WebSocket as NodeWebSocket } from 'ws';

import type { ErrorCode } from '../common/error-codes.js';
import type {
  FileCreatedDto,
  FileDeletedDto,
  FileMovedDto,
  FileSharedDto,
  FileUpdatedDto,
  StorageHealthDto,
  SyncOpDto,
} from '../events/dto/index.js';
import type { OpType as ServerOpType, SyncOp } from '../events/ferro-events.js';
import type { WireEvent } from '../events/wire-events.js';
import { CloseCode } from '../gateway/ws.constants.js';
import type { SyncDelta } from '../sync/sync.service.js';
import type {
  FetchLike,
  FerroClientOptions,
  WebSocketConstructor,
} from './ferro-client.options.js';
import { LAGGING_CLOSE_CODE } from './wire.types.js';
import type {
  CursorGoneBody,
  DeltaOp,
  DeltaPage,
  FileCreatedMessage,
  FileDeletedMessage,
  FileMovedMessage,
  FileSharedMessage,
  FileUpdatedMessage,
  OpType,
  StorageHealthMessage,
  SyncOpMessage,
  WireMessage,
} from './wire.types.js';

/** A DTO instance as JSON carries it: its fields, without `readonly`. */
type OnTheWire<T> = { -readonly [K in keyof T]: T[K] };

describe('client wire types', () => {
  it('equal the server DTOs field for field', () => {
    expectTypeOf<OnTheWire<FileCreatedDto>>().toEqualTypeOf<FileCreatedMessage>();
    expectTypeOf<OnTheWire<FileUpdatedDto>>().toEqualTypeOf<FileUpdatedMessage>();
    expectTypeOf<OnTheWire<FileDeletedDto>>().toEqualTypeOf<FileDeletedMessage>();
    expectTypeOf<OnTheWire<FileMovedDto>>().toEqualTypeOf<FileMovedMessage>();
    expectTypeOf<OnTheWire<FileSharedDto>>().toEqualTypeOf<FileSharedMessage>();
    expectTypeOf<OnTheWire<SyncOpDto>>().toEqualTypeOf<SyncOpMessage>();
    expectTypeOf<OnTheWire<StorageHealthDto>>().toEqualTypeOf<StorageHealthMessage>();
  });

  it('cover every message the gateway can send, and no other', () => {
    expectTypeOf<OnTheWire<WireEvent>['type']>().toEqualTypeOf<WireMessage['type']>();
  });

  it('equal the delta body and its ops', () => {
    expectTypeOf<OpType>().toEqualTypeOf<ServerOpType>();
    expectTypeOf<DeltaOp>().toEqualTypeOf<SyncOp>();
    expectTypeOf<DeltaPage>().toEqualTypeOf<SyncDelta>();
  });

  it('know the error codes of a 410', () => {
    type Gone = typeof ErrorCode.CursorExpired | typeof ErrorCode.CursorUnknown;

    expectTypeOf<CursorGoneBody['error_code']>().toEqualTypeOf<Gone>();
  });

  it('use the close code the gateway sends a lagging client', () => {
    expect(LAGGING_CLOSE_CODE).toBe(CloseCode.Lagging);
  });
});

describe('client injection points', () => {
  it("take the ws package's WebSocket and the browser's", () => {
    expectTypeOf(NodeWebSocket).toExtend<WebSocketConstructor>();
    expectTypeOf<typeof globalThis.WebSocket>().toExtend<WebSocketConstructor>();
    expectTypeOf<{ WebSocket: typeof NodeWebSocket }>().toExtend<Partial<FerroClientOptions>>();
  });

  it('take the global fetch', () => {
    expectTypeOf<typeof globalThis.fetch>().toExtend<FetchLike>();
  });
});
