/**
 * `npm run seed -- --count 100000 --seed 42`: a synthetic affected population, the same for the same
 * options byte for byte (shared/population/generate-population.ts), registered through the bulk
 * import path (validation, duplicate detection, batched upserts and audit).
 *
 *   --count N            subscribers (default 1000; at most 79,900 per carrier)
 *   --seed N             population seed (default 42)
 *   --carriers a,b       carrier ids (default: all nine)
 *   --duplicates F --malformed F --shared-emails F --opted-out F
 *                        fractions (0–0.5) of realistic defects, default 0
 *   --repeat-numbers     allow more rows than the reserved range holds (the extra rows repeat numbers)
 *
 * Where it goes:
 *   (default)            straight into the database of this environment: DATABASE_URL and
 *                        DATABASE_SCHEMA, or embedded PGlite under DATA_DIR (stop `npm start` first:
 *                        PGlite serves one process)
 *   --api URL            streamed as NDJSON to URL/v1/subscribers/bulk (key: --key or ADMIN_API_KEY)
 *   --out FILE           written to a file (--format ndjson|csv|json, else from the extension),
 *                        for POST /v1/subscribers/bulk by hand or the import benchmark
 */
import { createWriteStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { loadConfig } from '../shared/config';
import { openDb } from '../shared/store/open-db';
import { generatePopulation, type PopulationOptions } from '../shared/population/generate-population';
import {
  CONTENT_TYPES,
  POPULATION_FILE_FORMATS,
  populationText,
  type PopulationFileFormat,
} from '../shared/population/write-population';
import {
  checkGenerateRequest,
  populationRecords,
} from '../services/api/steps/subscribers/generate-subscribers';
import { importSubscribers } from '../services/api/steps/subscribers/import-subscribers';
import type { ImportResult } from '../shared/api/subscribers.schema';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '42' },
    carriers: { type: 'string' },
    duplicates: { type: 'string', default: '0' },
    malformed: { type: 'string', default: '0' },
    'shared-emails': { type: 'string', default: '0' },
    'opted-out': { type: 'string', default: '0' },
    'repeat-numbers': { type: 'boolean', default: false },
    api: { type: 'string' },
    key: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`seed: ${message}`);
  process.exit(2);
}

function fraction(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 0.5) fail(`--${name} must be a fraction between 0 and 0.5`);
  return n;
}

const count = Number(values.count);
const seed = Number(values.seed);
if (!Number.isInteger(count) || count < 1) fail('--count must be a positive integer');
if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1)
  fail('--seed must be an integer from 0 to 2^32-1');
const opts: PopulationOptions = {
  count,
  seed,
  ...(values.carriers ? { carriers: values.carriers.split(',').map((s) => s.trim()) } : {}),
  mix: {
    duplicates: fraction('duplicates', values.duplicates),
    malformedNumbers: fraction('malformed', values.malformed),
    sharedEmails: fraction('shared-emails', values['shared-emails']),
    optedOut: fraction('opted-out', values['opted-out']),
  },
  repeatNumbers: values['repeat-numbers'],
};

const bar = values.quiet
  ? null
  : new SingleBar(
      { format: 'seed [{bar}] {value}/{total} rows  {rate} rows/s  eta {eta_formatted}', hideCursor: true },
      Presets.shades_classic,
    );
const started = Date.now();
const rate = (done: number) => Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
const progress = (done: number) => bar?.update(done, { rate: rate(done) });

function summary(r: ImportResult): string {
  const stop = r.stoppedBy ? `; stopped at line ${r.stoppedBy.line}: ${r.stoppedBy.message}` : '';
  const codes = [...new Set(r.errors.map((e) => e.code))].join(', ');
  return (
    `${r.rows} rows: ${r.accepted} new, ${r.updated} updated, ${r.unchanged} unchanged, ${r.rejected} refused` +
    `${codes ? ` (${codes}${r.nextErrorsCursor !== null ? ', …' : ''})` : ''}${stop}; import ${r.importId}`
  );
}

