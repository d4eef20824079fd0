import {
  Body,
  Get,
  Header,
  Headers,
  Inject,
  Param,
  Post,
  Query,
  Req,
  StreamableFile,
  UseGuards,
} from '@nestjs/common';
import type { Request } from 'express';

import { FerroAuthGuard } from '../auth/auth.guard.js';
import { Owner } from '../auth/principal.js';
import { ErrorCode } from '../common/error-codes.js';
import { FerroController } from '../common/ferro-controller.decorator.js';
import { FerroError } from '../common/ferro.error.js';
import { FERRO_OPTIONS } from '../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../ferro-realtime.options.js';
import { attachmentDisposition } from './content-disposition.js';
import { CreateShareDto } from './create-share.dto.js';
import { normalizePath } from './file-path.js';
import { ShareService } from './share.service.js';

// randomBytes(16) in base64url: anything else cannot be a token.
const TOKEN = /^[A-Za-z0-9_-]{22}$/;

/** Answer of `POST /api/shares`. */
export interface ShareCreatedAnswer {
  token: string;
  /** Absolute download link. */
  url: string;
  path: string;
  created_at: string;
  expires_at: string | null;
  max_downloads: number | null;
  has_password: boolean;
}

/**
 * `POST /api/shares` creates a link (authenticated); `GET /s/<token>`
 * downloads through it without authentication, which is the point of a
 * link, so the guard sits on the one method and not on the class.
 */
@FerroController('')
export class SharesController {
  constructor(
    private readonly shares: ShareService,
    @Inject(FERRO_OPTIONS) private readonly options: FerroRealtimeOptions,
  ) {}

  @Post('api/shares')
  @UseGuards(FerroAuthGuard)
  async create(
    @Body() body: CreateShareDto,
    @Owner() owner: string,
    @Req() req: Request,
  ): Promise<ShareCreatedAnswer> {
    const { path, ...options } = body;
    const { url_path: urlPath, ...share } = await this.shares.create(
      normalizePath(path),
      owner,
      options,
    );
    return { ...share, url: this.baseUrl(req) + urlPath };
  }

  /** The password comes from `X-Share-Password`, or `?password=` for plain links. */
  @Get('s/:token')
  @Header('Cache-Control', 'no-store')
  @Header('X-Content-Type-Options', 'nosniff')
  async download(
    @Param('token') token: string,
    @Headers('x-share-password') headerPassword: string | undefined,
    @Query('password') queryPassword: unknown,
  ): Promise<StreamableFile> {
    if (!TOKEN.test(token)) {
      throw FerroError.notFound(ErrorCode.ShareNotFound, 'No share has this token');
    }

    const password =
      headerPassword ?? (typeof queryPassword === 'string' ? queryPassword : undefined);
    const file = await this.shares.download(token, password);
    return new StreamableFile(file.stream, {
      type: 'application/octet-stream',
      length: file.size,
      disposition: attachmentDisposition(file.name),
    });
  }

  /**
   * `publicUrl` when configured; otherwise the request's own scheme and
   * host, which a client controls, so production setups behind a proxy
   * should set `publicUrl`.
   */
  private baseUrl(req: Request): string {
    if (this.options.publicUrl) {
      return this.options.publicUrl.replace(/\/+$/, '');
    }

    return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  }
}
