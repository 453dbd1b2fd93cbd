/**
 * `npm run keys:create -- --role operator --name alice [--scope pii:read]`: creates an API key and
 * prints it once. Uses the running api (with the admin key) when it answers, else the database
 * directly (with embedded PGlite, stop `npm start` first: PGlite serves one process).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KEY_ROLES, KEY_SCOPES, createApiKey, type KeyRole } from '../shared/auth/api-keys';
import { loadConfig } from '../shared/config';
import { openDb } from '../shared/store/open-db';
import { ensureAdminKey } from './lib/stack';

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string', multiple: true, default: [] },
  },
});
const role = values.role as KeyRole;
if (!KEY_ROLES.includes(role) || !values.name) {
  console.error(
    `usage: npm run keys:create -- --role <${KEY_ROLES.join('|')}> --name <who> [--scope ${KEY_SCOPES.join('|')}]`,
  );
  process.exit(2);
}
const scopes = values.scope ?? [];
if (scopes.some((s) => !(KEY_SCOPES as readonly string[]).includes(s))) {
  console.error(`unknown scope; known: ${KEY_SCOPES.join(', ')}`);
  process.exit(2);
}
const config = loadConfig(process.env);
const apiUrl = `http://127.0.0.1:${config.API_PORT}`;
const admin = ensureAdminKey(process.env, path.resolve(config.DATA_DIR));

async function viaApi(): Promise<{ id: string; key: string } | null> {
  try {
    const res = await fetch(`${apiUrl}/v1/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.key}` },
      body: JSON.stringify({ name: values.name, role, scopes }),
    });
    if (res.status === 201) return (await res.json()) as { id: string; key: string };
    console.error(`the api at ${apiUrl} answered ${res.status}: ${await res.text()}`);
    process.exit(1);
  } catch {
    return null; // not running
  }
}

let created = await viaApi();
if (!created) {
  const db = await openDb({
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    poolSize: 1,
    dataDir: config.DATA_DIR,
  });
  const r = await createApiKey(db, { name: values.name, role, scopes, createdBy: 'keys:create' });
  await db.close();
  created = { id: r.record.id, key: r.key };
}
console.log(
  `created ${role} key ${created.id} for ${values.name}${scopes.length ? ` (scopes: ${scopes.join(', ')})` : ''}`,
);
console.log(`key (shown once, store it now): ${created.key}`);
