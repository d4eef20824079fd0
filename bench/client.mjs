// The 1,000 clients, in one child process of bench/run.mjs.
//
// Two client implementations:
//
// - `lean` (default, every variant): a minimal RFC 6455 client on a raw TCP
//   socket. It does the real handshake, answers pings (and Engine.IO's "2"
//   heartbeat with "3", after sending the Socket.IO CONNECT "40"), and
//   counts frames by reading their headers. It keeps the receiving side far
//   cheaper than any server here, so the numbers measure the servers, not
//   the clients' decoding.
// - `sio` (Socket.IO only): the real socket.io-client, websocket transport
//   only, one `message` listener per client. Shown as its own row because
//   with 1,000 of them in one process the client decoding is the bottleneck.
//
// Latency is measured on file_created messages only, from the µs send time
// embedded in their path to the time the TCP chunk holding them was read
// (performance.timeOrigin + performance.now(), the same clock the server uses).
// Every message counts for throughput.

import { randomBytes } from 'node:crypto';
import net from 'node:net';

const now = () => performance.timeOrigin + performance.now(); // ms, fractional

const FILE_CREATED = Buffer.from('file_created');
const PATH_MARK = Buffer.from('"path":"/bench/');

// ---------------------------------------------------------------- stats

const stats = {
  phase: 'idle',
  count: 0,
  first: 0,
  last: 0,
  latencies: new Float64Array(0),
  nLat: 0,
  closed: 0,
  closeCodes: {},
};

function reset(phase, latencyCapacity = 0) {
  stats.phase = phase;
  stats.cpu0 = process.cpuUsage();
  stats.count = 0;
  stats.first = 0;
  stats.last = 0;
  stats.nLat = 0;
  if (stats.latencies.length < latencyCapacity) stats.latencies = new Float64Array(latencyCapacity);
}

/** Reads the µs timestamp out of `"path":"/bench/<seq>_<µs>.txt"`. */
function sentAtMs(buf) {
  let i = buf.indexOf(PATH_MARK);
  if (i < 0) return -1;
  i += PATH_MARK.length;
  while (buf[i] !== 0x5f /* _ */) i++;
  i++;
  let micros = 0;
  for (let c = buf[i]; c >= 0x30 && c <= 0x39; c = buf[++i]) micros = micros * 10 + (c - 0x30);
  return micros / 1000;
}

/** One application message (a WebSocket text frame payload, or a decoded socket.io event). */
function onMessage(payload, at) {
  if (stats.count === 0) stats.first = at;
  stats.count++;
  stats.last = at;
  if (stats.phase === 'steady' && payload.indexOf(FILE_CREATED) !== -1) {
    const sent = sentAtMs(payload);
    if (sent > 0 && stats.nLat < stats.latencies.length) stats.latencies[stats.nLat++] = at - sent;
  }
}

// ---------------------------------------------------------------- lean client

function maskedFrame(opcode, payload) {
  const mask = randomBytes(4);
  const out = Buffer.alloc(6 + payload.length); // payloads here are < 126 bytes
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | payload.length;
  mask.copy(out, 2);
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ mask[i & 3];
  return out;
}

const SIO_CONNECT = Buffer.from('40');
const EIO_PONG = Buffer.from('3');

function leanConnect({ port, path, socketio }) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const key = randomBytes(16).toString('base64');
    let upgraded = false;
    let head = '';
    let rest = null; // unparsed tail of the previous chunk
    let settled = false;
    const done = (error) => {
      if (settled) return;
      settled = true;
      error ? reject(error) : resolve(socket);
    };

    socket.on('connect', () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    socket.on('error', (error) => done(error));
    socket.on('close', () => {
      if (settled) stats.closed++;
      done(new Error('closed before open'));
    });

    const onText = (payload, at) => {
      if (!socketio) return onMessage(payload, at);
      // Engine.IO v4 over WebSocket: "0{...}" open, "2" ping, "4<socket.io packet>" message.
      const type = payload[0];
      if (type === 0x34 /* 4 */) {
        if (payload[1] === 0x32 /* 2: EVENT */) return onMessage(payload, at);
        if (payload[1] === 0x30 /* 0: CONNECT ack */) return done();
      } else if (type === 0x32) {
        socket.write(maskedFrame(0x1, EIO_PONG));
      } else if (type === 0x30) {
        socket.write(maskedFrame(0x1, SIO_CONNECT));
      }
    };

    socket.on('data', (chunk) => {
      const at = now();
      if (!upgraded) {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!head.startsWith('HTTP/1.1 101')) {
          socket.destroy();
          return done(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        }
        upgraded = true;
        if (!socketio) done();
        chunk = Buffer.from(head.slice(end + 4), 'latin1');
        head = '';
        if (chunk.length === 0) return;
      }
      let buf = rest ? Buffer.concat([rest, chunk]) : chunk;
      rest = null;
      let off = 0;
      const n = buf.length;
      while (off + 2 <= n) {
        const b0 = buf[off];
        let len = buf[off + 1] & 0x7f;
        let hdr = 2;
        if (len === 126) {
          if (off + 4 > n) break;
          len = buf.readUInt16BE(off + 2);
          hdr = 4;
        } else if (len === 127) {
          if (off + 10 > n) break;
          len = Number(buf.readBigUInt64BE(off + 2));
          hdr = 10;
        }
        if (off + hdr + len > n) break;
        const opcode = b0 & 0x0f;
        const payload = buf.subarray(off + hdr, off + hdr + len);
        off += hdr + len;
        if (opcode === 0x1) onText(payload, at);
        else if (opcode === 0x9) socket.write(maskedFrame(0xa, payload));
        else if (opcode === 0x8) {
          const code = len >= 2 ? payload.readUInt16BE(0) : 1005;
          stats.closeCodes[code] = (stats.closeCodes[code] ?? 0) + 1;
          socket.end(maskedFrame(0x8, payload.subarray(0, 2)));
        }
      }
      if (off < n) rest = buf.subarray(off);
    });
  });
}

