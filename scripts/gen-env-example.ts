/** Writes .env.example from the config schema's documentation (`npm run env:example`). */
import { writeFileSync } from 'node:fs';
import { renderEnvExample } from './lib/env-example';

writeFileSync(new URL('../.env.example', import.meta.url), renderEnvExample());
console.log('wrote .env.example');
