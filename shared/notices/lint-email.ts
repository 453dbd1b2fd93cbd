import type { NoticeKind } from '../domain';
import { TRAINING_LINE, type LintProblem } from '../safety';
import { markerProblem } from './exercise-marker';
import { htmlBodyText, htmlElementTexts } from './html-text';
import {
  dedupe,
  lintAddresses,
  lintAdvisoryIds,
  lintContentAt,
  lintPart,
  lintTlp,
  tlpTokens,
} from './lint-rules';
import type { RenderedEmail } from './notice-types';
import { CUSTOMER_TLP } from './notice-vars';
import { CARRIER_NOTICE_HEADINGS, CARRIER_NOTICE_TITLE } from './templates/carrier-notice';

/** Smallest HTML text size a carrier notice may use (DOMAIN.md §2), in points. */
const MIN_FONT_PT = 10;
/** What 1em, 1rem and 100% resolve to when checking sizes: the body size of our layout, in points. */
const BASE_FONT_PT = 12;

/**
 * The send-path check for one email (DOMAIN.md §2, §4). Empty means safe to send. Kind-specific rules
 * (TLP for advisories, the carrier notice layout) key on the `X-Notice-Kind` header `renderEmail` sets.
 */
export function lintEmail(email: RenderedEmail, marker: string): LintProblem[] {
  const bad = markerProblem(marker);
  if (bad) return [bad];
  const bodyText = htmlBodyText(email.html);
  const headerText = Object.entries(email.headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  const problems: LintProblem[] = [
    ...lintPart('subject', email.subject, marker, { endsWithMarker: false, needsTrainingLine: false }),
    ...lintPart('text body', email.text, marker, { endsWithMarker: true, needsTrainingLine: true }),
    ...lintPart('html body', bodyText, marker, { endsWithMarker: true, needsTrainingLine: true }),
    ...htmlElementTexts(email.html, 'title').flatMap((t) =>
      lintPart('html title', t, marker, { endsWithMarker: false, needsTrainingLine: false }),
    ),
    ...lintContentAt('html source', email.html),
    ...lintContentAt('headers', headerText),
    ...lintTlp([email.subject, email.text, bodyText, headerText]),
    ...lintAdvisoryIds([email.subject, email.text, email.html].join('\n')),
    ...lintAddresses([email.subject, email.text, email.html, headerText].join('\n')),
    ...lintHeaders(email.headers, marker),
    ...lintFontSizes(email.html),
  ];
  const kind = email.headers['X-Notice-Kind'] as NoticeKind | undefined;
  if (kind === 'agency-advisory') problems.push(...lintAdvisoryTlp(email, bodyText));
  if (kind === 'carrier-notice') problems.push(...lintCarrierNoticeLayout(email));
  return dedupe(problems);
}

function lintHeaders(headers: Record<string, string>, marker: string): LintProblem[] {
  const problems: LintProblem[] = [];
  if (headers['X-Exercise'] !== marker) {
    problems.push({ rule: 'exercise-header', message: `header X-Exercise must be "${marker}"` });
  }
  for (const name of ['X-Exercise-Id', 'X-Campaign-Id']) {
    if (!headers[name]?.trim())
      problems.push({ rule: 'exercise-header', message: `header ${name} is missing` });
  }
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(value) || /[\s:]/.test(name)) {
      problems.push({
        rule: 'header-injection',
        message: `header ${name.trim()} contains a line break or bad name`,
      });
    }
  }
  return problems;
}

/**
 * DOMAIN.md §2: one TLP label, in the subject and before the body; customer-facing advisories use
 * TLP:CLEAR. "Before the body" means before the training line that opens every body.
 */
function lintAdvisoryTlp(email: RenderedEmail, bodyText: string): LintProblem[] {
  const problems: LintProblem[] = [];
  const labels = new Set(tlpTokens([email.subject, email.text, bodyText].join('\n')));
  if (labels.size !== 1 || !labels.has(CUSTOMER_TLP)) {
    problems.push({
      rule: 'tlp-customer',
      message: `a customer-facing advisory carries exactly one label, ${CUSTOMER_TLP}`,
    });
  }
  if (!email.subject.includes(CUSTOMER_TLP)) {
    problems.push({ rule: 'tlp-placement', message: `subject lacks ${CUSTOMER_TLP}` });
  }
  for (const [where, text] of [
    ['text body', email.text],
    ['html body', bodyText],
  ] as const) {
    const label = text.indexOf(CUSTOMER_TLP);
    const training = text.indexOf(TRAINING_LINE);
    if (label === -1 || (training !== -1 && label > training)) {
      problems.push({
        rule: 'tlp-placement',
        message: `${where}: ${CUSTOMER_TLP} must come before the body`,
      });
    }
  }
  return problems;
}

