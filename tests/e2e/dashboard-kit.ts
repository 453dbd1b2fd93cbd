import { expect } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

/**
 * What the dashboard's browser tests share: Debian's chromium launched for a closed network, sign-in,
 * downloads, screenshots, and the page audit behind the "craft" rules (marker on every page,
 * nothing wider than the screen, labelled controls, WCAG AA text contrast).
 */

export const CHROMIUM = '/usr/bin/chromium'; // Debian's package; .ci/run installs it when missing
export const HAS_CHROMIUM = existsSync(CHROMIUM);
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
/** Every wait is on a condition; on a loaded 2-core CI machine a condition may take this long. */
export const WAIT_MS = 90_000;
/** Starting or stopping a stack and a browser: measured at 40-50 s on a 2-core machine at load 10. */
export const HOOK_MS = 120_000;
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Requests (any page of the context) to a host other than 127.0.0.1: must stay empty. */
  foreignRequests: string[];
  artifacts: string;
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openBrowser(
  artifactsDir: string,
  opts: { ignoreHTTPSErrors?: boolean } = {},
): Promise<BrowserSession> {
  const artifacts = path.resolve('tests/artifacts', artifactsDir);
  await rm(artifacts, { recursive: true, force: true }); // this run's screenshots and downloads only
  await mkdir(artifacts, { recursive: true });
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'bd-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: LAUNCH_ARGS,
    viewport: DESKTOP,
    acceptDownloads: true,
    ignoreHTTPSErrors: opts.ignoreHTTPSErrors ?? false,
  });
  context.setDefaultTimeout(WAIT_MS);
  const foreignRequests: string[] = [];
  context.on('request', (req) => {
    const u = new URL(req.url());
    if (/^(https?|wss?):$/.test(u.protocol) && u.hostname !== '127.0.0.1') foreignRequests.push(req.url());
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(WAIT_MS);
  return {
    context,
    page,
    foreignRequests,
    artifacts,
    shot: async (name) => {
      // From the top: a full-page shot of a scrolled page draws the sticky marker mid-page.
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
    },
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function signIn(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/#/signin`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
}

/** A call from the page, as a script on this origin could make it; resolves to the HTTP status. */
export async function fetchFromPage(
  page: Page,
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<number> {
  return page.evaluate(
    async ([m, u, hdrs, b]) =>
      (
        await fetch(u, {
          method: m,
          headers: hdrs,
          credentials: 'same-origin',
          body: b === undefined ? undefined : JSON.stringify(b),
        })
      ).status,
    [method, url, headers, body] as const,
  );
}

/** Clicks a download link, saves the file under the artifacts, and returns its name and text. */
export async function download(
  session: BrowserSession,
  link: Locator,
): Promise<{ filename: string; text: string }> {
  const [dl] = await Promise.all([session.page.waitForEvent('download'), link.click()]);
  const filename = dl.suggestedFilename();
  const saved = path.join(session.artifacts, filename);
  await dl.saveAs(saved);
  return { filename, text: await readFile(saved, 'utf8') };
}

/** A page's marker and layout problems, from inside the page (string: the tests have no DOM types). */
const PAGE_AUDIT = `(() => {
  const parse = (c) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  });
  const lum = (c) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const backgroundOf = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 1) break;
      }
    }
    return layers.reverse().reduce((under, top) => over(top, under), { r: 255, g: 255, b: 255, a: 1 });
  };
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const lowContrast = [];
  for (const el of document.querySelectorAll('body *')) {
    if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'OPTION', 'CANVAS', 'IFRAME'].includes(el.tagName)) continue;
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.data).join('').trim();
    if (!text || !visible(el)) continue;
    const s = getComputedStyle(el);
    const bg = backgroundOf(el);
    const fg = over(parse(s.color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) lowContrast.push(el.tagName + '.' + el.className + ' "' + text.slice(0, 40) + '" ' + ratio.toFixed(2));
  }
  const unlabelled = [];
  for (const el of document.querySelectorAll('input, select, textarea, button, iframe, a[href]')) {
    if (el.type === 'hidden' || !visible(el)) continue;
    const name =
      (el.labels && [...el.labels].map((l) => l.textContent).join(' ').trim()) ||
      el.getAttribute('aria-label') ||
      el.getAttribute('aria-labelledby') ||
      el.getAttribute('title') ||
      (['BUTTON', 'A'].includes(el.tagName) ? el.textContent.trim() : '');
    if (!name) unlabelled.push(el.outerHTML.slice(0, 120));
  }
  const marker = document.querySelector('[data-testid="exercise-marker"]');
  const r = marker ? marker.getBoundingClientRect() : null;
  return {
    overflowPx: document.documentElement.scrollWidth - window.innerWidth,
    markerVisible: Boolean(marker && r.height > 0 && r.top >= 0 && r.top < window.innerHeight &&
      marker.textContent.includes('EXERCISE EXERCISE EXERCISE') && visible(marker)),
    lowContrast,
    unlabelled,
  };
})()`;

interface PageAudit {
  overflowPx: number;
  markerVisible: boolean;
  lowContrast: string[];
  unlabelled: string[];
}

/**
 * The craft rules on the page as it is now: the exercise marker in view, no sideways scroll,
 * every form control and button named, every text at WCAG AA contrast (4.5:1, 3:1 when large).
 */
export async function expectCraft(page: Page, label: string): Promise<void> {
  const audit = (await page.evaluate(PAGE_AUDIT)) as PageAudit;
  expect(audit.markerVisible, `${label}: exercise marker in view`).toBe(true);
  expect(audit.overflowPx, `${label}: no sideways scroll`).toBeLessThanOrEqual(0);
  expect(audit.unlabelled, `${label}: unlabelled controls`).toEqual([]);
  expect(audit.lowContrast, `${label}: low-contrast text`).toEqual([]);
}

/**
 * Waits for the page (the dashboard renders a page at once, after its fetches: the h1 comes with it;
 * `ready` names something that comes later), then audits it and takes its screenshot.
 */
export async function auditAndShoot(session: BrowserSession, name: string, ready?: Locator): Promise<void> {
  await session.page.getByRole('heading', { level: 1 }).waitFor();
  await ready?.waitFor();
  await expectCraft(session.page, name);
  await session.shot(name);
}
