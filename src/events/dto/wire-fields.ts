import { IsInt, IsNotEmpty, IsString, Matches, Min } from 'class-validator';

/** Paths on the wire are absolute; anything else is a bug upstream. */
export const ABSOLUTE_PATH = /^\/[^\0]*$/;

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
