import { asCursorGone, asDeltaPage, parseMessage } from './message-parser.js';

describe('parseMessage', () => {
  it.each([
    { type: 'file_created', path: '/a', size: 0, owner: 'o' },
    { type: 'file_updated', path: '/a', size: 5, owner: 'o' },
    { type: 'file_deleted', path: '/a', owner: 'o' },
    { type: 'file_moved', from: '/a', to: '/b', owner: 'o' },
    { type: 'file_shared', path: '/a', token: 't', owner: 'o' },
    { type: 'sync_op', clock: 1, op_type: 'share', path: '/a' },
    { type: 'storage_health', healthy: true, backend: 'local' },
  ])('reads $type', (message) => {
    expect(parseMessage(JSON.stringify(message))).toEqual(message);
  });

  it.each([
    ['binary data', new Uint8Array([123, 125])],
    ['text that is not JSON', '{"type":'],
    ['JSON that is no object', '[1,2]'],
    ['null', 'null'],
    ['an unknown type', '{"type":"file_touched","path":"/a"}'],
    ['a type from the prototype', '{"type":"toString"}'],
    ['a sync_op without a clock', '{"type":"sync_op","op_type":"create","path":"/a"}'],
    ['a sync_op with clock 0', '{"type":"sync_op","clock":0,"op_type":"create","path":"/a"}'],
    [
      'a sync_op with a fractional clock',
      '{"type":"sync_op","clock":1.5,"op_type":"create","path":"/a"}',
    ],
    ['a sync_op of an unknown kind', '{"type":"sync_op","clock":1,"op_type":"copy","path":"/a"}'],
    ['a relative path', '{"type":"file_deleted","path":"a","owner":"o"}'],
    ['a negative size', '{"type":"file_created","path":"/a","size":-1,"owner":"o"}'],
    ['an empty owner', '{"type":"file_deleted","path":"/a","owner":""}'],
  ])('ignores %s', (_name, data) => {
    expect(parseMessage(data)).toBeUndefined();
  });
});

describe('asDeltaPage', () => {
  const page = {
    epoch: 'e',
    current_clock: 2,
    oldest_clock: 1,
    ops: [{ clock: 2, op_type: 'delete', path: '/a', owner: 'o', timestamp: 't' }],
    count: 1,
    has_more: false,
  };

  it('reads a delta body', () => {
    expect(asDeltaPage(page)).toBe(page);
  });

  it.each([
    ['no body', undefined],
    ['a body without has_more', { ...page, has_more: undefined }],
    ['an op without a clock', { ...page, ops: [{ op_type: 'delete', path: '/a', owner: 'o' }] }],
    ['ops that are no list', { ...page, ops: {} }],
  ])('refuses %s', (_name, body) => {
    expect(asDeltaPage(body)).toBeUndefined();
  });
});

describe('asCursorGone', () => {
  it('reads both kinds of 410', () => {
    const expired = {
      error: 'x',
      error_code: 'cursor_expired',
      epoch: 'e',
      current_clock: 9,
      oldest_clock: 5,
    };
    const unknown = { error: 'x', error_code: 'cursor_unknown', epoch: 'e', current_clock: 0 };

    expect(asCursorGone(expired)).toBe(expired);
    expect(asCursorGone(unknown)).toBe(unknown);
  });

  it.each([
    ['another error code', { error_code: 'share_expired', epoch: 'e', current_clock: 1 }],
    ['no epoch', { error_code: 'cursor_unknown', current_clock: 1 }],
    ['a page from a proxy', '<html>Gone</html>'],
  ])('refuses %s', (_name, body) => {
    expect(asCursorGone(body)).toBeUndefined();
  });
});
