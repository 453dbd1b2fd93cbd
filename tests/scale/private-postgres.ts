import { execFile, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/lib/private-redis';

const run = promisify(execFile);

export interface PrivatePostgres {
  url: string;
  stop(): Promise<void>;
}

/** `initdb` and `pg_ctl`: from PATH, else the newest /usr/lib/postgresql/<version>/bin (Debian). */
export function findPostgresBin(name: 'initdb' | 'pg_ctl'): string | null {
  if (spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0) return name;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = path.join(root, v, 'bin', name);
    if (existsSync(bin)) return bin;
  }
  return null;
}

/** PostgreSQL refuses to run as root: as root, run it as `postgres` (or `nobody`). */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of ['postgres', 'nobody']) {
    const f = passwd.find((l) => l.startsWith(`${name}:`))?.split(':');
    if (f) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error('running as root and no postgres or nobody user to run PostgreSQL as');
}

/**
 * A throwaway PostgreSQL cluster (initdb + pg_ctl) listening on `host` only, with trust
 * authentication for `allowCidr` (a private lab network) and no durability (fsync off): a test
 * database that other network namespaces can reach, without touching the machine's own server.
 */
export async function startPrivatePostgres(opts: {
  host: string;
  allowCidr: string;
}): Promise<PrivatePostgres> {
  const initdb = findPostgresBin('initdb');
  const pgCtl = findPostgresBin('pg_ctl');
  if (!initdb || !pgCtl) {
    throw new Error(
      'initdb/pg_ctl not found: install the PostgreSQL server (Debian: apt-get install postgresql)',
    );
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bd-scale-pg-'));
  const data = path.join(dir, 'data');
  const user = serverUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  const port = await freePort(opts.host);
  let started = false;
  const stop = async () => {
    if (started) {
      await run(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop'], as).catch(() => undefined);
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run(initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'], as);
    appendFileSync(path.join(data, 'pg_hba.conf'), `host all all ${opts.allowCidr} trust\n`);
    const settings = [
      `-c listen_addresses=${opts.host}`,
      `-p ${port}`,
      `-k ${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
    ].join(' ');
    await run(
      pgCtl,
      ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', settings, 'start'],
      as,
    );
    started = true;
  } catch (err) {
    const log = existsSync(path.join(dir, 'server.log'))
      ? readFileSync(path.join(dir, 'server.log'), 'utf8')
      : '';
    await stop();
    throw new Error(`private PostgreSQL did not start: ${(err as Error).message}\n${log.slice(-2000)}`);
  }
  return { url: `postgres://postgres@${opts.host}:${port}/postgres`, stop };
}
