/**
 * `npm run audit:verify -- <bundle.ndjson> [--key <public-key.pem> | --key-id <id>] [--json]`
 *
 * Verifies an audit export bundle (GET /v1/audit/export?format=bundle) offline: recomputes every
 * row's hash along the chain, checks every checkpoint's Ed25519 signature, and that the rows reach
 * the checkpoint that closes the export. Prints the first broken seq when there is one.
 *
 * Pin the signing key (--key with the PEM from GET /v1/audit/public-key, or --key-id): without it the
 * bundle's own key is trusted, which proves consistency but not who signed. `-` reads stdin.
 * Exit codes: 0 verified; 1 broken, or its end not vouched for by a trusted key; 2 could not run
 * (usage, unreadable file or key).
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { verifyBundle, type BundleVerdict } from '../shared/audit/audit-bundle';
import { keyIdOf, publicKeyFromPem } from '../shared/audit/signing-key';

interface Args {
  file: string;
  keyIds: string[] | undefined;
  json: boolean;
}

const USAGE =
  'usage: npm run audit:verify -- <bundle.ndjson|-> [--key <public-key.pem>] [--key-id <id>] [--json]';

async function parseArgs(argv: string[]): Promise<Args> {
  let file: string | undefined;
  const keyIds: string[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--key') keyIds.push(keyIdOf(publicKeyFromPem(await readFile(argv[++i] ?? '', 'utf8'))));
    else if (a === '--key-id') keyIds.push(argv[++i] ?? '');
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else if (!file) file = a;
    else throw new Error(`unexpected argument ${a}\n${USAGE}`);
  }
  if (!file) throw new Error(USAGE);
  return { file, keyIds: keyIds.length ? keyIds : undefined, json };
}

function report(v: BundleVerdict): string {
  const lines: string[] = [];
  if (v.ok) {
    lines.push(
      `VERIFIED: ${v.rows.toLocaleString('en-US')} rows, chain head seq ${v.headSeq} hash ${v.headHash}`,
    );
  } else {
    lines.push(`BROKEN${v.firstBadSeq !== null ? ` at seq ${v.firstBadSeq}` : ''}: ${v.reason}`);
    lines.push(`  rows read before the break: ${v.rows.toLocaleString('en-US')}`);
  }
  lines.push(
    `  checkpoints: ${v.checkpoints.verified} signatures valid, ${v.checkpoints.trusted} by a trusted key`,
  );
  lines.push(`  signing keys named: ${v.keyIds.join(', ') || 'none'}`);
  for (const w of v.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = await parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const input = args.file === '-' ? process.stdin : createReadStream(args.file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let verdict: BundleVerdict;
  try {
    verdict = await verifyBundle(lines, args.keyIds ? { trustedKeyIds: args.keyIds } : {});
  } catch (err) {
    console.error(`cannot read ${args.file}: ${(err as Error).message}`);
    return 2;
  }
  console.log(args.json ? JSON.stringify(verdict, null, 2) : report(verdict));
  return verdict.ok ? 0 : 1;
}

process.exitCode = await main();
