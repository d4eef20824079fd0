/**
 * Stable machine-readable codes sent as `error_code` in every JSON error.
 * Clients may switch on these; the human `error` text may change.
 */
export const ErrorCode = {
  InvalidPath: 'invalid_path',
  InvalidBody: 'invalid_body',
  NotFound: 'not_found',
  FileNotFound: 'file_not_found',
  NotAFile: 'not_a_file',
  NotAFolder: 'not_a_folder',
  TargetExists: 'target_exists',
  MoveIntoSelf: 'move_into_self',
  ShareNotFound: 'share_not_found',
  ShareExpired: 'share_expired',
  SharePasswordRequired: 'share_password_required',
  InvalidCursor: 'invalid_cursor',
  InvalidLimit: 'invalid_limit',
  CursorExpired: 'cursor_expired',
  CursorUnknown: 'cursor_unknown',
  Unauthorized: 'unauthorized',
  AuthUnavailable: 'auth_unavailable',
  Forbidden: 'forbidden',
  TooManyConnections: 'too_many_connections',
  ShuttingDown: 'shutting_down',
  TooManyTickets: 'too_many_tickets',
  UpgradeRequired: 'upgrade_required',
  InvalidUpgrade: 'invalid_upgrade',
  StorageUnavailable: 'storage_unavailable',
  StorageFull: 'storage_full',
  SyncLogUnavailable: 'sync_log_unavailable',
  PayloadTooLarge: 'payload_too_large',
  Internal: 'internal_error',
  LoginFailed: 'login_failed',
  OidcDisabled: 'oidc_disabled',
  OidcUnavailable: 'oidc_unavailable',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
