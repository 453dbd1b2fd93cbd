import path from 'node:path';
import { readdir, readFile, rm } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The long-running processes, by name: their main.ts. */
export const ENTRIES = {
  workers: 'workers/main.ts',
  api: 'services/api/main.ts',
  'carrier-sim': 'services/carrier-sim/main.ts',
} as const;
export type EntryName = keyof typeof ENTRIES;

/**
 * Where `npm start`, the demo, the load test and the benchmark run the processes from, and where the
 * Docker image keeps them (`npm run build`). Rebuilt by every start, never committed.
 */
export const DIST_DIR = path.join(ROOT, 'dist');

/**
 * Each source file keeps its own import.meta.url (migrations, the dashboard's public files and
 * package.json are found next to the sources), not the bundle's: a bundle runs inside the checkout
 * it was built from.
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
 * Bundles the api, workers and carrier-sim into one minified ES module each (code they share goes
 * into chunks beside them). Why not `node --import tsx main.ts`:
 * - memory: tsx's loader hooks run on a thread of their own and keep every transformed module; an
 *   idle worker holds 156 MB of RSS under tsx and 105 MB from its bundle;
 * - start-up: tsx resolves and loads some 1,500 modules through those hooks, about 2.7 s of CPU (11 s
 *   of wall time on this 2-core machine under load); a bundle loads with about 0.65 s.
 * PGlite stays outside (it is loaded from node_modules by the dynamic import in open-db.ts, only in
 * embedded mode), so a process on PostgreSQL never parses it. Returns the path of each bundle.
 */
export async function buildEntries(outDir: string = DIST_DIR): Promise<Record<EntryName, string>> {
  const { metafile } = await build({
    metafile: true,
    entryPoints: Object.fromEntries(
      Object.entries(ENTRIES).map(([name, file]) => [name, path.join(ROOT, file)]),
    ),
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['@electric-sql/pglite'],
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
    plugins: [keepImportMetaUrl],
    logLevel: 'error',
  });
  // Chunks of earlier builds (their names carry a content hash) go; this build's stay.
  const current = new Set(Object.keys(metafile.outputs).map((file) => path.resolve(file)));
  for (const file of await readdir(outDir)) {
    if (!current.has(path.join(outDir, file))) await rm(path.join(outDir, file), { force: true });
  }
  return Object.fromEntries(
    Object.keys(ENTRIES).map((name) => [name, path.join(outDir, `${name}.mjs`)]),
  ) as Record<EntryName, string>;
}
