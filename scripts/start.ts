/**
 * `npm start`: the whole system on this machine. Embedded defaults: a private redis-server when
 * REDIS_URL is unset, PGlite under .data/ when DATABASE_URL is unset. Ctrl-C stops everything.
 */
import { startStack, stopOnSignals } from './lib/stack';

try {
  const stack = await startStack({ env: process.env, workers: Number(process.env.WORKERS ?? 1) });
  stopOnSignals(stack);
  console.log(`
breach-drill is running (exercise simulator: every message is marked EXERCISE).
  API            ${stack.apiUrl}        docs ${stack.apiUrl}/docs
  health         ${stack.apiUrl}/readyz   metrics ${stack.apiUrl}/metrics
  carrier-sim    ${stack.simUrl}        handsets and mailboxes at ${stack.simUrl}/
  SMTP sink      127.0.0.1:${stack.smtpPort}
  database       ${stack.embeddedDb ? 'PGlite (embedded, .data/pglite)' : 'PostgreSQL (DATABASE_URL)'}
  admin API key  ${stack.adminKeyGenerated ? `${stack.adminKey}  (generated now and kept in .data/admin-api-key; shown once)` : '(ADMIN_API_KEY or .data/admin-api-key)'}
  new keys       npm run keys:create -- --role operator --name alice
Press Ctrl-C to stop.`);
} catch (err) {
  console.error(`npm start failed: ${(err as Error).message}`);
  process.exit(1);
}
