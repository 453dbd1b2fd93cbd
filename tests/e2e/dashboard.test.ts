import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessStack, type InProcessStack } from '../helpers/stack-harness';
import { TEST_KEYS } from '../helpers/api-harness';
import { seedSubscribers } from '../helpers/campaign-kit';
import type { SubscriberInput } from '../../shared/api/subscribers.schema';
import {
  HAS_CHROMIUM,
  PHONE,
  DESKTOP,
  auditAndShoot,
  download,
  expectCraft,
  fetchFromPage,
  openBrowser,
  signIn,
  signOut,
  HOOK_MS,
  type BrowserSession,
} from './dashboard-kit';

// The browser walk-through: sign in → incident and campaign → preview → second-key approval
// → trigger → live progress to 100 % → pause, resume, ENDEX, correction → audit log (filters, pages,
// masking, exports, chain) → auditor's read-only view → inboxes → queues board → phone width.
// The incident page's regulatory timeline, holds and determinations: dashboard-incident.test.ts.

const NORTHWIND = 'northwind-mobile';
const BLUECREST = 'bluecrest-wireless';
const CSRF = { 'x-requested-with': 'breach-drill' };

let stack: InProcessStack;
let people: SubscriberInput[];
let b: BrowserSession;
let page: BrowserSession['page'];