/** DOMAIN.md §2: title exactly "Notice of Data Breach" and the five headings, in order, in both bodies. */
function lintCarrierNoticeLayout(email: RenderedEmail): LintProblem[] {
  const problems: LintProblem[] = [];
  const lines = email.text.split('\n').map((l) => l.trim());
  const titleAt = lines.indexOf(CARRIER_NOTICE_TITLE);
  if (titleAt === -1) {
    problems.push({ rule: 'notice-title', message: `text body: no title line "${CARRIER_NOTICE_TITLE}"` });
  }
  if (!inOrder(lines, CARRIER_NOTICE_HEADINGS, Math.max(titleAt, 0))) {
    problems.push({
      rule: 'notice-headings',
      message: `text body: headings must be, in order, ${CARRIER_NOTICE_HEADINGS.join(' / ')}`,
    });
  }
  const h1 = htmlElementTexts(email.html, 'h1');
  if (h1.length !== 1 || h1[0] !== CARRIER_NOTICE_TITLE) {
    problems.push({
      rule: 'notice-title',
      message: `html body: one <h1> reading exactly "${CARRIER_NOTICE_TITLE}"`,
    });
  }
  if (!inOrder(htmlElementTexts(email.html, 'h2'), CARRIER_NOTICE_HEADINGS, 0)) {
    problems.push({
      rule: 'notice-headings',
      message: `html body: <h2> headings must be, in order, ${CARRIER_NOTICE_HEADINGS.join(' / ')}`,
    });
  }
  return problems;
}

/** Whether `wanted` occur in `items` as exact entries, in this order, each once, from `from` on. */
function inOrder(items: readonly string[], wanted: readonly string[], from: number): boolean {
  let pos = from;
  for (const w of wanted) {
    if (items.filter((i) => i === w).length !== 1) return false;
    const at = items.indexOf(w, pos);
    if (at === -1) return false;
    pos = at + 1;
  }
  return true;
}

const SMALL_KEYWORDS = new Set(['xx-small', 'x-small', 'small', 'smaller']);
const OK_KEYWORDS = new Set([
  'medium',
  'large',
  'x-large',
  'xx-large',
  'xxx-large',
  'larger',
  'inherit',
  'initial',
]);

/** Every declared font size is at least 10pt (DOMAIN.md §2); sizes that cannot be checked are refused. */
export function lintFontSizes(html: string): LintProblem[] {
  const problems: LintProblem[] = [];
  for (const m of html.matchAll(/font-size\s*:\s*([^;"'}]+)/gi)) {
    const value = (m[1] ?? '')
      .trim()
      .toLowerCase()
      .replace(/\s*!important$/, '');
    const pt = fontSizePt(value);
    if (pt === null) {
      if (!OK_KEYWORDS.has(value)) {
        problems.push({
          rule: 'font-size',
          message: `font-size "${value}" is too small or cannot be checked`,
        });
      }
    } else if (pt < MIN_FONT_PT) {
      problems.push({ rule: 'font-size', message: `font-size ${value} is below ${MIN_FONT_PT}pt` });
    }
  }
  if (/<(small|font)\b/i.test(html)) {
    problems.push({ rule: 'font-size', message: '<small> or <font> shrinks text below the checked sizes' });
  }
  return problems;
}

function fontSizePt(value: string): number | null {
  if (SMALL_KEYWORDS.has(value)) return 0;
  const m = /^(\d+(?:\.\d+)?|\.\d+)(pt|px|em|rem|%)$/.exec(value);
  if (!m) return null;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'pt':
      return n;
    case 'px':
      return n * 0.75;
    case '%':
      return (n / 100) * BASE_FONT_PT;
    default:
      return n * BASE_FONT_PT;
  }
}
