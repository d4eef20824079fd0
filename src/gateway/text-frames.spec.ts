import { textFrames } from './text-frames.js';

/** Reads back frames the way a client's parser does. */
function parse(wire: Buffer): Array<{ fin: boolean; opcode: number; text: string }> {
  const frames = [];
  let at = 0;
  while (at < wire.length) {
    const fin = (wire[at] & 0x80) !== 0;
    const opcode = wire[at] & 0x0f;
    const masked = (wire[at + 1] & 0x80) !== 0;
    let length = wire[at + 1] & 0x7f;
    at += 2;
    if (length === 126) {
      length = wire.readUInt16BE(at);
      at += 2;
    } else if (length === 127) {
      length = Number(wire.readBigUInt64BE(at));
      at += 8;
    }
    expect(masked).toBe(false);
    frames.push({ fin, opcode, text: wire.toString('utf8', at, at + length) });
    at += length;
  }
  return frames;
}

describe('textFrames', () => {
  it.each([0, 1, 125, 126, 127, 65_535, 65_536, 200_000])(
    'frames a %i-byte payload with the right length encoding',
    (size) => {
      const payload = Buffer.alloc(size, 'a');

      const frames = parse(textFrames([payload]));

      expect(frames).toEqual([{ fin: true, opcode: 1, text: 'a'.repeat(size) }]);
    },
  );

  it('puts several messages back to back, in order', () => {
    const payloads = ['{"n":1}', 'ü'.repeat(70), '{"n":3}'].map((text) => Buffer.from(text));

    const frames = parse(textFrames(payloads));

    expect(frames.map((frame) => frame.text)).toEqual(['{"n":1}', 'ü'.repeat(70), '{"n":3}']);
  });
});
