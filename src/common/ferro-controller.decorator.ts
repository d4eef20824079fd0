import { applyDecorators, Controller, UseFilters, UsePipes, ValidationPipe } from '@nestjs/common';

import { FerroErrorFilter } from './error.filter.js';

/**
 * `@Controller` for this module's routes, with the module's JSON errors and
 * strict body validation attached to the controller itself. Nothing here is
 * global, so importing the module never changes how a host's own routes
 * answer errors or validate bodies.
 */
export function FerroController(prefix: string): ClassDecorator {
  return applyDecorators(
    Controller(prefix),
    UseFilters(FerroErrorFilter),
    UsePipes(
      new ValidationPipe({
        whitelist: true,
        forbidNonWhitelisted: true,
        transform: true,
        stopAtFirstError: true,
      }),
    ),
  );
}
