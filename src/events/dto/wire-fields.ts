import { IsInt, IsNotEmpty, IsString, Matches, Min } from 'class-validator';

/** Paths on the wire are absolute; anything else is a bug upstream. */
export const ABSOLUTE_PATH = /^\/[^\0]*$/;

/** Whether `value` may be sent as a `path` (or `from`): what {@link WirePath} checks. */
export function isWirePath(value: unknown): value is string {
  return typeof value === 'string' && ABSOLUTE_PATH.test(value);
}

/** Whether `value` may be sent as an `owner`: what {@link WireOwner} checks. */
export function isWireOwner(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Decorators shared by every field named `path` on the wire. */
export function WirePath(): PropertyDecorator {
  return (target, key) => {
    IsString()(target, key);
    Matches(ABSOLUTE_PATH)(target, key);
  };
}

/** Decorators shared by every field named `owner` on the wire. */
export function WireOwner(): PropertyDecorator {
  return (target, key) => {
    IsString()(target, key);
    IsNotEmpty()(target, key);
  };
}

/** Decorators shared by every byte size on the wire. */
export function WireSize(): PropertyDecorator {
  return (target, key) => {
    IsInt()(target, key);
    Min(0)(target, key);
  };
}
