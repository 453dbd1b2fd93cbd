import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/** The processes the chaos suite starts, by name: their main.ts, bundled once per run. */
export const ENTRIES = {
  workers: 'workers/main.ts',
  api: 'services/api/main.ts',
  'carrier-sim': 'services/carrier-sim/main.ts',
} as const;
export type EntryName = keyof typeof ENTRIES;

// Inside node_modules, so a bundled package's require.resolve (bull-board's static files) still finds
// its siblings; never committed, rebuilt by every run.
const OUT_DIR = path.resolve('node_modules/.cache/breach-drill-chaos');

/**
 * Each source file keeps its own import.meta.url (migrations, the dashboard's public files and
 * package.json are found next to the sources), not the bundle's.
 */
const keepImportMetaUrl: Plugin = {
  name: 'keep-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

/**
 * The chaos processes always run on PostgreSQL (DATABASE_URL), so PGlite (a fifth of a bundle, all
 * parsed at every start) is left out; a start without DATABASE_URL fails at once.
 */
const withoutPglite: Plugin = {
  name: 'without-pglite',
  setup(b) {
    b.onResolve({ filter: /^@electric-sql\/pglite/ }, (args) => ({
      path: args.path,
      namespace: 'no-pglite',
    }));
    b.onLoad({ filter: /.*/, namespace: 'no-pglite' }, () => ({
      contents:
        "export class PGlite { constructor() { throw new Error('PGlite is not in the chaos bundles: set DATABASE_URL'); } }",
      loader: 'js',
    }));
  },
};

/**
 * Bundles the api, workers and carrier-sim into one minified ES module each. Why: the kill scenario
 * restarts a worker every 2 s, and `node --import tsx workers/main.ts` spends about 2.7 s of CPU
 * resolving and loading some 1,500 modules through the loader hooks (11 s of wall time at a load
 * average of 14 on this 2-core machine, so a worker never got to work); one bundle loads with
 * about 0.65 s of CPU. Returns the path of each bundle.
 */
export async function buildEntries(): Promise<Record<EntryName, string>> {
  await build({
    entryPoints: Object.fromEntries(
      Object.entries(ENTRIES).map(([name, file]) => [name, path.resolve(file)]),
    ),
    outdir: OUT_DIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // CommonJS packages inside an ES module bundle still call require() and name __dirname.
    banner: {
      js: [
        "import { createRequire as __bdRequire } from 'node:module';",
        "import { fileURLToPath as __bdPath } from 'node:url';",
        'const require = __bdRequire(import.meta.url);',
        'const __filename = __bdPath(import.meta.url);',
        "const __dirname = __bdPath(new URL('.', import.meta.url));",
      ].join(' '),
    },
    plugins: [keepImportMetaUrl, withoutPglite],
    logLevel: 'error',
  });
  return Object.fromEntries(
    Object.keys(ENTRIES).map((name) => [name, path.join(OUT_DIR, `${name}.mjs`)]),
  ) as Record<EntryName, string>;
}