async function putFaults(body: object): Promise<void> {
  const res = await fetch(`${stack.simUrl}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.ok).toBe(true);
}

/** The campaign id in the page's URL (#/campaigns/:id). */
function campaignIdInUrl(): number {
  return Number(/#\/campaigns\/(\d+)/.exec(page.url())![1]);
}

/** Rows of the audit table once it shows a query containing `part` (the page renders after its fetch). */
async function auditRows(part: string): Promise<string[]> {
  const table = page.locator(`[data-testid="audit-table"][data-query*="${part}"]`);
  await table.waitFor();
  return table.locator('tbody tr').allTextContents();
}

/** The seq column of the audit table once it shows a query containing `part`. */
async function auditSeqs(part: string): Promise<number[]> {
  const table = page.locator(`[data-testid="audit-table"][data-query*="${part}"]`);
  await table.waitFor();
  return (await table.locator('tbody tr td:first-child').allTextContents()).map(Number);
}

/** The campaign's live progress has ended in this state at 100 %, pushed over SSE. */
async function progressEnds(state: 'completed' | 'cancelled'): Promise<void> {
  await page.locator(`[data-testid="progress-total"][data-state="${state}"]`, { hasText: '100 %' }).waitFor();
}

beforeAll(async () => {
  stack = await startInProcessStack('dashboard', {
    // Transient SMS failures retry for about two minutes (8 attempts from 1 s), so a campaign under a
    // gateway outage stays running while the browser pauses, resumes and ends it.
    RETRY_BASE_DELAY_MS: '1000',
  });
  people = await seedSubscribers(stack.testDb.db, { count: 16, seed: 11, carriers: [NORTHWIND, BLUECREST] });
  b = await openBrowser('dashboard');
  page = b.page;
}, HOOK_MS);

afterAll(async () => {
  await b?.close();
  await stack?.close();
}, HOOK_MS);

describe.skipIf(!HAS_CHROMIUM)('dashboard in a real browser', () => {
  let incidentId = 0;
  let campaignId = 0;

  it('sign in → incident → campaign → preview → second-key approval → trigger → 100 % live over SSE', async () => {
    // An unknown key is refused, and no session cookie is set.
    await page.goto(`${stack.apiUrl}/`);
    await page.getByLabel('API key').fill('bd_not_a_real_key_000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect((await b.context.cookies()).some((c) => c.name === 'bd_session')).toBe(false);
    await auditAndShoot(b, '01-sign-in');

    await signIn(page, stack.apiUrl, TEST_KEYS.operator);
    const cookie = (await b.context.cookies()).find((c) => c.name === 'bd_session');
    // Plain HTTP here, so not Secure (the TLS case: dashboard-incident.test.ts).
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false });
    expect(cookie!.value).not.toContain(TEST_KEYS.operator);
    // Cookie sessions need the CSRF header to change anything.
    expect(await fetchFromPage(page, 'POST', `${stack.apiUrl}/v1/incidents`, {})).toBe(403);

    // Incident from the form, for two carriers.
    await page.getByRole('heading', { name: 'Incidents', exact: true }).waitFor();
    await auditAndShoot(b, '02-incidents');
    await page.getByLabel('Exercise id').fill('EX-DASH-1');
    await page.getByLabel('Bluecrest Wireless').check();
    await page.getByRole('button', { name: 'Create incident' }).click();
    await page.getByRole('heading', { name: /^Incident #\d+/ }).waitFor();
    incidentId = Number(/#\/incidents\/(\d+)/.exec(page.url())![1]);
    await page.getByTestId('send-le-report').click();
    await page.getByText(/Sent \d{4}-/).waitFor();
    await page.locator('[data-deadline="le-report"][data-status="met"]').waitFor();
    await auditAndShoot(b, '03-incident');

    // Campaign from the form: both channels, both of the incident's carriers, subscriber's own locale.
    await page.getByLabel('Kind').selectOption('carrier-notice');
    await page.getByRole('button', { name: 'Create campaign (draft)' }).click();
    await page.getByRole('heading', { name: /^Campaign #\d+/ }).waitFor();
    campaignId = campaignIdInUrl();

    // Preview: email in a sandboxed frame, SMS as a phone shows it with its segment count, CAP.
    await page.getByTestId('preview').click();
    await page.getByTestId('sms-preview').first().waitFor();
    expect(await page.getByTestId('sms-preview').first().textContent()).toMatch(
      /^EXERCISE EXERCISE EXERCISE/,
    );
    expect(await page.getByTestId('sms-segments').first().textContent()).toMatch(/^[12] segments?, /);
    expect(await page.getByTestId('email-preview').first().getAttribute('sandbox')).toBe('');
    expect(await page.getByTestId('cap-preview').textContent()).toContain('<status>Exercise</status>');
    await auditAndShoot(b, '04-campaign-preview');

    // The creator cannot approve (two-person rule); a second operator can.
    await page.getByTestId('approve').click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/second|distinct|creator|own/i);
    await signOut(page);
    await signIn(page, stack.apiUrl, TEST_KEYS.operator2);
    await page.goto(`${stack.apiUrl}/#/campaigns/${campaignId}`);
    await page.getByTestId('approve').click();
    await page.locator('dd .badge.approved').waitFor();

    // Some emails fail for good (SMTP 550), so the audit log has failures to show.
    await putFaults({ all: { email: { errorRates: { '550': 0.5 } } } });

    // Progress arrives over SSE and reaches 100 % in this same document: no reload, no navigation.
    await page.evaluate('window.__sameDocument = true');
    await page.getByTestId('trigger').click();
    await progressEnds('completed');
    expect(await page.evaluate('window.__sameDocument === true')).toBe(true);

    // Bars per state; throughput chart drawn from the pushed counts; both carriers finished.
    await page.getByRole('progressbar', { name: 'delivered' }).waitFor();
    const throughput = (await page.evaluate(
      `(() => { const c = window.Chart && window.Chart.getChart(document.querySelector('canvas'));
                return c ? c.data.datasets[0].data : null; })()`,
    )) as number[] | null;
    expect(throughput?.length).toBeGreaterThan(0);
    expect(Math.max(...throughput!)).toBeGreaterThan(0);
    for (const name of ['Northwind Mobile', 'Bluecrest Wireless']) {
      await page
        .getByTestId('carrier-table')
        .locator('tr', { hasText: name })
        .filter({ hasText: '100 %' })
        .waitFor();
    }
    await auditAndShoot(b, '05-campaign-progress');
  });

  it('pause, resume and ENDEX a running campaign from its page, then send the correction', async () => {
    const northwind = people.filter((p) => p.carrier === NORTHWIND);
    const emailed = northwind.filter((p) => p.channels.includes('email') && p.email);
    expect(emailed.length).toBeGreaterThan(0); // the seed gives this campaign someone to correct
    expect(northwind.some((p) => p.channels.includes('sms'))).toBe(true);
    // Email flows; Northwind's SMS gateway is down, so the campaign keeps running on retries.
    await putFaults({ carriers: { [NORTHWIND]: { sms: { outage: { forMs: 600_000, status: 503 } } } } });

    await page.goto(`${stack.apiUrl}/#/incidents/${incidentId}`);
    await page.getByLabel('Kind').selectOption('agency-advisory');
    const form = page.getByTestId('campaign-form');
    await form.getByLabel('Bluecrest Wireless').uncheck();
    // Every account type ticked: the same people, but the filter travels from form to campaign.
    for (const t of ['consumer', 'business', 'government']) await form.getByLabel(t, { exact: true }).check();
    // A throttle well above this small campaign's pace: it travels to the campaign without slowing it.
    await form.getByTestId('campaign-throttle').fill('5000');
    await page.getByRole('button', { name: 'Create campaign (draft)' }).click();
    await page.getByRole('heading', { name: /^Campaign #\d+/ }).waitFor();
    const id = campaignIdInUrl();
    expect(id).not.toBe(campaignId);
    await page.locator('dl.facts').getByText('5,000 notifications/s').waitFor();
    const created = await fetch(`${stack.apiUrl}/v1/campaigns/${id}`, {
      headers: { authorization: `Bearer ${TEST_KEYS.operator}` },
    }).then((r) => r.json() as Promise<{ throttle: number | null; startAt: string | null }>);
    expect(created.throttle).toBe(5000);
    expect(created.startAt).toBeNull();
    await page
      .locator('dl.facts')
      .getByText(/"accountTypes":\["consumer","business","government"\]/)
      .waitFor();
    // Approval in the browser is covered above; here the first operator approves over the API.
    const approved = await fetch(`${stack.apiUrl}/v1/campaigns/${id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEYS.operator}` },
    });
    expect(approved.status).toBe(200);
    await page.reload();
    await page.getByTestId('trigger').click();
    await page.locator('dd .badge.running').waitFor();
    await page.getByRole('progressbar', { name: 'delivered' }).waitFor(); // the emails went out

    await page.getByTestId('pause').click();
    await page.locator('dd .badge.paused').waitFor();
    expect(await page.getByTestId('resume').isEnabled()).toBe(true);
    await page.getByTestId('resume').click();
    await page.locator('dd .badge.running').waitFor();

    // ENDEX asks first; then everything still queued ends cancelled, pushed over SSE.
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('endex').click();
    await progressEnds('cancelled');
    await page.getByRole('progressbar', { name: 'cancelled' }).waitFor();
    await auditAndShoot(b, '06-campaign-endex');

    // The correction goes to everyone who received the original (here: the emails).
    await putFaults({});
    await page.getByTestId('correction').click();
    await page.waitForURL((u) => /#\/campaigns\/\d+$/.test(u.hash) && !u.hash.endsWith(`/${id}`));
    // The URL changes before the new page renders: wait for the correction's own heading and facts.
    const correctionId = campaignIdInUrl();
    await page.getByRole('heading', { name: new RegExp(`^Campaign #${correctionId}\\b`) }).waitFor();
    await expect
      .poll(() => page.locator('dl.facts').first().textContent(), { timeout: 30_000 })
      .toContain(`Corrects#${id}`);
    await progressEnds('completed');
    await auditAndShoot(b, '07-correction-progress');

    await page.goto(`${stack.simUrl}/mailbox/${encodeURIComponent(emailed[0]!.email!)}`);
    await page
      .getByText(/Correction/)
      .first()
      .waitFor();
    await b.shot('08-mailbox-correction');
  });

  it('audit log: chain status with the last checkpoint, filters, pages, masked contacts, three exports', async () => {
    await page.goto(`${stack.apiUrl}/#/audit`);
    const verify = page.getByTestId('verify');
    await verify.getByText(/Chain intact/).waitFor();

    // Failures only, masked by default: no clear contact of any seeded subscriber on the page.
    await page.getByTestId('failures-only').click();
    const failures = await auditRows('type=notification.failed');
    expect(failures.length).toBeGreaterThan(0);
    for (const t of failures) expect(t).toContain('notification.failed');
    const body = (await page.locator('main').textContent()) ?? '';
    for (const p of people) {
      if (p.email) expect(body).not.toContain(p.email);
      if (p.msisdn) expect(body).not.toContain(p.msisdn);
    }
    await page.getByText('Phone numbers and emails are masked.').waitFor();
    await auditAndShoot(b, '09-audit-failures');

    // Exports with the same filter: CSV and NDJSON hold only failures; the bundle is verifiable.
    const csv = await download(b, page.getByTestId('export-csv'));
    expect(csv.filename).toMatch(/^audit-.*\.csv$/);
    const csvLines = csv.text.trim().split('\n');
    expect(csvLines[0]).toMatch(/^seq,/);
    expect(csvLines.filter((l) => l.includes('notification.failed'))).toHaveLength(failures.length);
    expect(csvLines.some((l) => /notification\.(delivered|sent)/.test(l))).toBe(false);
    const ndjson = await download(b, page.getByTestId('export-ndjson'));
    expect(ndjson.filename).toMatch(/^audit-.*\.ndjson$/);
    const events = ndjson.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(events.length).toBe(failures.length);
    expect(events.every((e) => e.type === 'notification.failed')).toBe(true);
    const bundle = await download(b, page.getByTestId('export-bundle'));
    expect(bundle.filename).toMatch(/^audit-bundle-.*\.ndjson$/);
    const lines = bundle.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; headSeq?: number });
    const kinds = lines.map((l) => l.kind);
    expect(kinds[0]).toBe('header');
    expect(kinds.at(-1)).toBe('end');
    expect(kinds).toContain('row');
    expect(kinds).toContain('checkpoint');

    // A bundle signs a checkpoint at its end: the chain status names it, verified from it.
    await page.goto(`${stack.apiUrl}/#/incidents`);
    await page.goto(`${stack.apiUrl}/#/audit`);
    // (The page may still show the status of its first load for a moment: wait for the new one.)
    const last = verify.getByText(/Last signed checkpoint: seq \d+ at \d{4}-.*\(Ed25519 key /);
    const signedSeq = async () => {
      const text = await last.textContent({ timeout: 5_000 }).catch(() => null);
      return text ? Number(/seq (\d+)/.exec(text)![1]) : 0;
    };
    await expect.poll(signedSeq, { timeout: 30_000 }).toBeGreaterThanOrEqual(lines.at(-1)!.headSeq!);
    await verify
      .getByText(/Chain intact from seq \d+ to \d+ \(\d+ rows, [1-9]\d*\/\d+ checkpoints trusted/)
      .waitFor();

    // Filters from the form: email deliveries only.
    await page.goto(`${stack.apiUrl}/#/audit`);
    await page.getByLabel('Event type').selectOption('notification.delivered');
    await page.getByLabel('Channel').selectOption('email');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const delivered = await auditRows('type=notification.delivered&channel=email');
    expect(delivered.length).toBeGreaterThan(0);
    for (const t of delivered) expect(t).toMatch(/notification\.delivered.*email/);

    // Pagination: ten rows a page; the next page continues after the last seq of this one.
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.locator('[data-testid="audit-table"][data-query="limit=50"]').waitFor();
    await page.getByLabel('Rows per page').selectOption('10');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const first = await auditSeqs('limit=10');
    expect(first.length).toBe(10);
    await page.getByTestId('next-page').click();
    const second = await auditSeqs(`limit=10&after=${Math.max(...first)}`);
    expect(second.length).toBe(10);
    expect(Math.min(...second)).toBeGreaterThan(Math.max(...first));
    await auditAndShoot(b, '10-audit-page-2');
  });

  it('a pii:read key may show contacts in clear, and that read is itself audited', async () => {
    await signOut(page);
    await signIn(page, stack.apiUrl, TEST_KEYS['auditor-pii']);
    await page.goto(`${stack.apiUrl}/#/audit?type=notification.delivered&channel=email`);
    await auditRows('channel=email');
    expect(await page.locator('main').textContent()).not.toMatch(
      /@[a-z0-9.-]+\.(test|example|com|net|org)\b/,
    );
    await page.getByLabel('Show contacts in clear (audited)').check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('Contacts shown in clear; this read is itself audited (pii.read).').waitFor();
    const shown = (await page.locator('[data-testid="audit-table"]').textContent()) ?? '';
    expect(people.some((p) => p.email && shown.includes(p.email))).toBe(true);
    await b.shot('11-audit-revealed');
    await page.goto(`${stack.apiUrl}/#/audit?type=pii.read`);
    expect((await auditRows('type=pii.read')).length).toBeGreaterThan(0);
  });

  it('auditors see no campaign or incident controls and cannot reach those endpoints', async () => {
    await signOut(page);
    await signIn(page, stack.apiUrl, TEST_KEYS.auditor);
    await page.goto(`${stack.apiUrl}/#/campaigns/${campaignId}`);
    await page.getByText('Read-only: your key is an auditor key.').waitFor();
    for (const control of ['trigger', 'endex', 'pause', 'resume', 'approve', 'correction', 'preview']) {
      expect(await page.getByTestId(control).count(), control).toBe(0);
    }
    await auditAndShoot(b, '12-campaign-auditor');
    for (const action of ['trigger', 'endex', 'pause', 'resume', 'approve', 'correction']) {
      const url = `${stack.apiUrl}/v1/campaigns/${campaignId}/${action}`;
      expect(
        await fetchFromPage(page, 'POST', url, { ...CSRF, 'content-type': 'application/json' }, {}),
        action,
      ).toBe(403);
    }
    await page.goto(`${stack.apiUrl}/#/incidents/${incidentId}`);
    await page.getByTestId('deadlines').waitFor();
    expect(await page.getByTestId('campaign-form').count()).toBe(0);
    expect(await page.getByTestId('incident-form').count()).toBe(0);
    // Queues board: admins only.
    expect((await page.goto(`${stack.apiUrl}/admin/queues`))!.status()).toBe(403);
  });

  it('inboxes: lookups and links open the carrier-sim handset and mailbox views', async () => {
    await page.goto(`${stack.apiUrl}/#/inbox`);
    await page.getByTestId('handset-lookup').waitFor();
    await auditAndShoot(b, '13-inbox-auditor');
    const smsPerson = people.find((p) => p.carrier === BLUECREST && p.channels.includes('sms') && p.msisdn)!;
    await page.getByLabel('Phone number (E.164)').fill(smsPerson.msisdn!);
    await page.getByTestId('handset-lookup').getByRole('button', { name: 'Open' }).click();
    await page.waitForURL(`${stack.simUrl}/handset/**`);
    await page
      .getByText(/^EXERCISE EXERCISE EXERCISE/)
      .first()
      .waitFor();
    await b.shot('14-handset');

    const mailPerson = people.find(
      (p) => p.carrier === BLUECREST && p.channels.includes('email') && p.email,
    )!;
    await page.goto(`${stack.apiUrl}/#/inbox`);
    await page.getByLabel('Email address').fill(mailPerson.email!);
    await page.getByTestId('mailbox-lookup').getByRole('button', { name: 'Open' }).click();
    await page.waitForURL(`${stack.simUrl}/mailbox/**`);
    await page
      .getByText(/EXERCISE EXERCISE EXERCISE/)
      .first()
      .waitFor();
    await b.shot('15-mailbox');
  });

  it('admin: queues board, subscriber links to inboxes; every page fits 1280 px and a phone', async () => {
    await page.goto(`${stack.apiUrl}/`);
    await signOut(page);
    await signIn(page, stack.apiUrl, TEST_KEYS.admin);
    const res = await page.goto(`${stack.apiUrl}/admin/queues`);
    expect(res!.status()).toBe(200);
    await page.getByText('EXERCISE · breach-drill queues').first().waitFor();
    await page
      .getByText(/deliver-sms-/)
      .first()
      .waitFor();
    await b.shot('16-queues-admin');

    // A key with pii:read lists subscribers with links; the carrier filter narrows the list.
    await page.goto(`${stack.apiUrl}/#/inbox`);
    await page.getByTestId('inbox-filter').getByLabel('Carrier').selectOption(BLUECREST);
    await page.getByTestId('inbox-filter').getByRole('button', { name: 'Show' }).click();
    const list = page.locator('[data-testid="subscriber-table"][data-query*="carrier=bluecrest-wireless"]');
    await list.waitFor();
    const rows = await list.locator('tbody tr').allTextContents();
    expect(rows.length).toBe(people.filter((p) => p.carrier === BLUECREST).length);
    for (const r of rows) expect(r).toContain('Bluecrest Wireless');
    const smsPerson = people.find((p) => p.carrier === BLUECREST && p.channels.includes('sms') && p.msisdn)!;
    await page.getByRole('link', { name: smsPerson.msisdn!, exact: true }).click();
    await page.waitForURL(`${stack.simUrl}/handset/**`);
    await page
      .getByText(/^EXERCISE EXERCISE EXERCISE/)
      .first()
      .waitFor();

    const pages = [
      ['incidents', '#/incidents'],
      ['incident', `#/incidents/${incidentId}`],
      ['campaign', `#/campaigns/${campaignId}`],
      ['audit', '#/audit'],
      ['inbox', '#/inbox'],
    ] as const;
    for (const [size, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      await page.setViewportSize(viewport);
      for (const [name, hash] of pages) {
        await page.goto(`${stack.apiUrl}/${hash}`);
        await auditAndShoot(b, `20-${size}-${name}`);
      }
    }
    await signOut(page);
    await expectCraft(page, 'phone sign-in');
    await b.shot('20-phone-sign-in');
    expect(b.foreignRequests).toEqual([]);
  });
});
