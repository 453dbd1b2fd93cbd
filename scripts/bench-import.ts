/**
 * Benchmark of the subscriber registry (issue 5): synthetic generation, then bulk imports of
 * 1,000,000-row NDJSON and CSV files through a real api process into PostgreSQL, sampling the api's
 * resident memory while it imports. Prints a Markdown report for BENCHMARKS.md.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 \
 *     npm run bench:import -- [--rows 1000000] [--formats ndjson,csv] [--json] [--api-node-options=…]
 *
 * The api runs with the V8 flags it runs with in production (shared/api-node-flags.ts) unless
 * `--api-node-options` names others (`--api-node-options=` alone: Node's defaults).
 *
 * It uses its own schema (DATABASE_SCHEMA, default bench_import) and queue prefix, and drops both
 * after. A million rows is more than the reserved number range holds (719,100 distinct (carrier,
 * msisdn) pairs), so each file repeats 280,900 pairs: the importer refuses those as duplicates within
 * the file (they are counted, stored and audited like any refusal). Per format, two imports run on a
 * fresh schema: into an empty registry (every distinct pair new), then a file from another seed (every
 * distinct pair an upsert of an existing subscriber with changed fields).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { request } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Presets, SingleBar } from 'cli-progress';
import pg from 'pg';
import { Redis } from 'ioredis';
import { generatePopulation, type PopulationOptions } from '../shared/population/generate-population';
import {
  CONTENT_TYPES,
  populationText,
  type PopulationFileFormat,
} from '../shared/population/write-population';
import type { ImportResult } from '../shared/api/subscribers.schema';
import { cpuSecOf, rssMbOf } from './loadtest/sample-resources';
import { API_NODE_FLAGS as PRODUCTION_API_NODE_FLAGS } from '../shared/api-node-flags';

const USAGE = `Usage: DATABASE_URL=postgres://… REDIS_URL=redis://… npm run bench:import -- [options]

  --rows N                  rows per file (default 1000000)
  --formats LIST            ndjson, csv (comma-separated; default ndjson,csv)
  --json                    also import a JSON array file
  --api-node-options=FLAGS  node flags of the api process, space-separated, instead of the
                            production ones (${PRODUCTION_API_NODE_FLAGS.join(' ')});
                            \`--api-node-options=\` alone: Node's defaults
  --help                    this text`;

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    formats: { type: 'string', default: 'ndjson,csv' },
    json: { type: 'boolean', default: false },
    // Node flags for the api process instead of the production ones, e.g.
    // --api-node-options='--max-old-space-size=160 --max-semi-space-size=8'
    'api-node-options': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const API_NODE_FLAGS =
  values['api-node-options'] === undefined
    ? [...PRODUCTION_API_NODE_FLAGS]
    : values['api-node-options'].split(' ').filter(Boolean);
// A million NDJSON rows are ~300 MB, over the 256 MiB default of BULK_MAX_BYTES: the bench raises it.
const BULK_MAX_BYTES = String(2 ** 30);
const ROWS = Number(values.rows);
const FORMATS = [...values.formats.split(','), ...(values.json ? ['json'] : [])] as PopulationFileFormat[];
const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;
const SCHEMA = process.env.DATABASE_SCHEMA ?? 'bench_import';
const RSS_SAMPLE_MS = 50;
if (!DATABASE_URL || !REDIS_URL) {
  console.error('bench-import: set DATABASE_URL (PostgreSQL) and REDIS_URL');
  process.exit(2);
}
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'bd-bench-import-'));
const prefix = `bench-import-${process.pid}`;
// The api's PostgreSQL backends carry this name, so their CPU time can be read from /proc.
const appName = prefix;
const apiDatabaseUrl = `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}application_name=${appName}`;
const adminKey = `bd_bench_${randomBytes(18).toString('hex')}`;

const population = (seed: number): PopulationOptions => ({ count: ROWS, seed, repeatNumbers: true });

function rate(n: number, ms: number): number {
  return Math.round(n / (ms / 1000));
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

/** Generation alone, then generation + serialisation to a file. */
function benchGeneration(): { rowsPerSec: number; mixRowsPerSec: number } {
  const t0 = performance.now();
  let n = 0;
  for (const _ of generatePopulation(population(42))) n += 1;
  const plain = rate(n, performance.now() - t0);
  const t1 = performance.now();
  n = 0;
  const mix = { duplicates: 0.01, malformedNumbers: 0.01, sharedEmails: 0.02, optedOut: 0.03 };
  for (const _ of generatePopulation({ ...population(42), mix })) n += 1;
  return { rowsPerSec: plain, mixRowsPerSec: rate(n, performance.now() - t1) };
}

