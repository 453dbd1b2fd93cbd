import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../services/api/create-app';
import { startInProcessStack, type InProcessStack } from '../helpers/stack-harness';
import { TEST_KEYS } from '../helpers/api-harness';
import {
  HAS_CHROMIUM,
  PHONE,
  DESKTOP,
  auditAndShoot,
  download,
  fetchFromPage,
  openBrowser,
  signIn,
  signOut,
  HOOK_MS,
  type BrowserSession,
} from './dashboard-kit';

// The incident page in a real browser: the regulatory timeline of DOMAIN.md §5 (deadlines due, met,
// missed; what is due next; the customer-notice gate), agency holds directed, extended and released
// with their written bases, the harm-based determination and the legacy urgent-need override, the
// after-action report; the auditor's read-only view; and the session cookie over TLS.

const CSRF = { 'x-requested-with': 'breach-drill', 'content-type': 'application/json' };

let stack: InProcessStack;
let tlsDir: string;
let tlsServer: Server;
let tlsUrl: string;
let b: BrowserSession;
let page: BrowserSession['page'];

/** A throwaway self-signed certificate for 127.0.0.1 (the browser is told to accept it). */
async function selfSignedCert(): Promise<{ key: string; cert: string }> {
  tlsDir = await mkdtemp(path.join(os.tmpdir(), 'bd-tls-'));
  const key = path.join(tlsDir, 'key.pem');
  const cert = path.join(tlsDir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    { stdio: 'ignore' },
  );
  return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
}

/** "YYYY-MM-DDTHH:MM" (a datetime-local value, read as UTC by the page) this many days from now. */
function utcInputIn(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 16);
}

function deadline(id: string, status: 'due' | 'met' | 'missed' | 'not-applicable') {
  return page.locator(`[data-testid="deadlines"] [data-deadline="${id}"][data-status="${status}"]`);
}

