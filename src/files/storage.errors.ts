import { HttpStatus } from '@nestjs/common';

import { ErrorCode } from '../common/error-codes.js';
import { FerroError } from '../common/ferro.error.js';

/*
 * The expected failures of file operations, shared by both backends and the
 * file service so that the same situation always gets the same status and
 * code, whichever medium noticed it first.
 */

/** 404: nothing is stored at `path`. */
export function fileNotFound(path: string): FerroError {
  return FerroError.notFound(ErrorCode.FileNotFound, `Nothing is stored at ${path}`);
}

/** 400: the operation needs a file and `path` is a folder. */
export function notAFile(path: string): FerroError {
  return FerroError.badRequest(ErrorCode.NotAFile, `${path} is a folder, not a file`);
}

/** 400: the operation needs a folder and `path` is a file. */
export function notAFolder(path: string): FerroError {
  return FerroError.badRequest(ErrorCode.NotAFolder, `${path} is a file, not a folder`);
}

/** 409: a file stands where a folder of the target path would have to be. */
export function parentIsAFile(path: string): FerroError {
  return FerroError.conflict(
    ErrorCode.NotAFolder,
    `A parent of ${path} is a file, so it cannot hold other entries`,
  );
}

/** 409: something is already stored at `path` and would be replaced. */
export function targetExists(path: string, what = 'An entry'): FerroError {
  return FerroError.conflict(ErrorCode.TargetExists, `${what} already exists at ${path}`);
}

/** 400: a folder cannot be moved to itself or into one of its own subfolders. */
export function moveIntoSelf(from: string, to: string): FerroError {
  return FerroError.badRequest(ErrorCode.MoveIntoSelf, `Cannot move ${from} into itself (${to})`);
}

/** 400: the root folder cannot be deleted, moved or replaced. */
export function rootIsFixed(action: string): FerroError {
  return FerroError.badRequest(ErrorCode.InvalidPath, `The root folder cannot be ${action}`);
}

/** 400: the path resolves, through a symbolic link, to a place outside the storage root. */
export function leavesRoot(path: string): FerroError {
  return FerroError.badRequest(ErrorCode.InvalidPath, `${path} leads outside the storage root`);
}

/** 503: the medium itself is missing or broken; the health monitor reports it too. */
export function storageUnavailable(): FerroError {
  return new FerroError(
    HttpStatus.SERVICE_UNAVAILABLE,
    ErrorCode.StorageUnavailable,
    'File storage is unavailable',
  );
}
