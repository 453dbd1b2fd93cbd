import path from 'node:path';
import { buildEntries, DIST_DIR } from './lib/build-entries';

// `npm run build`: the bundles the Docker image runs (scripts/lib/build-entries.ts). `npm start`,
// the demo, the load test and the benchmark build them themselves before they start anything.
const started = Date.now();
const bundles = await buildEntries();
for (const [name, file] of Object.entries(bundles))
  console.log(`${name.padEnd(12)} ${path.relative(process.cwd(), file)}`);
console.log(
  `built into ${path.relative(process.cwd(), DIST_DIR)}/ in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
