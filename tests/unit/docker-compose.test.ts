import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_KEYS, loadConfig } from '../../shared/config';
import { renderEnvExample } from '../../scripts/lib/env-example';
import { API_NODE_FLAGS } from '../../shared/api-node-flags';
import { DIST_DIR, ENTRIES, type EntryName } from '../../scripts/lib/build-entries';

// No Docker engine here: these tests keep docker-compose.yml honest by reading it.
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      environment?: Record<string, string>;
      command?: string[];
      healthcheck?: unknown;
      deploy?: { replicas?: number };
      build?: string;
      volumes?: string[];
      depends_on?: Record<string, { condition: string }>;
    }
  >;
};
const APP_SERVICES = ['api', 'workers', 'carrier-sim'];

describe('docker-compose.yml', () => {
  it('app services → every environment variable → is a key the config schema knows', () => {
    for (const name of APP_SERVICES) {
      const env = compose.services[name]?.environment ?? {};
      expect(Object.keys(env).length, name).toBeGreaterThan(0);
      for (const key of Object.keys(env)) expect(CONFIG_KEYS, `${name}.${key}`).toContain(key);
    }
  });

  it('app services → their environment → parses as a valid configuration', () => {
    for (const name of APP_SERVICES) {
      expect(() => loadConfig(compose.services[name]!.environment!), name).not.toThrow();
    }
  });

  it('app services → gateways off loopback → are named in LAB_HOSTS', () => {
    for (const name of ['api', 'workers']) {
      const cfg = loadConfig(compose.services[name]!.environment!);
      expect(cfg.LAB_HOSTS).toContain(cfg.SMTP_HOST);
      expect(cfg.LAB_HOSTS).toContain(new URL(cfg.CARRIER_SIM_URL).hostname);
    }
  });

  it('redis → command → AOF on, noeviction, healthcheck', () => {
    const redis = compose.services.redis!;
    expect(redis.command?.join(' ')).toMatch(/--appendonly yes/);
    expect(redis.command?.join(' ')).toMatch(/--maxmemory-policy noeviction/);
    expect(redis.healthcheck).toBeDefined();
  });

  it('postgres → healthcheck; workers → two replicas; api → waits for healthy stores', () => {
    expect(compose.services.postgres!.healthcheck).toBeDefined();
    expect(compose.services.workers!.deploy?.replicas).toBe(2);
    expect(compose.services.api!.depends_on?.redis?.condition).toBe('service_healthy');
    expect(compose.services.api!.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  it('api and workers → one DATA_DIR volume → one audit signing key for every process', () => {
    const { api, workers } = compose.services;
    expect(api!.environment!.DATA_DIR).toBe('/data');
    expect(workers!.environment!.DATA_DIR).toBe('/data');
    expect(api!.volumes).toContain('app-data:/data');
    expect(workers!.volumes).toContain('app-data:/data');
    expect(readFileSync('Dockerfile', 'utf8')).toMatch(/chown node:node \/data/);
  });

  it('api → command and the Dockerfile CMD → run with the V8 flags of shared/api-node-flags.ts', () => {
    const apiCommand = ['node', ...API_NODE_FLAGS, 'dist/api.mjs'];
    expect(compose.services.api!.command).toEqual(apiCommand);
    const cmd = /^CMD (\[.*\])\s*$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
    expect(JSON.parse(cmd ?? 'null')).toEqual(apiCommand);
  });

  it('app services → entry points → the bundles the image builds from sources in the tree', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    // The build runs after the sources are copied in, and writes to dist/ (DIST_DIR).
    expect(dockerfile.indexOf('RUN npm run build')).toBeGreaterThan(
      dockerfile.indexOf('COPY scripts ./scripts'),
    );
    expect(path.relative(process.cwd(), DIST_DIR)).toBe('dist');
    for (const name of APP_SERVICES) {
      expect(compose.services[name]!.command!.at(-1), name).toBe(`dist/${name}.mjs`);
      const source = ENTRIES[name as EntryName];
      expect(() => readFileSync(source), source).not.toThrow();
    }
  });
});

describe('.env.example', () => {
  it('matches the config schema documentation (run `npm run env:example` after changing config.ts)', () => {
    expect(readFileSync('.env.example', 'utf8')).toBe(renderEnvExample());
  });
});

describe('README.md', () => {
  it('documents every configuration key and has a two-command Quick start', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const key of CONFIG_KEYS) expect(readme, key).toContain(`\`${key}\``);
    const quick = /## Quick start\s+```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(quick.trim().split('\n')).toEqual(['npm install && npm run demo', 'npm test']);
  });
});