// ---------------------------------------------------------------- socket.io-client

let ioClient;
async function sioConnect({ port }) {
  ioClient ??= (await import('socket.io-client')).io;
  return new Promise((resolve, reject) => {
    const socket = ioClient(`http://127.0.0.1:${port}`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      perMessageDeflate: false,
    });
    socket.on('connect', () => resolve(socket));
    socket.on('connect_error', reject);
    socket.on('disconnect', () => stats.closed++);
    socket.on('message', (msg) => {
      const at = now();
      // Same accounting as the lean client, on the decoded object.
      if (stats.count === 0) stats.first = at;
      stats.count++;
      stats.last = at;
      if (stats.phase === 'steady' && msg.type === 'file_created') {
        const sent = Number(msg.path.slice(msg.path.indexOf('_') + 1, -4)) / 1000;
        if (stats.nLat < stats.latencies.length) stats.latencies[stats.nLat++] = at - sent;
      }
    });
  });
}

// ---------------------------------------------------------------- driver

const conns = [];

async function connectAll({ n, concurrency = 50, ...target }) {
  const connect = target.client === 'sio' ? sioConnect : leanConnect;
  const opened = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      opened.push(await connect(target));
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { opened, ms: performance.now() - start };
}

function closeAll(list) {
  for (const c of list) (c.destroy ?? c.disconnect).call(c);
  list.length = 0;
}

/** Resolves when `expected` messages have arrived, or nothing arrived for `quietMs`. */
function waitFor(expected, quietMs) {
  return new Promise((resolve) => {
    let seen = stats.count;
    let quietSince = performance.now();
    const timer = setInterval(() => {
      if (stats.count >= expected) {
        clearInterval(timer);
        return resolve(true);
      }
      if (stats.count !== seen) {
        seen = stats.count;
        quietSince = performance.now();
      } else if (performance.now() - quietSince > quietMs) {
        clearInterval(timer);
        resolve(false);
      }
    }, 20);
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

process.on('message', async (msg) => {
  try {
    let result;
    switch (msg.cmd) {
      case 'warmup': {
        const { opened } = await connectAll({ ...msg, n: msg.n });
        closeAll(opened);
        result = {};
        break;
      }
      case 'connect': {
        const { opened, ms } = await connectAll(msg);
        conns.push(...opened);
        stats.closed = 0;
        result = { connected: conns.length, ms };
        break;
      }
      case 'reset':
        reset(msg.phase, msg.latencyCapacity);
        result = {};
        break;
      case 'wait': {
        const complete = await waitFor(msg.expected, msg.quietMs);
        const lat = stats.latencies.subarray(0, stats.nLat).slice().sort();
        const span = stats.last - stats.first;
        const cpu = process.cpuUsage(stats.cpu0);
        result = {
          // CPU the client process used from the reset to now, as a share of
          // one core over the delivery span: near 100 % means the clients,
          // not the server, set the pace.
          clientCpuPct: span > 0 ? ((cpu.user + cpu.system) / 1000 / span) * 100 : NaN,
          complete,
          count: stats.count,
          spanMs: span,
          perSec: span > 0 ? stats.count / (span / 1000) : NaN,
          samples: stats.nLat,
          p50: percentile(lat, 50),
          p99: percentile(lat, 99),
          max: lat.length ? lat[lat.length - 1] : NaN,
          closed: stats.closed,
          closeCodes: stats.closeCodes,
        };
        break;
      }
      case 'close':
        closeAll(conns);
        result = {};
        break;
      default:
        throw new Error(`unknown command ${msg.cmd}`);
    }
    process.send({ id: msg.id, ok: true, result });
  } catch (error) {
    process.send({ id: msg.id, ok: false, error: String(error?.stack ?? error) });
  }
});

process.send({ ready: true });