async function createIncident(fields: { exerciseId: string; regime: string; determinedOn?: string }) {
  await page.goto(`${stack.apiUrl}/#/incidents`);
  await page.getByLabel('Exercise id').fill(fields.exerciseId);
  await page.getByLabel('Regulatory regime').selectOption(fields.regime);
  if (fields.determinedOn) await page.getByLabel('Breach determined on').fill(fields.determinedOn);
  await page.getByRole('button', { name: 'Create incident' }).click();
  await page.getByRole('heading', { name: /^Incident #\d+/ }).waitFor();
  return Number(/#\/incidents\/(\d+)/.exec(page.url())![1]);
}

beforeAll(async () => {
  stack = await startInProcessStack('dash-incident');
  // The same api over TLS (a second app on the same dependencies), to see the cookie's Secure flag.
  const { app } = createApp(stack.deps);
  tlsServer = createServer(await selfSignedCert(), app);
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  tlsUrl = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
  b = await openBrowser('dashboard-incident', { ignoreHTTPSErrors: true });
  page = b.page;
}, HOOK_MS);

afterAll(async () => {
  await b?.close();
  tlsServer?.closeAllConnections();
  await new Promise((r) => (tlsServer ? tlsServer.close(r) : r(undefined)));
  if (tlsDir) await rm(tlsDir, { recursive: true, force: true });
  await stack?.close();
}, HOOK_MS);

describe.skipIf(!HAS_CHROMIUM)('incident page: the regulatory timeline in a real browser', () => {
  let amendedId = 0;

  it('amended: report due → met; a hold directed, extended, released (each with its basis); no-harm suppresses', async () => {
    await signIn(page, stack.apiUrl, TEST_KEYS.operator);
    amendedId = await createIncident({ exerciseId: 'EX-INC-AMENDED', regime: 'amended' });

    // Just determined: the report is due next, customer notices wait for it, nothing is missed.
    await deadline('le-report', 'due').waitFor();
    await deadline('customer-notice', 'due').waitFor();
    expect(await page.getByTestId('next-deadline').textContent()).toMatch(
      /^Next due: Breach report \(FCC, Secret Service, FBI\), by \d{4}-.* \(in \d+ d/,
    );
    expect(await page.getByTestId('missed-deadlines').count()).toBe(0);
    await page.getByTestId('customer-gate').getByText('blocked', { exact: true }).waitFor();
    await page
      .getByTestId('customer-gate')
      .getByText(/before the law-enforcement report/)
      .waitFor();
    await auditAndShoot(b, '01-amended-due');

    await page.getByTestId('send-le-report').click();
    await deadline('le-report', 'met').waitFor();
    await page.getByTestId('customer-gate').getByText('may go out now').waitFor();
    expect(await page.getByTestId('next-deadline').textContent()).toMatch(/^Next due: Customer notices, by /);

    // A hold longer than the initial 30 days is refused by the API; the form shows why.
    const holdForm = page.getByTestId('hold-form');
    await holdForm.getByLabel('Agency').fill('Simulated Federal Cyber Liaison');
    await holdForm.getByLabel(/^Until/).fill(utcInputIn(45));
    await holdForm
      .getByLabel('Written basis (the directive)')
      .fill('Written directive 0042: investigation ongoing.');
    await holdForm.getByRole('button', { name: 'Record hold' }).click();
    await holdForm
      .getByRole('alert')
      .getByText(/30 days/)
      .waitFor();
    await auditAndShoot(b, '02-hold-refused');

    await holdForm.getByLabel(/^Until/).fill(utcInputIn(20));
    await holdForm.getByRole('button', { name: 'Record hold' }).click();
    const hold = page.locator('[data-testid^="hold-"][data-status="active"]');
    await hold.waitFor();
    expect(await hold.textContent()).toContain('Written directive 0042: investigation ongoing.');
    await page
      .getByTestId('customer-gate')
      .getByText('An agency has directed a hold on customer notices.')
      .waitFor();
    await auditAndShoot(b, '03-hold-active');

    // Extension, then release, each with its written basis.
    const holdId = Number((await hold.getAttribute('data-testid'))!.replace('hold-', ''));
    const extend = page.getByTestId(`extend-hold-${holdId}`);
    await extend.getByLabel('New end (UTC)').fill(utcInputIn(40));
    await extend
      .getByLabel('Written basis for the extension')
      .fill('Extension letter 0043: suspects not yet contained.');
    await extend.getByRole('button', { name: 'Extend hold' }).click();
    await page
      .getByTestId(`hold-${holdId}`)
      .getByText(/Extended/)
      .waitFor();
    await page
      .getByTestId(`hold-${holdId}`)
      .getByText(/Extension letter 0043/)
      .waitFor();

    const release = page.getByTestId(`release-hold-${holdId}`);
    await release
      .getByLabel('Written basis for the release')
      .fill('Release letter 0044: notices may proceed.');
    await release.getByRole('button', { name: 'Release hold' }).click();
    await page.locator(`[data-testid="hold-${holdId}"][data-status="released"]`).waitFor();
    await page
      .getByTestId(`hold-${holdId}`)
      .getByText(/Release letter 0044/)
      .waitFor();
    await page.getByTestId('customer-gate').getByText('may go out now').waitFor();
    expect(await page.getByTestId(`release-hold-${holdId}`).count()).toBe(0);

    // Each record is in the incident's audited events.
    const events = (await page.getByTestId('incident-events').textContent()) ?? '';
    for (const type of ['incident.hold_directed', 'incident.hold_extended', 'incident.hold_released'])
      expect(events).toContain(type);
    expect(events).toContain('Release letter 0044');

    // "No harm reasonably likely", with its basis: customer notices suppressed, the deadline moot.
    const det = page.getByTestId('determination-form');
    await det
      .getByLabel('Written basis for “no harm reasonably likely”')
      .fill('Only routing metadata of test lines was exposed; no harm reasonably likely.');
    await det.getByRole('button', { name: 'Record no-harm determination' }).click();
    await page.getByTestId('determinations').getByText('No harm reasonably likely:').waitFor();
    await page.getByTestId('customer-gate').getByText('suppressed', { exact: true }).waitFor();
    await deadline('customer-notice', 'not-applicable').waitFor();
    expect(await page.getByTestId('determination-form').count()).toBe(0);
    await auditAndShoot(b, '04-amended-released-no-harm');
    await page.setViewportSize(PHONE);
    await auditAndShoot(b, '05-amended-phone');
    await page.setViewportSize(DESKTOP);
  });

  it('legacy, determined long ago: the missed report is flagged and audited; urgent need; after-action report', async () => {
    const id = await createIncident({
      exerciseId: 'EX-INC-LEGACY',
      regime: 'legacy',
      determinedOn: '2025-01-06',
    });
    const missed = page.getByTestId('missed-deadlines');
    await missed.waitFor();
    expect(await missed.getAttribute('role')).toBe('alert');
    expect(await missed.textContent()).toContain('Law-enforcement report (Secret Service, FBI)');
    await deadline('le-report', 'missed').waitFor();
    await page.getByTestId('incident-events').getByText('incident.deadline_missed').first().waitFor();
    // Legacy has no harm-based exception: only the urgent-need override is offered.
    expect(await page.getByTestId('determination-form').count()).toBe(0);
    const urgent = page.getByTestId('urgent-need-form');
    await urgent.getByLabel('Agency consulted').fill('Simulated Federal Cyber Liaison');
    await urgent
      .getByLabel('Written basis for the urgent need')
      .fill('Imminent misuse of exposed data; agency consulted by phone.');
    await urgent.getByRole('button', { name: 'Record urgent need' }).click();
    await page.getByTestId('determinations').getByText('Urgent need:').waitFor();

    // Sent late: still missed, now with the time it was done.
    await page.getByTestId('send-le-report').click();
    await page.getByText(/Sent \d{4}-/).waitFor();
    const row = deadline('le-report', 'missed');
    await row.waitFor();
    expect(await row.locator('td').nth(3).textContent()).toMatch(/^\d{4}-\d{2}-\d{2} /);
    await auditAndShoot(b, '06-legacy-missed');

    // After-action report: HTML in a new tab (marked as an exercise), Markdown as a download.
    const [tab] = await Promise.all([
      b.context.waitForEvent('page'),
      page.getByRole('link', { name: 'Open (HTML)' }).click(),
    ]);
    await tab.waitForLoadState();
    expect(tab.url()).toBe(`${stack.apiUrl}/v1/incidents/${id}/after-action?format=html`);
    await tab
      .getByText(/EXERCISE EXERCISE EXERCISE/)
      .first()
      .waitFor();
    await tab.screenshot({ path: path.join(b.artifacts, '07-after-action.png'), fullPage: true });
    await tab.close();
    const md = await download(b, page.getByRole('link', { name: 'Download (Markdown)' }));
    expect(md.filename).toBe(`after-action-${id}.md`);
    expect(md.text).toContain('EXERCISE EXERCISE EXERCISE');
    expect(md.text).toMatch(/missed/i);
  });

  it('auditors read the timeline and holds, get no forms, and the regulatory endpoints refuse them', async () => {
    await signOut(page);
    await signIn(page, stack.apiUrl, TEST_KEYS.auditor);
    await page.goto(`${stack.apiUrl}/#/incidents/${amendedId}`);
    await deadline('le-report', 'met').waitFor();
    await page.locator('[data-testid^="hold-"][data-status="released"]').waitFor();
    for (const form of [
      'hold-form',
      'determination-form',
      'urgent-need-form',
      'send-le-report',
      'campaign-form',
    ]) {
      expect(await page.getByTestId(form).count(), form).toBe(0);
    }
    expect(await page.locator('[data-testid^="extend-hold-"], [data-testid^="release-hold-"]').count()).toBe(
      0,
    );
    await auditAndShoot(b, '08-incident-auditor');
    const base = `${stack.apiUrl}/v1/incidents/${amendedId}`;
    const basis = 'An auditor tries to record this.';
    for (const [url, body] of [
      [`${base}/holds`, { agency: 'X', until: new Date(Date.now() + 86_400_000).toISOString(), basis }],
      [`${base}/holds/1/release`, { basis }],
      [`${base}/determinations`, { finding: 'no-harm-reasonably-likely', basis }],
      [`${base}/urgent-need`, { agencyConsulted: 'X', basis }],
    ] as const) {
      expect(await fetchFromPage(page, 'POST', url, CSRF, body), url).toBe(403);
    }
  });

  it('over TLS the session cookie is Secure, HttpOnly and SameSite=Strict', async () => {
    await signIn(page, tlsUrl, TEST_KEYS.operator);
    const cookie = (await b.context.cookies(tlsUrl)).find((c) => c.name === 'bd_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: true });
    await page.getByRole('heading', { name: 'Incidents', exact: true }).waitFor();
    await auditAndShoot(b, '09-incidents-over-tls');
    expect(b.foreignRequests).toEqual([]);
  });
});
