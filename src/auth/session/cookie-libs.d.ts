// The jshttp libraries express-session itself uses ship no typings at the
// versions installed; these declare the functions this folder calls.

declare module 'cookie' {
  export function parse(header: string): Record<string, string | undefined>;
}

declare module 'cookie-signature' {
  export function sign(value: string, secret: string): string;
  /** The value without its signature, or false when the signature is wrong. */
  export function unsign(signed: string, secret: string): string | false;
}
