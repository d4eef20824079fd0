// Delta-read benchmark of the SQLite op log. Run after `npm run build`:
//
//   node bench/delta.mjs
//
// or against a build elsewhere, which must find this project's node_modules:
//
//   npx tsc -p tsconfig.build.json --outDir /tmp/ferro-dist \
//     --tsBuildInfoFile /tmp/ferro-dist/.tsbuildinfo
//   ln -sfn "$PWD/node_modules" /tmp/ferro-dist/node_modules
//   FERRO_DIST=/tmp/ferro-dist node bench/delta.mjs
//
// It fills a SqliteOpLog (in a temporary folder, no server) to 100 ops and to
// 100,000 ops, then times pages of `since(cursor, 100)` near the start, the
// middle and the end of what the log holds, a one-op read at the tail (a live
// follower), and `SyncService.delta`, each many times; then `append` with
// retention active (maxOps 100,000, so the full log drops one op per append),
// and the open of the database (its integrity check included). It prints one
// table and writes it to bench/delta-results.md.
//
// Knobs (environment): FERRO_DIST (../dist), BENCH_READS (5000), BENCH_APPENDS (2000).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, process.env.FERRO_DIST ?? '../dist');
const { SqliteOpLog } = await import(pathToFileURL(join(dist, 'sync/sqlite-op-log.js')).href);
const { SyncService } = await import(pathToFileURL(join(dist, 'sync/sync.service.js')).href);

const SIZES = [100, 100_000];
const MAX_OPS = 100_000;
const PAGE = 100;
const READS = Number(process.env.BENCH_READS ?? 5000);
const APPENDS = Number(process.env.BENCH_APPENDS ?? 2000);
const WARMUP = 500;
const ROUNDS = 10;
const FILL_CHUNK = 10_000;

/** The sync service needs a bus only to announce appends; reads never use it. */
const silentBus = { emit() {} };

function opAt(i) {
  return {
    op_type: 'create',
    path: `/projects/folder-${i % 97}/file-${i}.txt`,
    size: i,
    owner: 'admin',
    timestamp: new Date(1_700_000_000_000 + i).toISOString(),
  };
}

/** Appends `count` ops, many to a transaction, so a large log fills in seconds. */
function fill(log, count) {
  const db = log.database.handle;
  for (let done = 0; done < count; done += FILL_CHUNK) {
    const chunk = Math.min(FILL_CHUNK, count - done);
    db.transaction(() => {
      for (let i = 1; i <= chunk; i += 1) {
        log.append(opAt(done + i));
      }
    })();
  }
}

/** Times one call of `act` in microseconds. */
function sample(act, i) {
  const start = process.hrtime.bigint();
  act(i);
  return Number(process.hrtime.bigint() - start) / 1000;
}

function summary(samples) {
  const sorted = Float64Array.from(samples).sort();
  return {
    median: sorted[Math.floor(sorted.length / 2)],
    p99: sorted[Math.floor(sorted.length * 0.99)],
  };
}

/**
 * Times every case `times` times after a warm-up, in rounds that take turns
 * between the cases, so that a garbage collection or a JIT tier-up lands on
 * all of them alike rather than on whichever ran at that moment.
 */
function timeTogether(cases, times) {
  const samples = cases.map(() => []);
  for (const { act } of cases) {
    for (let i = 0; i < WARMUP; i += 1) {
      act(i);
    }
  }
  for (let round = 0; round < ROUNDS; round += 1) {
    cases.forEach(({ act }, c) => {
      for (let i = 0; i < times / ROUNDS; i += 1) {
        samples[c].push(sample(act, i));
      }
    });
  }
  return cases.map(({ name, returns }, c) => ({ name, returns, ...summary(samples[c]) }));
}

/** Runs `act` `times` times after a warm-up; median and p99 in microseconds. */
function time(act, times) {
  return summary(Array.from({ length: times }, (_, i) => sample(act, i)));
}

/** The cursors of one log: each page read returns `PAGE` ops at both sizes. */
function cursorsOf(log) {
  const first = log.oldestClock - 1;
  const held = log.currentClock - first;
  return {
    start: first,
    middle: first + Math.floor((held - PAGE) / 2),
    end: log.currentClock - PAGE,
    tail: log.currentClock - 1,
  };
}

