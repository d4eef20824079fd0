import type { IncomingMessage } from 'node:http';

/** Everything the client has read so far, as it keeps arriving. */
export function collect(res: IncomingMessage): () => string {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (text += chunk));
  return () => text;
}

/** What has been read once it matches `pattern`; fails after 2 s. */
export async function waitForText(read: () => string, pattern: RegExp): Promise<string> {
  await vi.waitFor(() => expect(read()).toMatch(pattern), { timeout: 2000 });
  return read();
}
