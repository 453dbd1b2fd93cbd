/**
 * `npm run loadtest -- --subscribers 200000 --channels email,sms --workers 2 --scenario steady --seed 7`
 *
 * Starts the stack (or uses one given by URLs), seeds the population, triggers the scenario's
 * campaigns, follows them with live progress bars, plays the scenario's fault schedule, and reports
 * on the terminal, as JSON and as a self-contained HTML file. Exit code 0 only when every campaign
 * finished and the ground-truth verdict is clean. `--help` lists every option with its default.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openDb } from '../shared/store/open-db';
import type { Db } from '../shared/store/db';
import { HELP, UsageError, parseOptions } from './loadtest/parse-options';
import { loadScenario } from './loadtest/scenarios';
import { createOperators } from './loadtest/prepare-campaign';
import { startLocalStack, type LocalStack } from './loadtest/start-local-stack';
import { runLoadtest, type LoadtestTarget } from './loadtest/run-loadtest';
import { formatReport } from './loadtest/print-report';
import { renderHtmlReport, findChartLibrary } from './loadtest/render-html-report';
import { compareReports, parseReport } from './loadtest/compare-reports';

let opts;
try {
  opts = parseOptions(process.argv.slice(2), process.env);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`${err.message}\n(npm run loadtest -- --help lists every option and its default)`);
  process.exit(2);
}
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
const scenario = loadScenario(opts.scenario);
const previous = opts.compare ? parseReport(readFileSync(opts.compare, 'utf8'), opts.compare) : null;
const command = `npm run loadtest -- ${process.argv.slice(2).join(' ')}`.trim();

let local: LocalStack | null = null;
let externalDb: Db | null = null;
let interruptedAt = 0;
const cleanUp = async () => {
  await local?.close({ keep: opts.keep }).catch((err: Error) => console.error(`cleanup: ${err.message}`));
  await externalDb?.close().catch(() => undefined);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // One Ctrl-C can arrive twice (from the terminal and relayed by tsx): only a later one forces.
    if (interruptedAt && Date.now() - interruptedAt < 1_000) return;
    if (interruptedAt) {
      // A second Ctrl-C: stop at once, but leave no process of ours behind.
      for (const p of local?.processes ?? []) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      process.exit(130);
    }
    interruptedAt = Date.now();
    console.error(`\n${signal}: stopping what this command started… (Ctrl-C again to stop at once)`);
    void cleanUp().then(() => process.exit(130));
  });
}

let exitCode = 1;
try {
  let target: LoadtestTarget;
  if (opts.apiUrl && opts.simUrl && opts.adminKey) {
    externalDb = await openDb({
      databaseUrl: opts.databaseUrl,
      schema: opts.databaseSchema,
      poolSize: 4,
      dataDir: 'memory',
    });
    target = {
      apiUrl: opts.apiUrl,
      simUrl: opts.simUrl,
      db: externalDb,
      operators: await createOperators(opts.apiUrl, opts.adminKey, 'loadtest'),
      processes: [],
      redisUrl: opts.redisUrl,
      naiveEnv: {
        ...process.env,
        DATABASE_URL: opts.databaseUrl,
        DATABASE_SCHEMA: opts.databaseSchema,
        REDIS_URL: opts.redisUrl,
      },
    };
    console.log(`using the stack at ${opts.apiUrl} (carrier-sim ${opts.simUrl})`);
  } else {
    console.log(`starting carrier-sim, api and ${opts.workers} worker process(es) on PostgreSQL and Redis…`);
    local = await startLocalStack({
      label: 'loadtest',
      databaseUrl: opts.databaseUrl,
      redisUrl: opts.redisUrl,
      workers: opts.workers,
      baseEnv: process.env,
      extraEnv: opts.env,
    });
    console.log(
      `  api ${local.stack.apiUrl}, carrier-sim ${local.stack.simUrl}, schema ${local.schema}, queue prefix ${local.queuePrefix}`,
    );
    target = {
      apiUrl: local.stack.apiUrl,
      simUrl: local.stack.simUrl,
      db: local.db,
      operators: await createOperators(local.stack.apiUrl, local.stack.adminKey, 'loadtest'),
      processes: local.processes,
      redisUrl: local.stack.redisUrl,
      naiveEnv: local.env,
    };
  }
  const report = await runLoadtest(target, {
    subscribers: opts.subscribers,
    channels: opts.channels,
    seed: opts.seed,
    scenario,
    kind: opts.kind,
    timeoutMs: opts.timeoutSec * 1000,
    progressBars: opts.progress && process.stdout.isTTY === true,
    liftLimits: opts.liftLimits,
    baseline: opts.baseline,
    baselineSubscribers: opts.baselineSubscribers,
    workers: opts.workers,
    command,
  });
  const comparison = previous ? compareReports(previous, report, opts.compare!) : null;
  console.log(formatReport(report, comparison));
  mkdirSync(opts.out, { recursive: true });
  const stem = path.join(opts.out, `loadtest-${scenario.name}-${report.startedAt.replace(/[:.]/g, '-')}`);
  writeFileSync(`${stem}.json`, JSON.stringify(report, null, 2));
  const chartLibrary = findChartLibrary();
  writeFileSync(`${stem}.html`, renderHtmlReport(report, { comparison, chartLibrary }));
  console.log(`\nreports: ${stem}.json, ${stem}.html`);
  if (!chartLibrary)
    console.log('  (chart.js is not installed: the HTML draws its charts with its built-in canvas renderer)');
  exitCode = report.finished && report.groundTruth.ok ? 0 : 1;
} catch (err) {
  console.error(`loadtest failed: ${(err as Error).stack ?? err}`);
} finally {
  await cleanUp();
}
process.exit(exitCode);
