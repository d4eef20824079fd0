/** The one path the WebSocket answers on; nothing else upgrades. */
export const WS_PATH = '/api/ws';

/**
 * Largest frame a client may send. Client messages are ignored, so this
 * only needs room for control frames and small stray messages; anything
 * larger is closed with 1009 as soon as the frame header announces it.
 */
export const MAX_CLIENT_FRAME_BYTES = 16 * 1024;

/** Close codes the server sends, with the reason text that goes with each. */
export const CloseCode = {
  /** The server is shutting down; reconnect later. */
  GoingAway: 1001,
  /** A client frame exceeded {@link MAX_CLIENT_FRAME_BYTES}. */
  MessageTooBig: 1009,
  /**
   * The client fell more than `wsBuffer` messages behind; it missed events
   * and should catch up with `/api/sync/delta` before trusting the feed.
   */
  Lagging: 4000,
} as const;

export const LAGGING_REASON = 'lagging: catch up with /api/sync/delta';

export const SHUTDOWN_REASON = 'server shutting down';

/** How long shutdown waits for clients to answer the 1001 close frame. */
export const SHUTDOWN_GRACE_MS = 2_000;