async function toFile(file: string): Promise<void> {
  const ext = path.extname(file).slice(1).toLowerCase();
  const format = (values.format ?? (ext === 'jsonl' ? 'ndjson' : ext)) as PopulationFileFormat;
  if (!POPULATION_FILE_FORMATS.includes(format))
    fail(`--format must be one of ${POPULATION_FILE_FORMATS.join(', ')}`);
  const out = createWriteStream(file);
  bar?.start(count, 0, { rate: 0 });
  let done = 0;
  const step = format === 'csv' ? 1 : 0; // the CSV header chunk has no rows
  let chunkNo = 0;
  for (const chunk of populationText(generatePopulation(opts), format)) {
    if (!out.write(chunk)) await once(out, 'drain');
    if (chunkNo++ >= step) progress((done = Math.min(count, done + 1000)));
  }
  out.end();
  await once(out, 'finish');
  bar?.update(count, { rate: rate(count) });
  bar?.stop();
  console.log(`seed: wrote ${count} subscribers to ${file} (${format}, seed ${seed})`);
}

async function toApi(url: string): Promise<void> {
  const key = values.key ?? process.env.ADMIN_API_KEY;
  if (!key) fail('--api needs --key or ADMIN_API_KEY');
  const encoder = new TextEncoder();
  const chunks = populationText(generatePopulation(opts), 'ndjson');
  let sent = 0;
  bar?.start(count, 0, { rate: 0 });
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.next();
      if (next.done) return controller.close();
      sent = Math.min(count, sent + 1000);
      progress(sent);
      controller.enqueue(encoder.encode(next.value));
    },
  });
  const res = await fetch(`${url.replace(/\/$/, '')}/v1/subscribers/bulk`, {
    method: 'POST',
    headers: {
      'content-type': CONTENT_TYPES.ndjson,
      authorization: `Bearer ${key}`,
      'idempotency-key': `seed-${seed}-${count}-${randomUUID()}`,
    },
    body,
    duplex: 'half',
  } as RequestInit);
  bar?.stop();
  const answer = (await res.json()) as ImportResult & { error?: { message: string } };
  if (!res.ok) fail(`the API answered ${res.status}: ${answer.error?.message ?? 'no message'}`);
  console.log(`seed: ${summary(answer)}`);
}

async function toDatabase(): Promise<void> {
  const config = loadConfig(process.env);
  try {
    checkGenerateRequest(
      { count, seed, ...(opts.carriers ? { carriers: [...opts.carriers] } : {}) },
      opts.repeatNumbers ? Number.MAX_SAFE_INTEGER : config.BULK_MAX_ROWS,
    );
  } catch (err) {
    if (!opts.repeatNumbers) fail((err as Error).message);
  }
  const db = await openDb({
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    poolSize: Math.min(config.DB_POOL_SIZE, 4),
    dataDir: config.DATA_DIR,
  });
  if (db.kind === 'pglite' && !values.quiet) {
    console.log(`seed: embedded PGlite under ${config.DATA_DIR} (stop \`npm start\` first, or use --api)`);
  }
  try {
    bar?.start(count, 0, { rate: 0 });
    const result = await importSubscribers(
      {
        importId: randomUUID(),
        format: 'generated',
        actor: 'script:seed',
        records: populationRecords(opts),
        maxRows: Number.MAX_SAFE_INTEGER,
        onProgress: progress,
      },
      { db },
    );
    bar?.stop();
    console.log(`seed: ${summary(result)} in ${((Date.now() - started) / 1000).toFixed(1)} s (${db.kind})`);
  } finally {
    await db.close();
  }
}

try {
  if (values.out) await toFile(values.out);
  else if (values.api) await toApi(values.api);
  else await toDatabase();
} catch (err) {
  bar?.stop();
  fail((err as Error).message);
}