function measureReads(log) {
  const sync = new SyncService(log, silentBus);
  const at = cursorsOf(log);
  const read = (cursor, limit) => () => log.since(cursor, limit);
  const cases = [
    { name: 'since(start, 100)', act: read(at.start, PAGE), returns: PAGE },
    { name: 'since(middle, 100)', act: read(at.middle, PAGE), returns: PAGE },
    { name: 'since(end, 100)', act: read(at.end, PAGE), returns: PAGE },
    { name: 'since(tail, 100)', act: read(at.tail, PAGE), returns: 1 },
    {
      name: 'SyncService.delta(middle, 100)',
      act: () => sync.delta(at.middle, PAGE, log.epoch),
      returns: PAGE,
    },
    {
      name: 'SyncService.delta(no cursor, 100)',
      act: () => sync.delta(undefined, PAGE),
      returns: PAGE,
    },
  ];
  for (const { name, act, returns } of cases) {
    const out = act();
    const got = Array.isArray(out) ? out.length : out.count;
    if (got !== returns) {
      throw new Error(`${name} returned ${got} ops, expected ${returns}`);
    }
  }
  return timeTogether(cases, READS);
}

function measureAppends(log, name, offset) {
  return { name, returns: '', ...time((i) => log.append(opAt(offset + i)), APPENDS) };
}

function measureOpen(dir, log) {
  log.close();
  let reopened;
  const result = time(() => {
    reopened?.close();
    reopened = SqliteOpLog.open(dir, MAX_OPS);
  }, 10);
  return { log: reopened, row: { name: 'open (quick_check included)', returns: '', ...result } };
}

function measure(size) {
  const dir = mkdtempSync(join(os.tmpdir(), 'ferro-delta-'));
  try {
    let log = SqliteOpLog.open(dir, MAX_OPS);
    fill(log, size);
    const rows = measureReads(log);
    const opened = measureOpen(dir, log);
    log = opened.log;
    rows.push(opened.row);
    rows.push(measureAppends(log, 'append (synchronous = NORMAL)', size));
    log.database.handle.pragma('synchronous = FULL');
    rows.push(measureAppends(log, 'append (synchronous = FULL, for comparison)', size + APPENDS));
    log.close();
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function format(us) {
  return us < 10 ? us.toFixed(2) : us < 100 ? us.toFixed(1) : Math.round(us).toLocaleString('en');
}

function table(small, large) {
  const lines = [
    `| operation | ops returned | ${SIZES[0]} ops: median µs | p99 µs | ` +
      `${SIZES[1].toLocaleString('en')} ops: median µs | p99 µs | median ratio |`,
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (let i = 0; i < small.length; i += 1) {
    const [a, b] = [small[i], large[i]];
    lines.push(
      `| ${a.name} | ${a.returns} | ${format(a.median)} | ${format(a.p99)} | ` +
        `${format(b.median)} | ${format(b.p99)} | ${(b.median / a.median).toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

const [small, large] = SIZES.map(measure);
const result = table(small, large);
console.log(result);

const cpus = os.cpus();
const report = `# Delta benchmark results

Generated by \`node bench/delta.mjs\` on ${new Date().toISOString()}.

- Node ${process.version}, ${os.platform()} ${os.release()} ${os.arch()}, ${cpus.length} CPU (${cpus[0]?.model.trim()})
- SqliteOpLog in a temporary folder on the local disk, WAL, maxOps ${MAX_OPS.toLocaleString('en')}
- Reads: ${READS} timed calls per row after ${WARMUP} warm-up calls; appends: ${APPENDS} timed calls, each its own committed transaction
- Cursors: start = oldest held, middle, end = newest − ${PAGE}, tail = newest − 1; at ${SIZES[0]} ops start, middle and end are the same page
- The ${SIZES[1].toLocaleString('en')}-op log is full, so each append there also drops the oldest op

${result}
`;
writeFileSync(join(here, 'delta-results.md'), report);
console.log(`\nwritten to ${join(here, 'delta-results.md')}`);
