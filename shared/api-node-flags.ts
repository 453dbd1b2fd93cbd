/**
 * The V8 flags of the api process, wherever it is started for real: the Dockerfile's CMD and the api
 * service's `command` in docker-compose.yml (static files: tests/unit/docker-compose.test.ts holds
 * both to this list), `npm start` and `npm run demo` (scripts/lib/stack.ts), and the import
 * benchmark's default (scripts/bench-import.ts), so that the benchmark measures this configuration.
 *
 * Why (issue 5, BENCHMARKS.md "## subscribers"): with V8's defaults on a machine with this much RAM
 * (a heap limit of about 4 GB) the old generation is let grow to about three times its live size
 * before a full collection, and the api peaked at 300–370 MB of RSS importing 1,000,000 rows, against
 * a target of 256 MB. Under a 192 MB old generation the import peaks at 205–213 MB: about 50 MB of
 * live heap, a 32 MB young generation, large strings waiting for collection, and 105–110 MB outside
 * the JS heap (Node itself, and the tsx loader's 30–45 MB). Since batches no longer hold their rows
 * until they commit (SubscriberColumns in upsert-subscribers.ts), the cap costs no measurable api
 * CPU; before, it cost 4–6 µs a row.
 *
 * The semi-space is pinned at 16 MB, the young generation that was measured (Node 20's default
 * here; other V8 versions size it otherwise): 32 MB cost 30 MB more RSS and no less CPU; 8 MB saved
 * about 25 MB for about 1 µs a row more.
 *
 * The same flags hold in embedded mode (no DATABASE_URL), where the api also hosts the workers and
 * PGlite: PGlite's memory is WebAssembly memory, outside these limits, and the JS heap of a demo
 * drill stays under 100 MB (`npm run demo -- --exit` passes).
 */
export const API_NODE_FLAGS: readonly string[] = ['--max-old-space-size=192', '--max-semi-space-size=16'];
