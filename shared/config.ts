import { z } from 'zod';
import { isClusterUrl, parseClusterUrl } from './redis';

/**
 * Configuration, parsed once per process from the environment into a frozen typed object
 * (STYLE.md §11). Every key is documented next to its default, with its unit; `.env.example` and the
 * README's table are generated from `CONFIG_DOCS` and a test keeps them in step.
 */

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

export const CONFIG_DOCS = {
  LOG_LEVEL: ['info', 'pino log level: trace, debug, info, warn, error, silent'],
  API_HOST: [
    '127.0.0.1',
    "address the api binds to (the host's own address, or 0.0.0.0, to serve other hosts)",
  ],
  API_PORT: ['3000', 'api HTTP port (0 picks a free one)'],
  API_URL: ['http://127.0.0.1:3000', "the api's base URL as the carrier-sim reaches it (receipt webhooks)"],
  CARRIER_SIM_HOST: ['127.0.0.1', 'address the carrier-sim binds to'],
  CARRIER_SIM_PORT: ['3100', 'carrier-sim HTTP port: SMS gateways, inboxes, faults, stats'],
  CARRIER_SIM_SMTP_PORT: ['2525', 'carrier-sim SMTP sink port'],
  CARRIER_SIM_URL: ['http://127.0.0.1:3100', "the carrier-sim's HTTP base URL as the workers reach it"],
  SMTP_HOST: ['127.0.0.1', 'SMTP server the email channel sends to (loopback or a LAB_HOSTS entry)'],
  SMTP_PORT: ['2525', 'SMTP port the email channel sends to'],
  LAB_HOSTS: ['', 'comma-separated non-loopback hosts that gateways may live on (DOMAIN.md §4.5)'],
  REDIS_URL: [
    '',
    'Redis for queues, rate limits and sessions: redis://[:password@]host:port, or a Redis Cluster as redis+cluster://[:password@]host:port,host:port (any nodes; rediss+cluster:// for TLS); unset: `npm start` runs a private redis-server under DATA_DIR',
  ],
  DATABASE_URL: ['', 'PostgreSQL connection string; unset: embedded PGlite under DATA_DIR'],
  DATABASE_SCHEMA: ['public', 'PostgreSQL schema for all tables (tests use one per file)'],
  DB_POOL_SIZE: ['10', 'PostgreSQL connections per process'],
  DATA_DIR: ['.data', 'where embedded PGlite and the private Redis keep their files'],
  QUEUE_PREFIX: [
    'bd',
    'BullMQ key prefix; on a Redis Cluster each queue is hash-tagged by its name (bd:{receipts}:…) so queues spread over the shards: no braces needed ({bd} would pin every queue to one shard)',
  ],
  WEBHOOK_SECRET: [
    'dev-webhook-secret-change-me',
    'HMAC-SHA256 key shared by the carrier-sim and the api webhooks',
  ],
  WEBHOOK_TOLERANCE_SEC: ['300', 'replay window for signed webhooks, in seconds'],
  EXERCISE_MARKER: ['EXERCISE EXERCISE EXERCISE', 'marker that starts every outbound artifact'],
  RUN_WORKERS: ['false', 'host the pipeline workers inside the api process (always on with PGlite)'],
  FANOUT_PAGE_SIZE: ['1000', 'subscribers per fan-out page'],
  CHUNK_SIZE: ['100', 'notifications per deliver job (one carrier, one channel)'],
  DELIVER_CONCURRENCY: ['32', 'chunk jobs processed at once per deliver queue per worker process'],
  RECEIPTS_CONCURRENCY: [
    '8',
    'receipt batches applied at once per worker process (they share its group commits)',
  ],
  SEND_CONCURRENCY: ['10', 'messages of one chunk in flight at once (email)'],
  SMTP_POOL_SIZE: ['5', 'pooled SMTP connections per worker process'],
  LEASE_MS: ['30000', 'a claim older than this, in ms, is presumed crashed and resolved by the reconciler'],
  RETRY_MAX_ATTEMPTS: ['8', 'send attempts per notification before it fails'],
  RETRY_BASE_DELAY_MS: [
    '15000',
    'first retry delay in ms; doubles each attempt, with jitter (8 attempts ≈ 30 min)',
  ],
  RETRY_MAX_DELAY_MS: ['600000', 'the longest wait in ms between two attempts, however many came before'],
  RECONCILE_INTERVAL_MS: ['30000', 'how often, in ms, the reconciler looks for stranded notifications'],
  SEND_TIMEOUT_MS: ['10000', 'per-request timeout in ms for SMTP and gateway calls'],
  RECEIPT_TIMEOUT_MS: [
    '600000',
    'an SMS still without a delivery receipt after this many ms is resolved by asking the carrier',
  ],
  STALLED_INTERVAL_MS: [
    '30000',
    'BullMQ stalled-job check interval in ms (a job whose worker died is retried after this)',
  ],
  ADMIN_API_KEY: ['', 'bootstrap admin API key (npm start generates one on first start when unset)'],
  AUDIT_SIGNING_KEY: [
    '',
    'Ed25519 private key (PKCS#8 PEM or base64 DER) signing audit checkpoints; unset: one is generated under DATA_DIR, so with api and workers on several hosts set the same key on every host',
  ],
  AUDIT_CHECKPOINT_EVERY: ['10000', 'sign an audit checkpoint after this many new events'],
  AUDIT_CHECKPOINT_SECONDS: ['60', 'or after this many seconds with new events'],
  RETENTION_DAYS: ['730', 'how long breach and notification records are kept, in days (at least 730)'],
  STORE_MAINTENANCE_MS: [
    '600000',
    'how often, in ms, workers create upcoming partitions and drop those past RETENTION_DAYS',
  ],
  BULK_MAX_ROWS: ['1000000', 'rows accepted in one bulk registration request'],
  BULK_MAX_BYTES: [
    '1073741824',
    'bytes accepted in one bulk registration request (1 GiB: a 1,000,000-row NDJSON file is about 300 MB; the body is streamed, never held)',
  ],
  EXPORT_MAX_ROWS: ['10000000', 'rows in one audit export'],
  RATE_LIMIT_PER_MIN: ['600', 'requests per minute per API key (Redis-backed)'],
  CORS_ORIGINS: ['', 'comma-separated origins allowed by CORS; unset: CORS off'],
  HOLIDAY_EXTRA_DATES: ['', 'comma-separated YYYY-MM-DD dates treated as federal holidays (closures)'],
  REGULATORY_TIME_ZONE: ['America/New_York', 'IANA zone in which business days and deadlines are counted'],
} as const satisfies Record<string, readonly [string, string]>;

