/** FIN bit plus the text opcode (RFC 6455 §5.2). */
const FINAL_TEXT = 0x81;
const LENGTH_16 = 126;
const LENGTH_64 = 127;

/**
 * Encodes `payloads` as final, unmasked text frames (the only kind a server
 * sends), back to back in one buffer. The gateway builds this once per
 * broadcast and writes the same bytes to every client, so each client
 * costs one socket write however many messages an op produces.
 */
export function textFrames(payloads: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const payload of payloads) {
    parts.push(frameHeader(payload.length), payload);
  }
  return Buffer.concat(parts);
}

function frameHeader(length: number): Buffer {
  if (length < LENGTH_16) {
    return Buffer.from([FINAL_TEXT, length]);
  }

  if (length <= 0xffff) {
    const header = Buffer.allocUnsafe(4);
    header[0] = FINAL_TEXT;
    header[1] = LENGTH_16;
    header.writeUInt16BE(length, 2);
    return header;
  }

  const header = Buffer.allocUnsafe(10);
  header[0] = FINAL_TEXT;
  header[1] = LENGTH_64;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}
