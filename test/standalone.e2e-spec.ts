import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';

import { freePort, run, waitForOutput } from './support/standalone.js';
import type { Running } from './support/standalone.js';
import { connect } from './support/ws-client.js';

/** One PUT on a keep-alive agent; rejects when the connection fails. */
function put(port: number, agent: Agent, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ port, host: '127.0.0.1', method: 'PUT', path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the standalone server (dist/main.js)', () => {
  let workDir: string;
  let running: Running | undefined;

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'ferro-main-'));
  });

  afterEach(async () => {
    running?.child.kill('SIGKILL');
    running = undefined;
    await rm(workDir, { recursive: true, force: true });
  });

  it('starts from a .env file, warns that auth is off, serves, and stops on SIGTERM', async () => {
    const port = await freePort();
    await writeFile(join(workDir, '.env'), `FERRO_PORT=${port}\nFERRO_DATA_DIR=./state\n`);
    running = run({}, workDir);
    await waitForOutput(running, 'listening on');
    const base = `http://127.0.0.1:${port}`;
    const socket = await connect(`ws://127.0.0.1:${port}/api/ws`);

    await request(base).put('/api/files/hello.txt').send('hello').expect(201);
    const event = await socket.next();
    const missing = await request(base).get('/no/such/route').expect(404);
    running.child.kill('SIGTERM');

    expect(running.output()).toContain('authentication is OFF');
    expect(event).toEqual({
      type: 'file_created',
      path: '/hello.txt',
      size: 5,
      owner: 'anonymous',
    });
    expect(missing.body).toMatchObject({ error_code: 'not_found' });
    // The stop handler closes the app, then re-raises the signal.
    expect(await running.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await socket.closed).toEqual({ code: 1001, reason: 'server shutting down' });
  });

  it('stops within seconds on SIGTERM while clients keep writing and an upload hangs', async () => {
    const port = await freePort();
    running = run({ FERRO_PORT: String(port), FERRO_DATA_DIR: join(workDir, 'data') }, workDir);
    await waitForOutput(running, 'listening on');
    const agent = new Agent({ keepAlive: true });
    let writing = true;
    const writer = async (id: number): Promise<void> => {
      for (let i = 0; writing; i++) {
        await put(port, agent, `/api/files/busy/${id}-${i}.txt`, 'x').catch(() => {
          writing = false;
        });
      }
    };
    const writers = [1, 2, 3, 4].map((id) => writer(id));
    const hanging = new Agent().createConnection({ port, host: '127.0.0.1' }) as Socket;
    hanging.write(
      'PUT /api/files/slow.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\npartial',
    );
    hanging.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));

    const signalled = Date.now();
    running.child.kill('SIGTERM');
    const exit = await running.exited;
    writing = false;
    await Promise.all(writers);
    hanging.destroy();
    agent.destroy();

    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(Date.now() - signalled).toBeLessThan(9_000);
  }, 20_000);

  it('refuses to start on a bad variable and names it', async () => {
    running = run({ FERRO_PORT: 'eighty', FERRO_STORAGE: 'tape' }, workDir);

    expect((await running.exited).code).toBe(1);
    expect(running.output()).toContain('FERRO_PORT');
    expect(running.output()).toContain('FERRO_STORAGE');
    expect(running.output()).toContain('FERRO_PORT="eighty": FERRO_PORT must be an integer');
    expect(running.output()).not.toMatch(/^\s+at /m);
  });
});
