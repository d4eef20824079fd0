import { get } from 'node:http';
import type { IncomingMessage } from 'node:http';

export interface SseEvent {
  id?: string;
  data: string;
}

/**
 * Reads a Server-Sent Events stream with Node's own HTTP client, queuing
 * parsed events so a test can await them one at a time.
 */
export class SseStream {
  private readonly events: SseEvent[] = [];
  private readonly waiters: Array<(event: SseEvent) => void> = [];
  private buffer = '';
  comments = 0;

  constructor(readonly res: IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk));
  }

  next(timeoutMs = 3_000): Promise<SseEvent> {
    const queued = this.events.shift();
    if (queued) {
      return Promise.resolve(queued);
    }

    return new Promise((resolve, reject) => {
      const waiter = (event: SseEvent): void => {
        clearTimeout(timer);
        resolve(event);
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no SSE event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  close(): void {
    this.res.destroy();
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.parse(block);
    }
  }

  private parse(block: string): void {
    const event: SseEvent = { data: '' };
    let hasData = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments++;
      } else if (line.startsWith('id: ')) {
        event.id = line.slice(4);
      } else if (line.startsWith('data: ')) {
        event.data += line.slice(6);
        hasData = true;
      }
    }
    if (!hasData) {
      return;
    }

    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(event);
    } else {
      this.events.push(event);
    }
  }
}

/** Opens an SSE stream; resolves once the response headers arrive. */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) =>
      resolve(new SseStream(res)),
    ).on('error', reject);
  });
}
