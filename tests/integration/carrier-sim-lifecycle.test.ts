import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';

// Process-level behaviour, in child processes: close() leaves no handle behind, and main.ts starts,
// logs its URLs and exits cleanly on SIGTERM.

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'carrier-sim-lifecycle-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(script: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stderr })),
  );
  return { child, exited };
}

describe('carrier-sim lifecycle', () => {
  it('close() with a hanging request, a late timeout and receipts retrying to a dead api → the process exits on its own', async () => {
    const script = path.join(dir, 'close-leaves-nothing.mts');
    writeFileSync(
      script,
      `
import { createCarrierSim } from ${JSON.stringify(path.join(ROOT, 'services/carrier-sim/create-carrier-sim'))};
import { createLogger } from ${JSON.stringify(path.join(ROOT, 'shared/logger'))};
import net from 'node:net';
const sim = createCarrierSim({ apiUrl: 'http://127.0.0.1:9', webhookSecret: 'x'.repeat(20),
  logger: createLogger({ level: 'silent', name: 't' }), receiptFlushMs: 5 });
const { httpPort, smtpPort } = await sim.listen({ host: '127.0.0.1', httpPort: 0, smtpPort: 0 });
const base = 'http://127.0.0.1:' + httpPort;
await fetch(base + '/faults', { method: 'PUT', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ all: { sms: { latencyMs: { p50: 0, p99: 0 }, receipts: { latencyMs: { p50: 0, p99: 0 } } } },
    carriers: { 'prairie-link': { sms: { errorRates: { timeout: 1 }, timeout: { afterMs: 600000 } } } } }) });
const msg = { to: '+12025550100', from: '+12025550190', text: 'EXERCISE', idempotencyKey: 'bd-1-1' };
await fetch(base + '/carriers/northwind-mobile/messages', { method: 'POST',
  headers: { authorization: 'Bearer sim-northwind-mobile-gateway-key' }, body: JSON.stringify(msg) });
void fetch(base + '/carriers/prairie-link/messages', { method: 'POST',
  headers: { authorization: 'Bearer sim-prairie-link-gateway-key' }, body: JSON.stringify({ ...msg, idempotencyKey: 'bd-1-2' }) }).catch(() => {});
const smtp = net.connect(smtpPort, '127.0.0.1'); smtp.on('error', () => {});
await new Promise((r) => setTimeout(r, 300)); // the receipt is now retrying against a dead api
await sim.close();
smtp.destroy();
console.log('closed');
`,
    );
    const { child, exited } = run(script);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const { code, stderr } = await exited;
    clearTimeout(timer);
    expect(stderr).toBe('');
    expect(code).toBe(0); // SIGKILL (a handle kept it alive) would give null
  });

  it('main.ts with port 0 → logs "carrier-sim ready" with real ports, SIGTERM → exit 0', async () => {
    const { child, exited } = run('services/carrier-sim/main.ts', {
      CARRIER_SIM_HOST: '127.0.0.1',
      CARRIER_SIM_PORT: '0',
      CARRIER_SIM_SMTP_PORT: '0',
      API_URL: 'http://127.0.0.1:9',
      LOG_LEVEL: 'info',
    });
    const ready = await new Promise<{ httpPort: number; smtpPort: number; httpUrl: string }>(
      (resolve, reject) => {
        const lines = createInterface({ input: child.stdout });
        lines.on('line', (line) => {
          const entry = JSON.parse(line) as {
            msg: string;
            httpPort: number;
            smtpPort: number;
            httpUrl: string;
          };
          if (entry.msg === 'carrier-sim ready') resolve(entry);
        });
        child.once('exit', () => reject(new Error('exited before ready')));
      },
    );
    expect(ready.httpPort).toBeGreaterThan(0);
    expect(ready.smtpPort).toBeGreaterThan(0);
    expect(ready.httpUrl).toBe(`http://127.0.0.1:${ready.httpPort}`);
    expect((await fetch(`${ready.httpUrl}/stats`)).status).toBe(200);
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });

  it('main.ts bound to a non-loopback host without LAB_HOSTS → refuses to start', async () => {
    const { exited } = run('services/carrier-sim/main.ts', {
      CARRIER_SIM_HOST: '0.0.0.0',
      CARRIER_SIM_PORT: '0',
      CARRIER_SIM_SMTP_PORT: '0',
      LAB_HOSTS: '',
    });
    const { code, stderr } = await exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(/LAB_HOSTS/);
  });
});
