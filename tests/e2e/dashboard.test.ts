import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startInProcessStack, type InProcessStack } from '../helpers/stack-harness';
import { TEST_KEYS } from '../helpers/api-harness';
import { seedSubscribers } from '../helpers/campaign-kit';
import type { SubscriberInput } from '../../shared/api/subscribers.schema';

const CHROMIUM = '/usr/bin/chromium'; // Debian's package; .ci/run installs it when missing
// A closed network: nothing in the background may try to reach the internet.
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const ARTIFACTS = path.resolve('tests/artifacts/dashboard');
const CARRIER = 'northwind-mobile';

let stack: InProcessStack;
let people: SubscriberInput[];
let userDataDir: string;
let context: BrowserContext;
let page: Page;
const foreignRequests: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function signIn(key: string): Promise<void> {
  await page.goto(`${stack.apiUrl}/#/signin`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

async function signOut(): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
}

/** A state-changing call from the page, as a script on this origin could make it. */
async function postFromPage(url: string, headers: Record<string, string>): Promise<number> {
  return page.evaluate(
    async ([u, hdrs]) =>
      (await fetch(u, { method: 'POST', headers: hdrs, credentials: 'same-origin' })).status,
    [url, headers] as const,
  );
}

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  stack = await startInProcessStack('dashboard');
  people = await seedSubscribers(stack.testDb.db, { count: 12, seed: 11, carriers: [CARRIER] });
  userDataDir = await mkdtemp(path.join(os.tmpdir(), 'bd-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: LAUNCH_ARGS,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  page = context.pages()[0] ?? (await context.newPage());
  // A loaded CI machine renders and delivers slowly: wait on behaviour, not on a fixed 30 s.
  context.setDefaultTimeout(90_000);
  page.setDefaultTimeout(90_000);
  // Everything must be served locally: the api and, for the inbox step, the carrier-sim.
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (/^(https?|wss?):$/.test(u.protocol) && u.hostname !== '127.0.0.1') foreignRequests.push(req.url());
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  await stack?.close();
});

describe.skipIf(!existsSync(CHROMIUM))('dashboard in a real browser', () => {
  let incidentId = 0;
  let campaignId = 0;

  it('sign in → incident → campaign → preview → second-key approval → trigger → 100 % live', async () => {
    // An unknown key is refused, and no session cookie is set.
    await page.goto(`${stack.apiUrl}/`);
    await page.getByLabel('API key').fill('bd_not_a_real_key_000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await shot('01-sign-in');

    await signIn(TEST_KEYS.operator);
    const cookie = (await context.cookies()).find((c) => c.name === 'bd_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookie!.value).not.toContain(TEST_KEYS.operator);
    await expect(page.getByTestId('exercise-marker').textContent()).resolves.toContain(
      'EXERCISE EXERCISE EXERCISE',
    );

    // Cookie sessions need the CSRF header to change anything.
    expect(await postFromPage(`${stack.apiUrl}/v1/incidents`, { 'content-type': 'application/json' })).toBe(
      403,
    );

    // Incident from the form (the first carrier is checked by default).
    await page.getByRole('heading', { name: 'Incidents', exact: true }).waitFor();
    await page.getByLabel('Exercise id').fill('EX-DASH-1');
    await page.getByRole('button', { name: 'Create incident' }).click();
    await page.getByRole('heading', { name: /^Incident #\d+/ }).waitFor();
    incidentId = Number(/#\/incidents\/(\d+)/.exec(page.url())![1]);
    await page.getByTestId('send-le-report').click();
    await page.getByText(/Sent \d{4}-/).waitFor();
    await shot('02-incident');

    // Campaign from the form: both channels, the incident's carrier, subscriber's own locale.
    await page.getByLabel('Kind').selectOption('carrier-notice');
    await page.getByRole('button', { name: 'Create campaign (draft)' }).click();
    await page.getByRole('heading', { name: /^Campaign #\d+/ }).waitFor();
    campaignId = Number(/#\/campaigns\/(\d+)/.exec(page.url())![1]);

    // Preview: email in a sandboxed frame, SMS as a phone shows it with its segment count, CAP.
    await page.getByTestId('preview').click();
    await page.getByTestId('sms-preview').first().waitFor();
    expect(await page.getByTestId('sms-preview').first().textContent()).toMatch(
      /^EXERCISE EXERCISE EXERCISE/,
    );
    expect(await page.getByTestId('sms-segments').first().textContent()).toMatch(/\d+ segments?/);
    expect(await page.getByTestId('email-preview').first().getAttribute('sandbox')).toBe('');
    expect(await page.getByTestId('cap-preview').textContent()).toContain('<status>Exercise</status>');
    await shot('03-campaign-preview');

    // The creator cannot approve (two-person rule); a second operator can.
    await page.getByTestId('approve').click();
    await page.getByRole('alert').waitFor();
    await signOut();
    await signIn(TEST_KEYS.operator2);
    await page.goto(`${stack.apiUrl}/#/campaigns/${campaignId}`);
    await page.getByTestId('approve').click();
    await page.locator('.badge.approved').first().waitFor();

    // Some emails fail for good (SMTP 550), so the audit log has failures to show.
    const faults = await fetch(`${stack.simUrl}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ all: { email: { errorRates: { '550': 0.5 } } } }),
    });
    expect(faults.ok).toBe(true);

    await page.getByTestId('trigger').click();
    // Progress arrives over SSE and reaches 100 % with no reload.
    await page
      .locator('[data-testid="progress-total"][data-state="completed"]', { hasText: '100 %' })
      .waitFor({ timeout: 90_000 });
    await page.getByTestId('carrier-table').getByText('Northwind Mobile').waitFor();
    await page.waitForTimeout(300); // let the chart draw its last point
    await shot('04-campaign-progress');
  });

  it('audit log: filtered to failures, masked contacts, CSV export, chain verification', async () => {
    await page.goto(`${stack.apiUrl}/#/audit`);
    await page
      .getByTestId('verify')
      .getByText(/Chain intact/)
      .waitFor();
    await page.getByTestId('failures-only').click();
    await page.getByTestId('audit-table').waitFor();
    const rows = page.getByTestId('audit-table').locator('tbody tr');
    expect(await rows.count()).toBeGreaterThan(0);
    const texts = await rows.allTextContents();
    for (const t of texts) expect(t).toContain('notification.failed');
    // Masked by default: no clear address of any seeded subscriber on the page.
    const body = await page.locator('main').textContent();
    for (const p of people) if (p.email) expect(body).not.toContain(p.email);
    await shot('05-audit-failures');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-csv').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-.*\.csv$/);
    const saved = path.join(ARTIFACTS, 'audit-failures.csv');
    await download.saveAs(saved);
    const csv = await readFile(saved, 'utf8');
    const lines = csv.trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((l) => l.includes('notification.failed') || l.startsWith('#'))).toBe(true);
  });

  it('auditors see no trigger or ENDEX controls and cannot reach those endpoints', async () => {
    await signOut();
    await signIn(TEST_KEYS.auditor);
    await page.goto(`${stack.apiUrl}/#/campaigns/${campaignId}`);
    await page.getByText('Read-only: your key is an auditor key.').waitFor();
    expect(await page.getByTestId('trigger').count()).toBe(0);
    expect(await page.getByTestId('endex').count()).toBe(0);
    const csrf = { 'x-requested-with': 'breach-drill' };
    expect(await postFromPage(`${stack.apiUrl}/v1/campaigns/${campaignId}/endex`, csrf)).toBe(403);
    expect(await postFromPage(`${stack.apiUrl}/v1/campaigns/${campaignId}/trigger`, csrf)).toBe(403);
    await shot('06-campaign-auditor');
    // Queues board: admins only.
    expect((await page.goto(`${stack.apiUrl}/admin/queues`))!.status()).toBe(403);
  });

  it('inboxes link to the carrier-sim: the handset shows the SMS', async () => {
    await page.goto(`${stack.apiUrl}/#/inbox`);
    await page.getByTestId('handset-lookup').waitFor();
    await shot('07-inbox');
    const smsPerson = people.find((p) => p.channels.includes('sms') && p.msisdn)!;
    await page.getByLabel('Phone number (E.164)').fill(smsPerson.msisdn!);
    await page.getByTestId('handset-lookup').getByRole('button', { name: 'Open' }).click();
    await page.waitForURL(`${stack.simUrl}/handset/**`);
    await page
      .getByText(/EXERCISE EXERCISE EXERCISE/)
      .first()
      .waitFor();
    await shot('08-handset');
  });

  it('admin sees the queues board; the pages fit a phone-width screen', async () => {
    await page.goto(`${stack.apiUrl}/`);
    await signOut();
    await signIn(TEST_KEYS.admin);
    const res = await page.goto(`${stack.apiUrl}/admin/queues`);
    expect(res!.status()).toBe(200);
    await page.waitForLoadState('networkidle');
    await shot('09-queues-admin');

    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, hash] of [
      ['10-phone-incident', `#/incidents/${incidentId}`],
      ['11-phone-campaign', `#/campaigns/${campaignId}`],
      ['12-phone-audit', '#/audit'],
    ] as const) {
      await page.goto(`${stack.apiUrl}/${hash}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.waitForTimeout(300);
      // Nothing wider than the screen: the page does not scroll sideways.
      const overflow = Number(
        await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'),
      );
      expect(overflow, name).toBeLessThanOrEqual(0);
      expect(await page.getByTestId('exercise-marker').isVisible()).toBe(true);
      await shot(name);
    }
    expect(foreignRequests).toEqual([]);
  });
});
