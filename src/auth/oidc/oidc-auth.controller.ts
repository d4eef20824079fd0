import { Get, Header, HttpCode, HttpStatus, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';

import { FerroController } from '../../common/ferro-controller.decorator.js';
import { BrowserSessionService, SESSION_COOKIE } from '../session/browser-session.service.js';
import { OidcLoginService } from './oidc-login.service.js';

/** The answer of `GET /api/auth/info`. */
export type LoginInfo =
  { authenticated: false } | { authenticated: true; user: string; method: string };

/**
 * Browser login through the OpenID provider. The routes always exist; with
 * OIDC login not configured they answer 404 `oidc_disabled`, so the module
 * needs no conditional registration under `forRootAsync`.
 */
@FerroController('api/auth')
export class OidcAuthController {
  constructor(
    private readonly login: OidcLoginService,
    private readonly sessions: BrowserSessionService,
  ) {}

  /** Redirects to the provider; `return_to` (a path on this site) is where the login ends. */
  @Get('login')
  @Header('Cache-Control', 'no-store')
  async start(
    @Req() req: Request,
    @Res() res: Response,
    @Query('return_to') returnTo?: unknown,
  ): Promise<void> {
    const authorizationUrl = await this.login.start(req, returnTo);
    res.redirect(HttpStatus.FOUND, authorizationUrl);
  }

  /**
   * Where the provider sends the browser back: 302 to `return_to`, or 401
   * JSON for anything but a complete, valid answer. Never to the provider:
   * a callback that started a new login would loop.
   */
  @Get('callback')
  @Header('Cache-Control', 'no-store')
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    const { principal, returnTo } = await this.login.finish(req);
    await this.login.logIn(req, principal);
    res.redirect(HttpStatus.FOUND, returnTo);
  }

  /**
   * POST only: a GET could be fired by any page through an `<img>`. The
   * Lax cookie keeps cross-site POSTs out.
   */
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.login.logOut(req);
    res.clearCookie(SESSION_COOKIE, { path: this.cookiePathOf(req) });
  }

  @Get('info')
  @Header('Cache-Control', 'no-store')
  async info(@Req() req: Request): Promise<LoginInfo> {
    const principal = await this.sessions.principalOf(req);
    if (!principal) {
      return { authenticated: false };
    }
    return { authenticated: true, user: principal.name, method: principal.method };
  }

  /** The cookie's path, `/api` under whatever global prefix the host set. */
  private cookiePathOf(req: Request): string {
    return req.originalUrl.split('?')[0].replace(/\/auth\/logout\/?$/, '');
  }
}
