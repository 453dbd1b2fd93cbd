/**
 * `npm run test:chaos [-- --seed <n>] [-- other vitest arguments]`
 *
 * Runs the chaos suite (vitest project `chaos`, tests/chaos/). Every run prints its seed; a failing
 * one replays with `--seed <n>` (the same as CHAOS_SEED=<n>), e.g.
 * `npm run test:chaos -- --seed 418207 -t kill-workers`. Other arguments go to vitest unchanged.
 * Needs DATABASE_URL (PostgreSQL; each scenario makes and drops its own schema) and redis-server on
 * PATH (each scenario starts a private one, since it restarts it); CHAOS_SUBSCRIBERS sets the
 * campaign size (default 20,000 subscribers × 2 channels).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const env = { ...process.env };
const at = args.indexOf('--seed');
if (at >= 0) {
  const seed = args[at + 1];
  if (!seed || !/^\d+$/.test(seed)) {
    console.error('usage: npm run test:chaos -- --seed <non-negative integer> [vitest arguments]');
    process.exit(2);
  }
  env.CHAOS_SEED = seed;
  args.splice(at, 2);
}
env.CHAOS_SEED ??= String(Date.now() % 1_000_000);
if (!env.DATABASE_URL) {
  console.error('the chaos suite needs PostgreSQL: set DATABASE_URL (workers refuse PGlite)');
  process.exit(2);
}

const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const child = spawn(process.execPath, [vitest, 'run', '--project', 'chaos', ...args], {
  env,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
