import { createParamDecorator } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

/** Who made a request, as far as events and the op log are concerned. */
export interface Principal {
  /** The name written as `owner` in events. */
  name: string;
  /** How the name was established. */
  method: 'anonymous' | 'basic' | 'bearer' | 'session' | 'ticket';
}

export const ANONYMOUS: Principal = Object.freeze({ name: 'anonymous', method: 'anonymous' });

const PRINCIPAL = Symbol('ferro.principal');

type WithPrincipal = IncomingMessage & { [PRINCIPAL]?: Principal };

export function setPrincipal(req: IncomingMessage, principal: Principal): void {
  (req as WithPrincipal)[PRINCIPAL] = principal;
}

/** The principal the auth guard attached; anonymous when none did. */
export function principalOf(req: IncomingMessage): Principal {
  return (req as WithPrincipal)[PRINCIPAL] ?? ANONYMOUS;
}

/** Route parameter decorator: the principal of the current request. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal =>
    principalOf(ctx.switchToHttp().getRequest<IncomingMessage>()),
);

/** Route parameter decorator: the owner name of the current request. */
export const Owner = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): string =>
    principalOf(ctx.switchToHttp().getRequest<IncomingMessage>()).name,
);
