import {
  Body,
  Delete,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Post,
  Put,
  Req,
  Res,
  StreamableFile,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';

import { FerroAuthGuard } from '../auth/auth.guard.js';
import { Owner } from '../auth/principal.js';
import { FerroController } from '../common/ferro-controller.decorator.js';
import { decodePath, normalizePath, rawPathFromUrl } from './file-path.js';
import { FileService } from './file.service.js';
import type { FileContent, FolderContent } from './file.service.js';
import { MoveDto } from './move.dto.js';
import type { EntryInfo } from './storage-backend.js';
import { uploadBody } from './upload.body-parser.js';

/** Answer of an upload. */
export interface UploadAnswer {
  path: string;
  size: number;
  created: boolean;
}

/** Answer of a move: both paths as normalized. */
export interface MoveAnswer {
  from: string;
  to: string;
}

/** Answer of `GET` on a folder. */
export interface FolderListing {
  path: string;
  entries: EntryInfo[];
}

/**
 * `/api/files/<path>`: upload, download or list, delete, and move.
 *
 * The path is read from the raw request URL and decoded here, once
 * (`decodePath`), then normalized (`normalizePath`). Express has decoded
 * the wildcard already, but segment by segment into an array, which can no
 * longer tell `a%2Fb` from `a/b`; only its segment count is used, to find
 * where the path starts in the raw URL whatever prefix the app adds.
 *
 * Uploads are streamed from the request itself; see `setupFilesHttp`
 * for keeping body parsers away from them.
 */
@FerroController('api/files')
@UseGuards(FerroAuthGuard)
export class FilesController {
  constructor(private readonly files: FileService) {}

  @Post('move')
  @HttpCode(HttpStatus.OK)
  async move(@Body() body: MoveDto, @Owner() owner: string): Promise<MoveAnswer> {
    const from = normalizePath(body.from);
    const to = normalizePath(body.to);
    await this.files.move(from, to, owner);
    return { from, to };
  }

  /** The file's bytes, or the listing of a folder; `/api/files` lists the root. */
  @Get(['', '*path'])
  @Header('X-Content-Type-Options', 'nosniff')
  async get(@Req() req: Request): Promise<StreamableFile | FolderListing> {
    const content = await this.files.get(filePathOf(req));
    return content.kind === 'file' ? streamOf(content) : listingOf(content);
  }

  @Put(['', '*path'])
  async put(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Owner() owner: string,
  ): Promise<UploadAnswer> {
    const path = filePathOf(req);
    const { created, size } = await this.files.put(path, uploadBody(req), owner);
    res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return { path, size, created };
  }

  @Delete(['', '*path'])
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Req() req: Request, @Owner() owner: string): Promise<void> {
    await this.files.remove(filePathOf(req), owner);
  }
}

/** The normalized path a request under `/api/files` names; the root when it names none. */
function filePathOf(req: Request): string {
  const matched: unknown = req.params.path;
  const segments = Array.isArray(matched) ? matched.length : matched ? 1 : 0;
  return normalizePath(decodePath(rawPathFromUrl(req.url, segments)));
}

function streamOf(file: FileContent): StreamableFile {
  return new StreamableFile(file.stream, { type: 'application/octet-stream', length: file.size });
}

function listingOf(folder: FolderContent): FolderListing {
  return { path: folder.path, entries: folder.entries };
}
