export { FileCreatedDto } from './file-created.dto.js';
export { FileDeletedDto } from './file-deleted.dto.js';
export { FileMovedDto } from './file-moved.dto.js';
export { FileSharedDto } from './file-shared.dto.js';
export { FileUpdatedDto } from './file-updated.dto.js';
export { StorageHealthDto } from './storage-health.dto.js';
export { OP_TYPES, SyncOpDto } from './sync-op.dto.js';
