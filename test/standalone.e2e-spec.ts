import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import request from 'supertest';

import { connect } from './support/ws-client.js';

const MAIN = resolve('dist/main.js');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<Exit>;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
    probe.on('error', fail);
  });
}

/** Runs the built server as a user would, with only the given environment. */
function run(env: Record<string, string>, cwd: string): Running {
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<Exit>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  return { child, output: () => output, exited };
}

async function waitForOutput(running: Running, text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!running.output().includes(text)) {
    if (Date.now() > deadline || running.child.exitCode !== null) {
      throw new Error(`server never printed "${text}"; it printed:\n${running.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
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
    // Nest's shutdown hook closes the app, then re-raises the signal.
    expect(await running.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await socket.closed).toEqual({ code: 1001, reason: 'server shutting down' });
  });

  it('refuses to start on a bad variable and names it', async () => {
    running = run({ FERRO_PORT: 'eighty', FERRO_STORAGE: 'tape' }, workDir);

    expect((await running.exited).code).toBe(1);
    expect(running.output()).toContain('FERRO_PORT');
    expect(running.output()).toContain('FERRO_STORAGE');
    expect(running.output()).toContain('FERRO_PORT="eighty": FERRO_PORT must be an integer');
    expect(running.output()).not.toMatch(/^\s+at /m);
  });
});