export type ConfigKey = keyof typeof CONFIG_DOCS;
export const CONFIG_KEYS = Object.keys(CONFIG_DOCS) as ConfigKey[];

const d = (key: ConfigKey) => CONFIG_DOCS[key][0];

const schema = z.object({
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  API_HOST: z.string().min(1).default(d('API_HOST')),
  API_PORT: port.default(3000),
  API_URL: z.url().default(d('API_URL')),
  CARRIER_SIM_HOST: z.string().min(1).default(d('CARRIER_SIM_HOST')),
  CARRIER_SIM_PORT: port.default(3100),
  CARRIER_SIM_SMTP_PORT: port.default(2525),
  CARRIER_SIM_URL: z.url().default(d('CARRIER_SIM_URL')),
  SMTP_HOST: z.string().min(1).default(d('SMTP_HOST')),
  SMTP_PORT: port.default(2525),
  LAB_HOSTS: csv.default([]),
  REDIS_URL: z
    .string()
    .refine((v) => !isClusterUrl(v) || parseClusterUrl(v) !== null, {
      message:
        'a cluster URL is redis+cluster://[:password@]host:port,host:port,... (rediss+cluster:// for TLS)',
    })
    .optional(),
  DATABASE_URL: z.string().optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case SQL identifier')
    .default('public'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().min(1).default(d('DATA_DIR')),
  QUEUE_PREFIX: z.string().min(1).default(d('QUEUE_PREFIX')),
  WEBHOOK_SECRET: z.string().min(16).default(d('WEBHOOK_SECRET')),
  WEBHOOK_TOLERANCE_SEC: z.coerce.number().int().min(1).default(300),
  EXERCISE_MARKER: z.string().min(8).default(d('EXERCISE_MARKER')),
  RUN_WORKERS: bool.default(false),
  FANOUT_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(1000),
  CHUNK_SIZE: z.coerce.number().int().min(1).max(100).default(100),
  // 32, not 4: with few chunks in flight per queue, the queues of the carriers with the most
  // subscribers finished seconds after the others, with ever fewer queues to keep the machine busy
  // (BENCHMARKS.md "## load test", 2026-11-26).
  DELIVER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(32),
  RECEIPTS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  SEND_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
  SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(5),
  LEASE_MS: z.coerce.number().int().min(1000).default(30_000),
  RETRY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  RETRY_BASE_DELAY_MS: z.coerce.number().int().min(1).default(15_000),
  RETRY_MAX_DELAY_MS: z.coerce.number().int().min(1).default(600_000),
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  SEND_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  RECEIPT_TIMEOUT_MS: z.coerce.number().int().min(1000).default(600_000),
  STALLED_INTERVAL_MS: z.coerce.number().int().min(1000).default(30_000),
  ADMIN_API_KEY: z.string().min(24, 'at least 24 characters').optional(),
  AUDIT_SIGNING_KEY: z.string().optional(),
  AUDIT_CHECKPOINT_EVERY: z.coerce.number().int().min(1).default(10_000),
  AUDIT_CHECKPOINT_SECONDS: z.coerce.number().int().min(1).default(60),
  RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(730, 'records are kept at least 730 days (2 years, DOMAIN.md §5); set 730 or more')
    .default(730),
  STORE_MAINTENANCE_MS: z.coerce.number().int().min(1000).default(600_000),
  BULK_MAX_ROWS: z.coerce.number().int().min(1).default(1_000_000),
  BULK_MAX_BYTES: z.coerce.number().int().min(1024).default(1_073_741_824),
  EXPORT_MAX_ROWS: z.coerce.number().int().min(1).default(10_000_000),
  RATE_LIMIT_PER_MIN: z.coerce.number().int().min(1).default(600),
  CORS_ORIGINS: csv.default([]),
  HOLIDAY_EXTRA_DATES: csv.default([]),
  REGULATORY_TIME_ZONE: z.string().min(1).default(d('REGULATORY_TIME_ZONE')),
});

export type Config = Readonly<z.infer<typeof schema>>;

/** Empty strings count as unset, so `FOO=` in a .env file means "use the default". */
function withoutEmpty(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of CONFIG_KEYS) {
    const v = env[key];
    if (v !== undefined && v !== '') out[key] = v;
  }
  return out;
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze(parsed.data);
}
