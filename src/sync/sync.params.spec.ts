import { FerroError } from '../common/ferro.error.js';
import { DEFAULT_DELTA_LIMIT, MAX_DELTA_LIMIT, parseCursor, parseLimit } from './sync.params.js';

function codeThrownBy(act: () => unknown): string | undefined {
  try {
    act();
  } catch (error) {
    return error instanceof FerroError ? `${error.status} ${error.code}` : String(error);
  }
  return undefined;
}

describe('parseCursor', () => {
  it.each([
    { raw: undefined, value: undefined },
    { raw: '0', value: 0 },
    { raw: '42', value: 42 },
    { raw: '007', value: 7 },
    { raw: '9007199254740991', value: Number.MAX_SAFE_INTEGER },
  ])('reads $raw as $value', ({ raw, value }) => {
    const sut = parseCursor;

    expect(sut(raw)).toBe(value);
  });

  it.each([
    '-1',
    'abc',
    '1.5',
    '',
    '9007199254740992',
    '9007199254740993',
    '1e3',
    ' 1',
    '1 ',
    '1\n',
    '+1',
    '0x10',
    '١',
    ['1', '2'],
    { gt: '1' },
  ])('refuses %j with 400 invalid_cursor', (raw) => {
    const act = () => parseCursor(raw);

    expect(codeThrownBy(act)).toBe('400 invalid_cursor');
  });

  it('names the source of the bad value', () => {
    const act = () => parseCursor('garbage', 'Last-Event-ID');

    expect(act).toThrow(/^Last-Event-ID must be/);
  });
});

describe('parseLimit', () => {
  it.each([
    { raw: undefined, value: DEFAULT_DELTA_LIMIT },
    { raw: '1', value: 1 },
    { raw: String(MAX_DELTA_LIMIT), value: MAX_DELTA_LIMIT },
  ])('reads $raw as $value', ({ raw, value }) => {
    const sut = parseLimit;

    expect(sut(raw)).toBe(value);
  });

  it.each(['0', '10001', '-5', 'abc', '', '2.5', '1e2', ['5', '6']])(
    'refuses %j with 400 invalid_limit',
    (raw) => {
      const act = () => parseLimit(raw);

      expect(codeThrownBy(act)).toBe('400 invalid_limit');
    },
  );
});
