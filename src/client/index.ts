/**
 * The TypeScript client of Ferro's real-time API, for browsers and Node.
 * Nothing here imports Node built-ins or the server's code, so it bundles
 * for browsers on its own.
 */
export { FerroClient } from './ferro.client.js';
export type { ClientState, FerroClientEvents, ResyncNotice } from './ferro.client.js';
export { FerroClientError } from './ferro-client.error.js';
export type { FerroClientErrorKind } from './ferro-client.error.js';
export type {
  FerroAuth,
  FerroClientOptions,
  FetchInit,
  FetchLike,
  FetchResponse,
  SyncCursor,
  TokenSource,
  WebSocketConstructor,
  WebSocketLike,
} from './ferro-client.options.js';
export type { FerroOp } from './op-sequencer.js';
export type { Listener } from './listener-registry.js';
export { LAGGING_CLOSE_CODE } from './wire.types.js';
export type {
  CursorGoneBody,
  DeltaOp,
  DeltaPage,
  FileCreatedMessage,
  FileDeletedMessage,
  FileEventMessage,
  FileMovedMessage,
  FileSharedMessage,
  FileUpdatedMessage,
  OpType,
  StorageHealthMessage,
  SyncOpMessage,
  TicketBody,
  WireMessage,
} from './wire.types.js';
