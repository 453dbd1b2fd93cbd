import { parseArgs } from 'node:util';
import { CHANNELS, type Channel } from '../../shared/domain';
import { BUILT_IN_SCENARIOS } from './scenarios';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Every option with its default; `--help` prints this. */
export const HELP = `npm run loadtest -- [options]

Measures notification throughput end to end (trigger → handset or mailbox at the carrier-sim), per
carrier and channel, under a scenario, and checks the carrier-sim's ground truth: lost, duplicated
and unexpected must all be 0. Writes a JSON and a self-contained HTML report.

Population and campaigns
  --subscribers N        subscribers seeded with bulk INSERTs (seeded generator)          [10000]
  --seed N               population seed                                                  [7]
  --channels LIST        email,sms | email | sms                                          [email,sms]
  --kind KIND            carrier-notice | agency-advisory (spike alternates)              [carrier-notice]
  --scenario NAME|FILE   ${Object.keys(BUILT_IN_SCENARIOS).join(' | ')} | path/to/scenario.json   [steady]
                         (scenario file format: scripts/loadtest/scenarios.ts)
  --lift-limits          lift the carriers' SMS submission limits (PUT /faults submitLimit "off")
  --timeout S            give up following after S seconds                                [3600]

Stack (started by this command unless --api-url is given)
  --workers N            worker processes                                                 [2]
  --database-url URL     PostgreSQL (env DATABASE_URL)                                    [${DEFAULT_DATABASE_URL}]
  --redis-url URL        Redis (env REDIS_URL)                                            [${DEFAULT_REDIS_URL}]
  --env KEY=VALUE        extra configuration for the started processes (repeatable), e.g. --env DELIVER_CONCURRENCY=8
  --keep                 keep the database schema and the queue keys afterwards (default: removed)

Existing stack (nothing is started; its database is read for the report)
  --api-url URL          the api
  --sim-url URL          the carrier-sim's HTTP base URL
  --admin-key KEY        an admin API key (env ADMIN_API_KEY), to create two operator keys
  --database-schema S    the stack's DATABASE_SCHEMA                                      [public]

Comparison
  --baseline naive       also run the naive design (one BullMQ job per notification, one transaction
                         per event) in the same run and report engine ÷ naive
  --baseline-subscribers N   subscribers for the naive baseline (it is slow)              [3000]
  --compare FILE         show the difference to an earlier report (its JSON)

Output
  --out DIR              where the JSON and HTML reports go                               [.data/loadtest]
  --no-progress          no live progress bars (a line every 5 s instead)
  --help                 this text
`;

export interface CliOptions {
  subscribers: number;
  seed: number;
  channels: Channel[];
  kind: 'carrier-notice' | 'agency-advisory';
  scenario: string;
  liftLimits: boolean;
  timeoutSec: number;
  workers: number;
  databaseUrl: string;
  redisUrl: string;
  env: Record<string, string>;
  keep: boolean;
  apiUrl: string | null;
  simUrl: string | null;
  adminKey: string | null;
  databaseSchema: string;
  baseline: 'naive' | null;
  baselineSubscribers: number;
  compare: string | null;
  out: string;
  progress: boolean;
  help: boolean;
}

export class UsageError extends Error {}

function int(name: string, v: string | undefined, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${v}"`);
  return n;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        subscribers: { type: 'string' },
        seed: { type: 'string' },
        channels: { type: 'string' },
        kind: { type: 'string' },
        scenario: { type: 'string' },
        'lift-limits': { type: 'boolean', default: false },
        timeout: { type: 'string' },
        workers: { type: 'string' },
        'database-url': { type: 'string' },
        'redis-url': { type: 'string' },
        env: { type: 'string', multiple: true },
        keep: { type: 'boolean', default: false },
        'api-url': { type: 'string' },
        'sim-url': { type: 'string' },
        'admin-key': { type: 'string' },
        'database-schema': { type: 'string' },
        baseline: { type: 'string' },
        'baseline-subscribers': { type: 'string' },
        compare: { type: 'string' },
        out: { type: 'string' },
        progress: { type: 'boolean', default: true },
        'no-progress': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  const channels = (v.channels ?? 'email,sms')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  for (const c of channels)
    if (!(CHANNELS as readonly string[]).includes(c))
      throw new UsageError(`--channels: unknown channel "${c}"`);
  if (channels.length === 0 || new Set(channels).size !== channels.length)
    throw new UsageError('--channels: one or two distinct channels');
  const kind = v.kind ?? 'carrier-notice';
  if (kind !== 'carrier-notice' && kind !== 'agency-advisory')
    throw new UsageError('--kind must be carrier-notice or agency-advisory');
  if (v.baseline !== undefined && v.baseline !== 'naive')
    throw new UsageError('--baseline: only "naive" is known');
  const extraEnv: Record<string, string> = {};
  for (const kv of v.env ?? []) {
    const i = kv.indexOf('=');
    if (i < 1) throw new UsageError(`--env expects KEY=VALUE, got "${kv}"`);
    extraEnv[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const apiUrl = v['api-url'] ?? null;
  const simUrl = v['sim-url'] ?? null;
  if (apiUrl && !simUrl) throw new UsageError('--api-url needs --sim-url too');
  const adminKey = v['admin-key'] ?? env.ADMIN_API_KEY ?? null;
  if (apiUrl && !adminKey) throw new UsageError('--api-url needs --admin-key (or ADMIN_API_KEY)');
  return {
    subscribers: int('subscribers', v.subscribers, 10_000),
    seed: int('seed', v.seed, 7, 0),
    channels: channels as Channel[],
    kind,
    scenario: v.scenario ?? 'steady',
    liftLimits: v['lift-limits'] ?? false,
    timeoutSec: int('timeout', v.timeout, 3600),
    workers: int('workers', v.workers, 2),
    databaseUrl: v['database-url'] ?? env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    redisUrl: v['redis-url'] ?? env.REDIS_URL ?? DEFAULT_REDIS_URL,
    env: extraEnv,
    keep: v.keep ?? false,
    apiUrl,
    simUrl,
    adminKey,
    databaseSchema: v['database-schema'] ?? env.DATABASE_SCHEMA ?? 'public',
    baseline: v.baseline === 'naive' ? 'naive' : null,
    baselineSubscribers: int('baseline-subscribers', v['baseline-subscribers'], 3_000),
    compare: v.compare ?? null,
    out: v.out ?? '.data/loadtest',
    progress: (v.progress ?? true) && !v['no-progress'],
    help: v.help ?? false,
  };
}