async function writeFile(format: PopulationFileFormat, seed: number): Promise<string> {
  const file = path.join(dir, `population-${seed}.${format}`);
  const out = createWriteStream(file);
  for (const chunk of populationText(generatePopulation(population(seed)), format)) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return file;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  return port;
}

interface Api {
  proc: ChildProcess;
  url: string;
  baseRssMb: number;
}

/** CPU used by the api's PostgreSQL backends while `run` runs (WAL writer and checkpointer excluded). */
async function backendCpu<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = async () => {
    const r = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
      appName,
    ]);
    for (const { pid } of r.rows) {
      const t = cpuSecOf(pid);
      if (t === null) continue;
      if (!first.has(pid)) first.set(pid, t);
      last.set(pid, t);
    }
  };
  await sample();
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(sample, () => undefined);
  }, 200);
  try {
    const value = await run();
    clearInterval(timer);
    await sampling;
    await sample();
    let seconds = 0;
    for (const [pid, t] of last) seconds += t - (first.get(pid) ?? t);
    return { value, seconds };
  } finally {
    clearInterval(timer);
    await c.end();
  }
}

async function startApi(): Promise<Api> {
  const port = await freePort();
  // One node process (no tsx wrapper), so /proc/<pid> is the api itself.
  const proc = spawn(process.execPath, [...API_NODE_FLAGS, '--import', 'tsx', 'services/api/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: apiDatabaseUrl,
      DATABASE_SCHEMA: SCHEMA,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      LOG_LEVEL: 'warn',
      ADMIN_API_KEY: adminKey,
      RUN_WORKERS: 'false',
      DATA_DIR: dir,
      BULK_MAX_BYTES,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`the api exited (${proc.exitCode})`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1000)); // let start-up garbage settle before the baseline
  return { proc, url, baseRssMb: rssMbOf(proc.pid!) ?? 0 };
}

async function stopApi(api: Api): Promise<void> {
  api.proc.kill('SIGTERM');
  if (api.proc.exitCode === null) await once(api.proc, 'exit');
}

interface Run {
  label: string;
  format: PopulationFileFormat;
  bytes: number;
  ms: number;
  peakRssMb: number;
  /** The kernel's high-water mark of the api's RSS since it started (VmHWM): no sample can miss it. */
  hwmRssMb: number;
  baseRssMb: number;
  apiCpuSec: number;
  dbCpuSec: number;
  load: number;
  result: ImportResult;
}

/** POSTs a file as a stream and samples the api's RSS until the answer. */
async function importFile(api: Api, file: string, format: PopulationFileFormat, label: string): Promise<Run> {
  const bytes = statSync(file).size;
  const pid = api.proc.pid!;
  const load = os.loadavg()[0]!;
  const apiCpu0 = cpuSecOf(pid) ?? 0;
  const baseRssMb = rssMbOf(pid) ?? 0;
  let peak = baseRssMb;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMbOf(pid) ?? 0);
  }, RSS_SAMPLE_MS);
  const bar = new SingleBar(
    { format: `${label.padEnd(28)} [{bar}] {percentage}%  rss {rss} MB`, hideCursor: true },
    Presets.shades_classic,
  );
  bar.start(bytes, 0, { rss: Math.round(baseRssMb) });
  const t0 = performance.now();
  const { value: result, seconds: dbCpuSec } = await backendCpu(() =>
    post(api, file, format, bytes, bar, () => peak),
  );
  const ms = performance.now() - t0;
  const apiCpuSec = (cpuSecOf(pid) ?? apiCpu0) - apiCpu0;
  clearInterval(sampler);
  peak = Math.max(peak, rssMbOf(pid) ?? 0);
  bar.update(bytes, { rss: Math.round(peak) });
  bar.stop();
  const hwmRssMb = rssMbOf(pid, 'VmHWM') ?? 0;
  return {
    label,
    format,
    bytes,
    ms,
    peakRssMb: peak,
    hwmRssMb,
    baseRssMb,
    apiCpuSec,
    dbCpuSec,
    load,
    result,
  };
}

