import { IsInt, IsNotEmpty, IsString, Matches, Min } from 'class-validator';

/** Paths on the wire are absolute; anything else is a bug upstream. */
export const ABSOLUTE_PATH = /^\/[^\0]*$/;

/**
 * Half of a UTF-16 surrogate pair without its other half: JSON carries it,
 * but no UTF-8 store can, so the live event and the logged op would differ.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether `value` may be sent as a `path` (or `from`): what {@link WirePath}
 * checks, and text that survives the op log unchanged.
 */
export function isWirePath(value: unknown): value is string {
  return typeof value === 'string' && ABSOLUTE_PATH.test(value) && !LONE_SURROGATE.test(value);
}

/** Whether `value` may be sent as an `owner`: not empty, and text the op log keeps as is. */
export function isWireOwner(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && !LONE_SURROGATE.test(value);
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
