import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { startPrivateRedis, type PrivateRedis } from './private-redis';
import { generateKey } from '../../shared/auth/api-keys';
import { API_NODE_FLAGS } from '../../shared/api-node-flags';
import { buildEntries } from './build-entries';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface StackOptions {
  env: NodeJS.ProcessEnv;
  /** Separate worker processes (only with PostgreSQL; PGlite keeps workers in the api). */
  workers?: number;
  log?: (line: string) => void;
  /** Where child output goes: inherited (npm start) or a callback. */
  quiet?: boolean;
}

export interface Stack {
  apiUrl: string;
  /** The bootstrap admin key (ADMIN_API_KEY, or the one generated under DATA_DIR on first start). */
  adminKey: string;
  adminKeyGenerated: boolean;
  simUrl: string;
  smtpPort: number;
  redisUrl: string;
  embeddedDb: boolean;
  children: ChildProcess[];
  stop(): Promise<void>;
}

function spawnBundle(
  bundle: string,
  env: NodeJS.ProcessEnv,
  quiet: boolean,
  nodeFlags: readonly string[] = [],
): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, bundle], {
    cwd: ROOT,
    env,
    stdio: quiet ? ['ignore', 'ignore', 'inherit'] : ['ignore', 'inherit', 'inherit'],
  });
}

async function waitFor(url: string, child: ChildProcess, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${what} exited with code ${child.exitCode} during startup (see its log above)`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not become ready at ${url} within ${timeoutMs / 1000} s`);
}

function stopChild(child: ChildProcess, ms = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * The bootstrap admin key: ADMIN_API_KEY when set, else the one kept in DATA_DIR/admin-api-key
 * (created, mode 0600, on first start).
 */
export function ensureAdminKey(env: NodeJS.ProcessEnv, dataDir: string): { key: string; generated: boolean } {
  if (env.ADMIN_API_KEY) return { key: env.ADMIN_API_KEY, generated: false };
  const file = path.join(dataDir, 'admin-api-key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), generated: false };
  mkdirSync(dataDir, { recursive: true });
  const key = generateKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, generated: true };
}

/**
 * Starts the whole system the way `npm start` does: a private redis-server when REDIS_URL is unset,
 * PGlite when DATABASE_URL is unset, then carrier-sim, api (hosting the workers in embedded mode)
 * and worker processes. `stop()` ends every process it started.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const env = { ...opts.env };
  const log = opts.log ?? ((l: string) => console.log(l));
  const dataDir = path.resolve(ROOT, env.DATA_DIR || '.data');
  let redis: PrivateRedis | undefined;
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map((c) => stopChild(c)));
    await redis?.stop();
  };
  try {
    if (!env.REDIS_URL) {
      redis = await startPrivateRedis({ dir: path.join(dataDir, 'redis'), persist: true });
      env.REDIS_URL = redis.url;
      log(`redis        ${redis.url} (private, AOF under ${path.relative(ROOT, dataDir)}/redis)`);
    }
    env.DATA_DIR = dataDir;
    const admin = ensureAdminKey(env, dataDir);
    env.ADMIN_API_KEY = admin.key;
    const apiPort = env.API_PORT || '3000';
    const simPort = env.CARRIER_SIM_PORT || '3100';
    const smtpPort = env.CARRIER_SIM_SMTP_PORT || '2525';
    env.API_URL ||= `http://127.0.0.1:${apiPort}`;
    env.CARRIER_SIM_URL ||= `http://127.0.0.1:${simPort}`;
    env.SMTP_PORT ||= smtpPort;
    const embeddedDb = !env.DATABASE_URL;
    const quiet = opts.quiet ?? false;

    // The processes run from bundles of this checkout, rebuilt here (scripts/lib/build-entries.ts):
    // 50 MB less memory each than under tsx, and a faster start.
    const bundles = await buildEntries();
    const sim = spawnBundle(bundles['carrier-sim'], env, quiet);
    children.push(sim);
    const api = spawnBundle(
      bundles.api,
      { ...env, RUN_WORKERS: embeddedDb ? 'true' : env.RUN_WORKERS },
      quiet,
      API_NODE_FLAGS, // as in the Dockerfile and docker-compose.yml (shared/api-node-flags.ts)
    );
    children.push(api);
    if (!embeddedDb) {
      for (let i = 0; i < (opts.workers ?? 1); i++) children.push(spawnBundle(bundles.workers, env, quiet));
    }
    const simUrl = `http://127.0.0.1:${simPort}`;
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitFor(`${simUrl}/stats`, sim, 'carrier-sim');
    await waitFor(`${apiUrl}/readyz`, api, 'api');
    return {
      apiUrl,
      adminKey: admin.key,
      adminKeyGenerated: admin.generated,
      simUrl,
      smtpPort: Number(smtpPort),
      redisUrl: env.REDIS_URL,
      embeddedDb,
      children,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Stops the stack once on SIGINT/SIGTERM, then exits. */
export function stopOnSignals(stack: Stack, onStop?: () => void): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    onStop?.();
    console.log(`\n${signal}: stopping every process this command started…`);
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
