/**
 * `npm run bench:carrier-sim`: how fast the mock carrier network takes traffic, measured across
 * processes. The orchestrator (this file, no arguments) runs a receipt receiver standing in for the
 * api, starts the sim as its own process (services/carrier-sim/main.ts) and the senders as further
 * processes (this file with `sms` or `email`), then prints JSON and writes the "## carrier-sim"
 * section of BENCHMARKS.md.
 *
 *   1. SMS: BENCH_SMS (1,000,000) messages through `POST /carriers/:carrier/messages/batch`, 100 per
 *      batch, BENCH_SMS_CONCURRENCY (32) batches in flight over keep-alive connections, round-robin
 *      over the nine carriers. Submission limits are lifted (`submitLimit: "off"`); response latency
 *      keeps the carriers' default profile (p50 2 ms, p99 15 ms). Receipts flow to the receiver.
 *   2. RSS of the sim process after those arrivals (receipts drained), from /proc/<pid>/status.
 *   3. Email: BENCH_EMAILS (30,000) messages into the SMTP sink with a nodemailer pool of
 *      BENCH_SMTP_CONNECTIONS (16) connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import nodemailer from 'nodemailer';
import { Pool } from 'undici';
import { CARRIERS } from '../shared/carriers';
import { verifySignature } from '../shared/webhook-signature';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const SECRET = 'bench-webhook-secret-0123456789';

const TARGETS = { smsPerSec: 50_000, emailsPerSec: 3_000, rssMbAfterMillion: 300 };

function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
}

// ---------------------------------------------------------------------------------------------
// Sender processes
// ---------------------------------------------------------------------------------------------

/** Fictional numbers +1 NPA 555 01XX, cycling through all 80,000 of them. */
function msisdn(n: number): string {
  const npa = 200 + (Math.floor(n / 100) % 800);
  return `+1${npa}55501${String(n % 100).padStart(2, '0')}`;
}

