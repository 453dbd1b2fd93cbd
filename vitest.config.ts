import { defineConfig } from 'vitest/config';

// One config, three projects; `npm test` runs them all after typecheck and lint.
// tests/global-setup.ts provides REDIS_URL / DATABASE_URL, starting a private redis-server when unset.
export default defineConfig({
  test: {
    globalSetup: ['tests/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'integration', include: ['tests/integration/**/*.test.ts'], testTimeout: 120_000 },
      },
      { extends: true, test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], testTimeout: 240_000 } },
      // `npm run test:scale`: several hosts (network namespaces, needs root and iproute2) and a
      // three-node Redis Cluster, each running a campaign with real processes.
      {
        extends: true,
        test: {
          name: 'scale',
          include: ['tests/scale/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      // `npm run test:chaos`: long, real processes and faults; not part of `npm test`.
      {
        extends: true,
        test: {
          name: 'chaos',
          include: ['tests/chaos/**/*.test.ts'],
          testTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