/** Streams the file to the bulk endpoint; resolves with the answer. */
function post(
  api: Api,
  file: string,
  format: PopulationFileFormat,
  bytes: number,
  bar: SingleBar,
  peak: () => number,
): Promise<ImportResult> {
  return new Promise<ImportResult>((resolve, reject) => {
    const req = request(
      `${api.url}/v1/subscribers/bulk`,
      {
        method: 'POST',
        headers: {
          'content-type': CONTENT_TYPES[format],
          'content-length': bytes,
          authorization: `Bearer ${adminKey}`,
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as ImportResult;
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${JSON.stringify(body)}`));
          else resolve(body);
        });
      },
    );
    req.on('error', reject);
    const src = createReadStream(file, { highWaterMark: 256 * 1024 });
    let sent = 0;
    src.on('data', (c) => {
      sent += c.length;
      bar.update(sent, { rss: Math.round(peak()) });
    });
    src.pipe(req);
  });
}

async function dropSchema(): Promise<void> {
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await c.end();
}

async function pgVersion(): Promise<string> {
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  const r = await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
  await c.end();
  return r.rows[0]!.v;
}

async function cleanRedis(): Promise<void> {
  const redis = new Redis(REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

/**
 * The shortest wall time the measured CPU allows on two cores of our own: the api is one thread (one
 * core at most), PostgreSQL runs two backends, and together they cannot use more than two cores.
 */
function cpuBoundSeconds(r: Run): number {
  return Math.max(r.apiCpuSec, (r.apiCpuSec + r.dbCpuSec) / 2);
}

const runs: Run[] = [];
let api: Api | null = null;
const loadBefore = os.loadavg()[0]!;
try {
  console.log(`bench-import: ${fmt(ROWS)} rows; generating…`);
  const gen = benchGeneration();
  console.log(`generation: ${fmt(gen.rowsPerSec)} rows/s (with defects: ${fmt(gen.mixRowsPerSec)} rows/s)`);
  for (const format of FORMATS) {
    const files = [await writeFile(format, 42), await writeFile(format, 43)];
    await dropSchema();
    api = await startApi();
    runs.push(await importFile(api, files[0]!, format, `${format} into empty`));
    runs.push(await importFile(api, files[1]!, format, `${format} upserts (seed 43)`));
    await stopApi(api);
    api = null;
    for (const f of files) rmSync(f);
  }
  const loadAfter = os.loadavg()[0]!;
  const cpu = os.cpus();
  const lines = [
    `Command: \`DATABASE_URL=… REDIS_URL=… npx tsx scripts/bench-import.ts ${process.argv.slice(2).join(' ')}\``,
    `The api: \`node ${[...API_NODE_FLAGS, '--import tsx services/api/main.ts'].join(' ')}\` ` +
      `(${values['api-node-options'] === undefined ? 'the production flags' : 'flags from --api-node-options'}), ` +
      `BULK_MAX_BYTES=${BULK_MAX_BYTES}.`,
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GB RAM, Node ${process.version}, PostgreSQL ${await pgVersion()} ` +
      `(shared, default settings), load average ${loadBefore.toFixed(1)} before / ${loadAfter.toFixed(1)} after.`,
    '',
    '| import | rows | wall time | rows/s | api CPU/row → one core | PostgreSQL CPU/row → one core | CPU bound, 2 free cores | api RSS peak (at start) | load | result |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map((r) => {
      const n = r.result.rows;
      const us = (sec: number) => `${((sec * 1e6) / n).toFixed(1)} µs → ${fmt(Math.round(n / sec))}/s`;
      return (
        `| ${r.label} (${(r.bytes / 2 ** 20).toFixed(0)} MB) | ${fmt(n)} | ${(r.ms / 1000).toFixed(1)} s | ${fmt(rate(n, r.ms))} | ` +
        `${us(r.apiCpuSec)} | ${us(r.dbCpuSec)} | ${fmt(Math.round(n / cpuBoundSeconds(r)))}/s | ` +
        `${Math.round(r.peakRssMb)} MB (${Math.round(r.baseRssMb)} MB) | ${r.load.toFixed(1)} | ` +
        `${fmt(r.result.accepted)} new, ${fmt(r.result.updated)} updated, ${fmt(r.result.unchanged)} unchanged, ` +
        `${fmt(r.result.rejected)} refused${r.result.complete ? '' : ' (incomplete)'} |`
      );
    }),
    '',
    `The api's RSS high-water mark (VmHWM, since its start) after each import: ${runs
      .map((r) => `${r.label} ${Math.round(r.hwmRssMb)} MB`)
      .join('; ')}.`,
    '',
    `Synthetic generation, in process: ${fmt(gen.rowsPerSec)} subscribers/s (${fmt(gen.mixRowsPerSec)}/s with defects), ${fmt(ROWS)} rows.`,
  ];
  console.log(`\n${lines.join('\n')}`);
} finally {
  if (api) await stopApi(api).catch(() => undefined);
  await dropSchema().catch(() => undefined);
  await cleanRedis().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