async function sendSms(baseUrl: string, total: number, concurrency: number): Promise<void> {
  const pool = new Pool(baseUrl, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const campaign = 7;
  const batchSize = 100;
  const batches = Math.ceil(total / batchSize);
  let nextBatch = 0;
  const counts: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const text = JSON.stringify(
    'EXERCISE EXERCISE EXERCISE Simulated carrier notice: a data security incident. This is a simulated training message.',
  );

  const bodyFor = (b: number): { carrier: (typeof CARRIERS)[number]; body: string; size: number } => {
    const carrier = CARRIERS[b % CARRIERS.length] as (typeof CARRIERS)[number];
    const from = JSON.stringify(carrier.smsSender);
    const first = b * batchSize;
    const size = Math.min(batchSize, total - first);
    const parts: string[] = [];
    for (let i = 0; i < size; i++) {
      const n = first + i;
      parts.push(
        `{"to":"${msisdn(n)}","from":${from},"text":${text},"idempotencyKey":"bd-${campaign}-${n + 1}","campaignId":${campaign}}`,
      );
    }
    return { carrier, body: `{"messages":[${parts.join(',')}]}`, size };
  };

  const worker = async () => {
    for (let b = nextBatch++; b < batches; b = nextBatch++) {
      const { carrier, body } = bodyFor(b);
      for (;;) {
        const res = await pool.request({
          path: `/carriers/${carrier.id}/messages/batch`,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${carrier.gatewayKey}` },
          body,
        });
        const text = await res.body.text();
        if (res.statusCode === 200) {
          for (const r of (JSON.parse(text) as { results: { status: string }[] }).results) {
            counts[r.status] = (counts[r.status] ?? 0) + 1;
          }
          break;
        }
        errors[res.statusCode] = (errors[res.statusCode] ?? 0) + 1;
        if (res.statusCode < 500 && res.statusCode !== 429)
          throw new Error(`HTTP ${res.statusCode}: ${text}`);
      }
    }
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  process.stdout.write(
    JSON.stringify({
      messages: total,
      seconds,
      perSec: Math.round(total / seconds),
      results: counts,
      errors,
    }) + '\n',
  );
}

async function sendEmails(host: string, port: number, total: number, connections: number): Promise<void> {
  const transport = nodemailer.createTransport({
    pool: true,
    host,
    port,
    secure: false,
    ignoreTLS: true,
    maxConnections: connections,
    maxMessages: Infinity,
  });
  const carriers = CARRIERS;
  const html =
    '<html><body><p>EXERCISE EXERCISE EXERCISE</p><h1>Notice of Data Breach</h1><h2>What Happened</h2>' +
    '<p>This is a simulated training message. No real breach has occurred. No action is required.</p>'.repeat(
      8,
    ) +
    '<p>EXERCISE EXERCISE EXERCISE</p></body></html>';
  const textBody =
    'EXERCISE EXERCISE EXERCISE\nNotice of Data Breach\n' +
    'This is a simulated training message. No real breach has occurred. No action is required.\n'.repeat(8) +
    'EXERCISE EXERCISE EXERCISE\n';
  let next = 0;
  let failed = 0;
  const inFlight = connections * 4;
  const worker = async () => {
    for (let n = next++; n < total; n = next++) {
      const carrier = carriers[n % carriers.length] as (typeof carriers)[number];
      try {
        await transport.sendMail({
          from: `"${carrier.name} (exercise)" <notices@${carrier.emailDomain}>`,
          to: `subscriber${n}@${carrier.emailDomain}`,
          subject: 'EXERCISE EXERCISE EXERCISE Notice of Data Breach',
          messageId: `<bd-9-${n + 1}@breach-drill.test>`,
          headers: { 'X-Campaign-Id': '9' },
          text: textBody,
          html,
        });
      } catch {
        failed++;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  process.stdout.write(
    JSON.stringify({ messages: total, seconds, perSec: Math.round(total / seconds), failed, connections }) +
      '\n',
  );
}

// ---------------------------------------------------------------------------------------------
// Orchestrator
// ---------------------------------------------------------------------------------------------

interface ReceiptReceiver {
  url: string;
  receipts: () => number;
  batches: () => number;
  badSignatures: () => number;
  close: () => Promise<void>;
}

/** Stands in for the api's receipt webhook: verifies signatures, counts receipts, answers 200. */
async function startReceiptReceiver(): Promise<ReceiptReceiver> {
  let receipts = 0;
  let batches = 0;
  let bad = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const sig = req.headers['x-signature'];
      if (!verifySignature(SECRET, raw, typeof sig === 'string' ? sig : undefined, 300).ok) bad++;
      if (req.url === '/v1/webhooks/receipts') {
        receipts += (JSON.parse(raw.toString('utf8')) as { receipts: unknown[] }).receipts.length;
        batches++;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    receipts: () => receipts,
    batches: () => batches,
    badSignatures: () => bad,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function tsxChild(script: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function startSim(
  apiUrl: string,
): Promise<{ child: ChildProcess; httpPort: number; smtpPort: number }> {
  const child = tsxChild('services/carrier-sim/main.ts', [], {
    CARRIER_SIM_HOST: '127.0.0.1',
    CARRIER_SIM_PORT: '0',
    CARRIER_SIM_SMTP_PORT: '0',
    API_URL: apiUrl,
    WEBHOOK_SECRET: SECRET,
    LOG_LEVEL: 'info', // the ports come from the "carrier-sim ready" line; nothing is logged per message
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; httpPort?: number; smtpPort?: number };
        if (entry.msg === 'carrier-sim ready' && entry.httpPort && entry.smtpPort) {
          resolve({ child, httpPort: entry.httpPort, smtpPort: entry.smtpPort });
        }
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`carrier-sim exited early with ${code}`)));
  });
}

function runSender(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = tsxChild(fileURLToPath(import.meta.url), args);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last) resolve(JSON.parse(last) as Record<string, unknown>);
      else reject(new Error(`sender ${args[0]} exited with ${code}: ${out}`));
    });
  });
}

function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function getJson(url: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    nproc: os.availableParallelism(),
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    node: process.version,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
  };
}

function writeBenchmarksSection(section: string): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.search(/^## carrier-sim\s*$/m);
  let next: string;
  if (start < 0) {
    next = `${current.trimEnd()}\n\n${section}`;
  } else {
    const rest = current.slice(start + 1);
    const end = rest.search(/^## /m);
    next = current.slice(0, start) + section + (end < 0 ? '' : '\n' + rest.slice(end));
  }
  writeFileSync(file, next.trimEnd() + '\n');
}

async function orchestrate(): Promise<void> {
  const smsTotal = envInt('BENCH_SMS', 1_000_000);
  const smsConcurrency = envInt('BENCH_SMS_CONCURRENCY', 32);
  const emails = envInt('BENCH_EMAILS', 30_000);
  const smtpConnections = envInt('BENCH_SMTP_CONNECTIONS', 16);
  const receiver = await startReceiptReceiver();
  const sim = await startSim(receiver.url);
  const base = `http://127.0.0.1:${sim.httpPort}`;
  const pid = sim.child.pid as number;
  try {
    const rssAtStartMb = procStatusMb(pid, 'VmRSS');
    await getJson(`${base}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seed: 1, all: { sms: { submitLimit: 'off' } } }),
    });

    const sms = await runSender(['sms', base, String(smsTotal), String(smsConcurrency)]);
    const drained = await waitFor(async () => {
      const s = await getJson(`${base}/stats`);
      return s.receiptsWaiting === 0;
    }, 60_000);
    const stats = await getJson(`${base}/stats`);
    const rssAfterSmsMb = procStatusMb(pid, 'VmRSS');
    const peakRssMb = procStatusMb(pid, 'VmHWM');

    const email = await runSender([
      'email',
      '127.0.0.1',
      String(sim.smtpPort),
      String(emails),
      String(smtpConnections),
    ]);
    const after = await getJson(`${base}/stats`);

    const result = {
      machine: machine(),
      sms: { ...sms, concurrency: smsConcurrency, target: TARGETS.smsPerSec },
      receipts: {
        received: receiver.receipts(),
        batches: receiver.batches(),
        badSignatures: receiver.badSignatures(),
        drained,
      },
      memory: {
        rssAtStartMb,
        rssAfterSmsMb,
        peakRssMb,
        arrivals: stats.arrivals,
        targetMb: TARGETS.rssMbAfterMillion,
      },
      email: { ...email, target: TARGETS.emailsPerSec, arrivalsAfter: after.arrivals },
    };
    console.log(JSON.stringify(result, null, 2));
    writeBenchmarksSection(benchmarksSection(result));
  } finally {
    sim.child.kill('SIGTERM');
    await new Promise((r) => sim.child.once('exit', r));
    await receiver.close();
  }
}

function benchmarksSection(r: {
  machine: ReturnType<typeof machine>;
  sms: Record<string, unknown>;
  receipts: Record<string, unknown>;
  memory: Record<string, unknown>;
  email: Record<string, unknown>;
}): string {
  const ok = (v: boolean) => (v ? 'met' : '**missed**');
  const smsRate = Number(r.sms.perSec);
  const emailRate = Number(r.email.perSec);
  const rss = Number(r.memory.rssAfterSmsMb);
  return `## carrier-sim

Command: \`npm run bench:carrier-sim\` (scripts/bench-carrier-sim.ts). Measured ${new Date().toISOString().slice(0, 10)}
on ${r.machine.nproc} × ${r.machine.cpu}, ${r.machine.memoryGb} GB RAM, Node ${r.machine.node}. Three processes share
the cores: the sim (services/carrier-sim/main.ts), the sender, and the orchestrator acting as the api's
receipt webhook (verifying every signature).

| measure | result | target | |
|---|---|---|---|
| SMS through \`/messages/batch\` (100/batch, ${r.sms.concurrency} in flight, keep-alive) | ${smsRate.toLocaleString('en-US')} SMS/s (${Number(r.sms.messages).toLocaleString('en-US')} in ${Number(r.sms.seconds).toFixed(1)} s) | ≥ 50,000/s | ${ok(smsRate >= TARGETS.smsPerSec)} |
| emails into the SMTP sink (nodemailer pool, ${r.email.connections} connections) | ${emailRate.toLocaleString('en-US')} emails/s (${Number(r.email.messages).toLocaleString('en-US')} in ${Number(r.email.seconds).toFixed(1)} s, ${r.email.failed} failed) | ≥ 3,000/s | ${ok(emailRate >= TARGETS.emailsPerSec)} |
| sim RSS after ${Number(r.memory.arrivals).toLocaleString('en-US')} SMS arrivals | ${rss} MB (peak ${r.memory.peakRssMb} MB, ${r.memory.rssAtStartMb} MB at start) | ≤ 300 MB | ${ok(rss <= TARGETS.rssMbAfterMillion)} |
| delivery receipts posted back (batched, signed) | ${Number(r.receipts.received).toLocaleString('en-US')} in ${Number(r.receipts.batches).toLocaleString('en-US')} batches, ${r.receipts.badSignatures} bad signatures | all | ${ok(r.receipts.drained === true)} |

Conditions: submission limits lifted (\`PUT /faults {"all":{"sms":{"submitLimit":"off"}}}\`); every other
behaviour is the carriers' default profile (gateway latency p50 2 ms / p99 15 ms, receipts after p50
35–120 ms). SMS results: ${JSON.stringify(r.sms.results)}; retried responses: ${JSON.stringify(r.sms.errors)}.
`;
}

// ---------------------------------------------------------------------------------------------

const [role, ...args] = process.argv.slice(2);
const run =
  role === 'sms'
    ? () => sendSms(args[0] as string, Number(args[1]), Number(args[2]))
    : role === 'email'
      ? () => sendEmails(args[0] as string, Number(args[1]), Number(args[2]), Number(args[3]))
      : orchestrate;
run().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
