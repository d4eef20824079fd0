// One server under test, run as a child of bench/run.mjs (with --expose-gc).
//
//   node --expose-gc bench/server.mjs <gateway|plain|tuned|socketio>
//
// Every variant pushes the SAME two JSON messages per event, in the same
// order and with the same shapes and sizes as the gateway sends for a
// created file:
//
//   {"type":"file_created","path":"/bench/<seq>_<µs>.txt","size":64,"owner":"bench"}
//   {"type":"sync_op","clock":<n>,"op_type":"create","path":"/bench/<seq>_<µs>.txt"}
//
// The send time (µs since the epoch, performance.timeOrigin + performance.now())
// is embedded in the path; the clients parse it back for latency. In the
// steady phase it is the time the event was due on the schedule.
//
// The parent drives it over IPC: {cmd:'mem'} | {cmd:'count'} | {cmd:'steady'} | {cmd:'burst'}.

import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';

const variant = process.argv[2];
const SIZE = 64; // bytes of every benchmark file, so `size` is the same everywhere
const BODY = Buffer.alloc(SIZE, 0x61);
const OWNER = 'bench';

const nowMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const pathOf = (seq, micros) => `/bench/${seq}_${micros}.txt`;

/** The two wire messages of one created file, as plain objects. */
function messagesOf(seq, clock, micros) {
  const path = pathOf(seq, micros);
  return [
    { type: 'file_created', path, size: SIZE, owner: OWNER },
    { type: 'sync_op', clock, op_type: 'create', path },
  ];
}

