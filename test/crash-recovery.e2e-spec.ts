import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { WebSocket } from 'ws';

import { FerroClient } from '../src/client/index.js';
import type { DeltaOp, DeltaPage } from '../src/client/index.js';
import { freePort, run, waitForOutput } from './support/standalone.js';
import type { Running } from './support/standalone.js';
import { basicAuth } from './support/ws-client.js';

const USER = 'admin';
const PASSWORD = 'crash-test-password';
const AUTH = basicAuth(USER, PASSWORD);
const WAIT = { timeout: 30_000, interval: 50 };

/** Every op the log holds, read page by page from clock 0. */
async function wholeLog(base: string): Promise<DeltaOp[]> {
  const ops: DeltaOp[] = [];
  for (let since = 0; ;) {
    const res = await fetch(`${base}/api/sync/delta?since=${since}&limit=10000`, {
      headers: { Authorization: AUTH },
    });
    expect(res.status).toBe(200);
    const page = (await res.json()) as DeltaPage;
    ops.push(...page.ops);
    if (!page.has_more) {
      return ops;
    }
    since = page.ops[page.ops.length - 1].clock;
  }
}

/** The files the log says exist, path to size, replaying every op in order. */
function filesByLog(ops: DeltaOp[]): Map<string, number> {
  const files = new Map<string, number>();
  const under = (path: string, root: string): boolean =>
    path === root || path.startsWith(`${root}/`);
  for (const op of ops) {
    switch (op.op_type) {
      case 'create':
      case 'update':
        files.set(op.path, op.size ?? -1);
        break;
      case 'delete':
        for (const path of [...files.keys()].filter((p) => under(p, op.path))) {
          files.delete(path);
        }
        break;
      case 'move':
        for (const [path, size] of [...files].filter(([p]) => under(p, op.from ?? ''))) {
          files.delete(path);
          files.set(op.path + path.slice((op.from ?? '').length), size);
        }
        break;
      case 'share':
        break;
    }
  }
  return files;
}

/** The files in the storage folder, path to size. */
async function filesOnDisk(root: string, prefix = ''): Promise<Map<string, number>> {
  const files = new Map<string, number>();
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const path = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      for (const [child, size] of await filesOnDisk(root, path)) {
        files.set(child, size);
      }
    } else {
      files.set(path, (await stat(join(root, path))).size);
    }
  }
  return files;
}

/**
 * Workers that upload, overwrite, move and delete files as fast as the
 * server answers, ignoring failures (the server is down part of the time,
 * and a move or delete may lose a race with another worker).
 */
function startWriters(base: string, workers: number): { stop(): Promise<void> } {
  let running = true;
  const names = Array.from({ length: 20 }, (_, i) => `/crash/f${i}.bin`);
  const pick = (): string => names[Math.floor(Math.random() * names.length)];
  const send = async (method: string, path: string, body?: BodyInit): Promise<void> => {
    const headers: Record<string, string> = { Authorization: AUTH };
    if (method === 'POST') {
      headers['Content-Type'] = 'application/json';
    }
    try {
      const res = await fetch(`${base}${path}`, { method, headers, body });
      await res.arrayBuffer();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const work = async (): Promise<void> => {
    while (running) {
      const roll = Math.random();
      if (roll < 0.6) {
        const size = 1 + Math.floor(Math.random() * 200_000);
        await send('PUT', `/api/files${pick()}`, new Uint8Array(size).fill(0x61));
      } else if (roll < 0.8) {
        await send('DELETE', `/api/files${pick()}`);
      } else {
        await send('POST', '/api/files/move', JSON.stringify({ from: pick(), to: pick() }));
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, () => work()));
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}

describe('a server killed with SIGKILL while files are written', () => {
  let workDir: string;
  let server: Running | undefined;
  let client: FerroClient | undefined;

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'ferro-crash-'));
  });

  afterEach(async () => {
    await client?.close();
    server?.child.kill('SIGKILL');
    await rm(workDir, { recursive: true, force: true });
  });

  it(
    'loses no op: the client gets every clock once, in order, and disk matches the log',
    {
      timeout: 90_000,
    },
    async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const env = {
        FERRO_PORT: String(port),
        FERRO_DATA_DIR: join(workDir, 'data'),
        FERRO_ADMIN_USER: USER,
        FERRO_ADMIN_PASSWORD: PASSWORD,
      };
      const start = async (): Promise<Running> => {
        const running = run(env, workDir);
        await waitForOutput(running, 'listening on');
        return running;
      };
      server = await start();

      const clocks: number[] = [];
      client = new FerroClient({
        url: base,
        auth: { type: 'basic', user: USER, password: PASSWORD },
        WebSocket,
        cursor: { clock: 0 },
        backoffBaseMs: 20,
        backoffCapMs: 200,
      });
      client.on('op', (op) => clocks.push(op.clock));
      client.start();
      const writers = startWriters(base, 4);

      for (let kill = 1; kill <= 3; kill++) {
        const before = clocks.length;
        await vi.waitFor(() => expect(clocks.length).toBeGreaterThan(before + 60), WAIT);
        server.child.kill('SIGKILL');
        await server.exited;
        server = await start();
      }
      const afterLast = clocks.length;
      await vi.waitFor(() => expect(clocks.length).toBeGreaterThan(afterLast + 60), WAIT);
      await writers.stop();

      const log = await wholeLog(base);
      const last = log[log.length - 1].clock;
      await vi.waitFor(() => expect(clocks.at(-1)).toBe(last), WAIT);
      expect(clocks).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      expect(log.map((op) => op.clock)).toEqual(clocks);
      expect(await filesOnDisk(join(workDir, 'data', 'files'))).toEqual(filesByLog(log));
    },
  );
});