/** An unmasked, unfragmented text frame (RFC 6455 §5.2), header written by hand. */
function textFrame(payload) {
  const len = payload.length;
  let header;
  if (len < 126) {
    header = Buffer.from([0x81, len]);
  } else if (len < 65536) {
    header = Buffer.from([0x81, 126, len >> 8, len & 0xff]);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x81;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([header, payload]);
}

// ---------------------------------------------------------------- variants

/** Each factory returns { port, path, connections(), emit(seq) -> void|Promise, close() }. */
const variants = {
  async gateway() {
    await import('reflect-metadata');
    const { Module } = await import('@nestjs/common');
    const { NestFactory } = await import('@nestjs/core');
    const { EventEmitterModule } = await import('@nestjs/event-emitter');
    const dist = await import('../dist/index.js');
    const { FerroRealtimeModule, configureFerroApp, FileService, EventsGateway } = dist;

    const dataDir = await mkdtemp(join(tmpdir(), 'ferro-bench-'));
    // The host module of test/support/test-server.ts, written without decorator syntax.
    class BenchHostModule {}
    Module({
      imports: [
        EventEmitterModule.forRoot(),
        FerroRealtimeModule.forRoot({
          dataDir,
          storage: 'memory',
          healthIntervalMs: 60_000,
          wsMaxConnections: 2000,
          wsBuffer: 4096,
        }),
      ],
    })(BenchHostModule);

    const app = await NestFactory.create(BenchHostModule, { bodyParser: false, logger: false });
    configureFerroApp(app);
    await app.listen(0, '127.0.0.1');
    const files = app.get(FileService);
    const gateway = app.get(EventsGateway);
    return {
      port: app.getHttpServer().address().port,
      path: '/api/ws',
      connections: () => gateway.connectionCount,
      // A real upload through FileService: the sync log gives it a clock and
      // the gateway broadcasts file_created + sync_op.
      emit: (seq, micros = nowMicros()) =>
        files.put(pathOf(seq, micros), Readable.from([BODY]), OWNER),
      async close() {
        await app.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },

  async plain() {
    const { http, wss, WebSocket } = await startWsServer();
    let clock = 0;
    return {
      port: http.address().port,
      path: '/api/ws',
      connections: () => wss.clients.size,
      // The usual broadcast: serialize each message once, `send` it per client.
      emit(seq, micros = nowMicros()) {
        const [created, op] = messagesOf(seq, ++clock, micros);
        const a = JSON.stringify(created);
        const b = JSON.stringify(op);
        for (const client of wss.clients) {
          if (client.readyState === WebSocket.OPEN) {
            client.send(a);
            client.send(b);
          }
        }
      },
      close: () => closeWsServer(http, wss),
    };
  },

  async tuned() {
    const { http, wss, WebSocket } = await startWsServer();
    let clock = 0;
    // Frames of the events emitted in this turn of the event loop, written
    // together at its end: the equivalent of cork() on the first event and
    // uncork() after the last, with one buffer shared by every client.
    let pending = [];
    const flush = () => {
      const wire = pending.length === 1 ? pending[0] : Buffer.concat(pending);
      pending = [];
      for (const client of wss.clients) {
        if (client.readyState === WebSocket.OPEN) {
          client._socket.write(wire);
        }
      }
    };
    return {
      port: http.address().port,
      path: '/api/ws',
      connections: () => wss.clients.size,
      // Encode once: both frames (header + payload) built once per event,
      // then ONE socket.write per client per turn, no per-send callback.
      emit(seq, micros = nowMicros()) {
        const [created, op] = messagesOf(seq, ++clock, micros);
        if (pending.length === 0) setImmediate(flush);
        pending.push(
          textFrame(Buffer.from(JSON.stringify(created))),
          textFrame(Buffer.from(JSON.stringify(op))),
        );
      },
      close: () => closeWsServer(http, wss),
    };
  },

  async socketio() {
    const { Server } = await import('socket.io');
    const http = createServer();
    const io = new Server(http, {
      transports: ['websocket'],
      perMessageDeflate: false,
      serveClient: false,
    });
    await new Promise((r) => http.listen(0, '127.0.0.1', r));
    let clock = 0;
    return {
      port: http.address().port,
      path: '/socket.io/?EIO=4&transport=websocket',
      connections: () => io.of('/').sockets.size,
      // Socket.IO's own broadcast, one emit per message.
      emit(seq, micros = nowMicros()) {
        const [created, op] = messagesOf(seq, ++clock, micros);
        io.emit('message', created);
        io.emit('message', op);
      },
      close: () => new Promise((r) => io.close(() => r())),
    };
  },
};

// ---------------------------------------------------------------- driver

function memory() {
  for (let i = 0; i < 4; i++) global.gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

async function steady(server, { rate, seconds, from }) {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const start = performance.now();
  let late = 0;
  const took = new Float64Array(total); // ms per emit: the whole fan-out of one event
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    else if (wait < -interval) late++;
    const t0 = performance.now();
    // The time this event was due, not when the server got to it: a server
    // that cannot keep up with the rate shows it as latency.
    await server.emit(from + i, Math.round((performance.timeOrigin + due) * 1000));
    took[i] = performance.now() - t0;
  }
  took.sort();
  return {
    events: total,
    ms: performance.now() - start,
    late,
    emitP50: took[Math.floor(total * 0.5)],
    emitP99: took[Math.min(total - 1, Math.floor(total * 0.99))],
  };
}

async function burst(server, { events, from, perTurn = 1 }) {
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < events; i += perTurn) {
    // `perTurn` events per turn of the event loop, as when that many
    // requests finish together; with 1, writes complete and buffers drain
    // between events.
    const batch = [];
    for (let j = i; j < Math.min(events, i + perTurn); j++) batch.push(server.emit(from + j));
    await Promise.all(batch);
    await yieldToLoop();
  }
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return { events, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const factory = variants[variant];
if (!factory) {
  console.error(`unknown variant ${variant}; one of ${Object.keys(variants).join(', ')}`);
  process.exit(2);
}
const server = await factory();

process.on('message', async (msg) => {
  try {
    let result;
    switch (msg.cmd) {
      case 'mem':
        result = memory();
        break;
      case 'count':
        result = { connections: server.connections() };
        break;
      case 'steady':
        result = await steady(server, msg);
        break;
      case 'burst':
        result = await burst(server, msg);
        break;
      case 'close':
        await Promise.race([server.close(), sleep(3000)]);
        result = {};
        break;
      default:
        throw new Error(`unknown command ${msg.cmd}`);
    }
    // After 'close', exit on our own (rather than be killed) so that
    // --cpu-prof (BENCH_SERVER_NODE_ARGS) can write its profile.
    process.send({ id: msg.id, ok: true, result }, () => msg.cmd === 'close' && process.exit(0));
  } catch (error) {
    process.send({ id: msg.id, ok: false, error: String(error?.stack ?? error) });
  }
});

process.send({ ready: true, port: server.port, path: server.path, pid: process.pid });

/** A bare `ws` server on /api/ws, as the two plain variants share it. */
async function startWsServer() {
  const { WebSocketServer, WebSocket } = await import('ws');
  const http = createServer();
  const wss = new WebSocketServer({ server: http, path: '/api/ws', perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('error', () => {}));
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  return { http, wss, WebSocket };
}

function closeWsServer(http, wss) {
  for (const client of wss.clients) {
    client.terminate();
  }
  return new Promise((r) => http.close(r));
}
