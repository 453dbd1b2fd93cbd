import { describe, expect, it } from 'vitest';
import { CARRIERS } from '../../shared/carriers';
import { LOCALES, NOTICE_KINDS } from '../../shared/domain';
import {
  CARRIER_NOTICE_HEADINGS,
  DATA_CATEGORY_LABELS,
  NOTICE_CHANNELS,
  NOTICE_TEMPLATES,
  SMS_FOOTER,
  TRAINING_LINE,
  TRAINING_LINE_ES,
  TRAINING_LINE_ES_SMS,
  isGsm7,
  lintEmail,
  lintSms,
  lintTemplate,
  noticeSender,
  placeholderContext,
  placeholderLawEnforcementReport,
  renderEmail,
  renderLawEnforcementReport,
  renderSms,
  type NoticeContext,
  type RenderedEmail,
} from '../../shared/notices';
import { lintContent } from '../../shared/safety';

const MARKER = 'EXERCISE EXERCISE EXERCISE';

function htmlBodyFirstText(html: string): string {
  const body = /<body\b[^>]*>([\s\S]*)<\/body>/.exec(html)?.[1] ?? '';
  return body.replace(/<[^>]*>/g, ' ').trim();
}

function renderAnyEmail(ctx: NoticeContext): RenderedEmail {
  return ctx.kind === 'law-enforcement-report'
    ? renderLawEnforcementReport(placeholderLawEnforcementReport(ctx.carrier), ctx)
    : renderEmail(ctx);
}

const emailCases = NOTICE_KINDS.flatMap((kind) => LOCALES.map((locale) => [kind, locale] as const));
const smsCases = emailCases.filter(([kind]) => NOTICE_CHANNELS[kind].includes('sms'));

describe('notice templates: the catalogue', () => {
  it('has one template per kind × locale × channel the kind is sent on, and nothing else', () => {
    const expected = NOTICE_KINDS.flatMap((kind) =>
      LOCALES.flatMap((locale) => NOTICE_CHANNELS[kind].map((channel) => `${kind}.${locale}.${channel}`)),
    ).sort();
    expect(NOTICE_TEMPLATES.map((t) => t.id).sort()).toEqual(expected);
    for (const t of NOTICE_TEMPLATES) expect(t.id).toBe(`${t.kind}.${t.locale}.${t.channel}`);
  });

  it.each(NOTICE_TEMPLATES.map((t) => [t.id, t] as const))('%s passes the template lint', (_id, template) => {
    expect(lintTemplate(template)).toEqual([]);
  });

  it('default SMS templates are pure GSM-7 for every carrier (no curly quotes, no emoji)', () => {
    for (const [kind, locale] of smsCases) {
      for (const carrier of CARRIERS) {
        const sms = renderSms(placeholderContext(kind, locale, { carrier }));
        expect(isGsm7(sms.text), `${kind}.${locale} ${carrier.id}`).toBe(true);
        expect(sms.segments.encoding).toBe('GSM-7');
      }
    }
  });
});

describe.each(emailCases)('email %s/%s', (kind, locale) => {
  const email = renderAnyEmail(placeholderContext(kind, locale));

  it('passes the send-path lint', () => {
    expect(lintEmail(email, MARKER)).toEqual([]);
  });

  it('starts with the marker in the subject, the text body and the html body, and ends both bodies with it', () => {
    expect(email.subject.startsWith(MARKER)).toBe(true);
    expect(email.text.split('\n')[0]).toBe(MARKER);
    expect(htmlBodyFirstText(email.html).startsWith(MARKER)).toBe(true);
    expect(email.text.trimEnd().endsWith(MARKER)).toBe(true);
    expect(htmlBodyFirstText(email.html).endsWith(MARKER)).toBe(true);
  });

  it('carries the training line (and its Spanish translation in Spanish) and the exercise headers', () => {
    expect(email.text).toContain(TRAINING_LINE);
    expect(email.html).toContain(TRAINING_LINE);
    if (locale === 'es') {
      expect(email.text).toContain(TRAINING_LINE_ES);
      expect(email.html).toContain(TRAINING_LINE_ES);
    }
    expect(email.headers).toMatchObject({
      'X-Exercise': MARKER,
      'X-Exercise-Id': 'EX-2024-SALTMARSH',
      'X-Campaign-Id': '4242',
      'X-Notice-Kind': kind,
    });
  });

  it('uses no font size below 10pt and links only to reserved hosts', () => {
    for (const m of email.html.matchAll(/font-size:(\d+)pt/g))
      expect(Number(m[1])).toBeGreaterThanOrEqual(10);
    for (const m of email.html.matchAll(/https?:\/\/([^/"\s<]+)/g)) expect(m[1]).toMatch(/\.test$/);
    expect(email.html).not.toMatch(/\.(gov|mil)\b/);
  });
});

describe.each(smsCases)('sms %s/%s', (kind, locale) => {
  it.each(CARRIERS.map((c) => [c.id, c] as const))(
    'for %s: lints clean, starts with the marker, fits 2 segments',
    (_id, carrier) => {
      const sms = renderSms(placeholderContext(kind, locale, { carrier }));
      expect(lintSms(sms, MARKER)).toEqual([]);
      expect(sms.text.startsWith(`${MARKER}\n`)).toBe(true);
      expect(sms.text.endsWith(SMS_FOOTER)).toBe(true);
      expect(sms.text).toContain(TRAINING_LINE);
      if (locale === 'es') expect(sms.text).toContain(TRAINING_LINE_ES_SMS);
      expect(sms.segments.segments).toBeLessThanOrEqual(2);
    },
  );
});

describe('carrier notice contents (DOMAIN.md §2)', () => {
  it.each(LOCALES)('%s: title, the five headings in order, and the required facts', (locale) => {
    const carrier = CARRIERS[2]!;
    const ctx = placeholderContext('carrier-notice', locale, { carrier });
    const email = renderEmail(ctx);
    const lines = email.text.split('\n');
    expect(lines).toContain('Notice of Data Breach');
    let pos = lines.indexOf('Notice of Data Breach');
    for (const heading of CARRIER_NOTICE_HEADINGS) {
      const at = lines.indexOf(heading);
      expect(at, heading).toBeGreaterThan(pos);
      pos = at;
    }
    expect([...email.html.matchAll(/<h2[^>]*>([^<]*)<\/h2>/g)].map((m) => m[1])).toEqual([
      ...CARRIER_NOTICE_HEADINGS,
    ]);
    expect(/<h1[^>]*>([^<]*)<\/h1>/.exec(email.html)?.[1]).toBe('Notice of Data Breach');

    const dates =
      locale === 'en'
        ? ['March 1, 2024', 'November 30, 2024', 'December 20, 2024']
        : ['1 de marzo de 2024', '30 de noviembre de 2024', '20 de diciembre de 2024'];
    for (const d of dates) expect(email.text).toContain(d);
    for (const label of Object.values(DATA_CATEGORY_LABELS[locale])) expect(email.text).toContain(label);
    for (const contact of [
      carrier.name,
      carrier.supportUrl,
      '+1 (202) 555-0100',
      carrier.postalAddress,
      `privacy@${carrier.emailDomain}`,
    ]) {
      expect(email.text).toContain(contact);
    }
    expect(email.text).toMatch(locale === 'en' ? /delayed at the request of/ : /se retrasó a petición/);
    const notDelayed = renderEmail({ ...ctx, incident: { ...ctx.incident, lawEnforcementDelayed: false } });
    expect(notDelayed.text).toMatch(
      locale === 'en' ? /was not delayed by a law enforcement/ : /no fue retrasado/,
    );
    expect(lintEmail(notDelayed, MARKER)).toEqual([]);
  });

  it('prints only the data categories involved, with human labels', () => {
    const ctx = placeholderContext('carrier-notice', 'en');
    const email = renderEmail({ ...ctx, incident: { ...ctx.incident, dataCategories: ['location'] } });
    expect(email.text).toContain('- Approximate location');
    expect(email.text).not.toContain('Call detail records');
    expect(email.text).not.toContain('location\n');
  });
});

describe('agency advisory (DOMAIN.md §2)', () => {
  it.each(LOCALES)('%s: exactly one TLP label, TLP:CLEAR, in the subject and before the body', (locale) => {
    const ctx = placeholderContext('agency-advisory', locale);
    for (const tlp of ['TLP:RED', 'TLP:AMBER', 'TLP:CLEAR'] as const) {
      const email = renderEmail({ ...ctx, incident: { ...ctx.incident, tlp } });
      expect(email.subject).toMatch(/^EXERCISE EXERCISE EXERCISE TLP:CLEAR /);
      const labels = new Set(
        [...`${email.subject}\n${email.text}\n${email.html}`.matchAll(/TLP:[A-Z+]+/g)].map((m) => m[0]),
      );
      expect([...labels]).toEqual(['TLP:CLEAR']);
      expect(email.text.split('\n').slice(0, 2)).toEqual([MARKER, 'TLP:CLEAR']);
      expect(email.text.indexOf('TLP:CLEAR')).toBeLessThan(email.text.indexOf(TRAINING_LINE));
    }
  });

  it('comes from the simulated liaison, never a real agency, and names agencies only as SIMULATED', () => {
    const ctx = placeholderContext('agency-advisory', 'en');
    const sender = noticeSender(ctx);
    expect(sender.name).toMatch(/^SIMULATED /);
    expect(sender.address).toMatch(/\.test$/);
    expect(lintContent(`${sender.name} <${sender.address}>`)).toEqual([]);
    const email = renderEmail(ctx);
    expect(email.text).toContain('SIMULATED FBI');
    expect(email.text).toContain('SIMULATED CISA');
    expect(email.text).not.toMatch(/(?<!SIMULATED )\b(FBI|CISA)\b/);
  });

  it('a correction comes from whoever sent the original', () => {
    const base = placeholderContext('correction', 'en');
    expect(noticeSender({ ...base, correctionOf: 'agency-advisory' }).name).toMatch(
      /^SIMULATED Federal Cyber Liaison/,
    );
    expect(noticeSender(base).name).toBe(`${base.carrier.name} (exercise)`);
    const email = renderEmail({ ...base, correctionOf: 'agency-advisory' });
    expect(email.subject).toContain('from SIMULATED Federal Cyber Liaison Office');
    expect(lintEmail(email, MARKER)).toEqual([]);
  });
});

describe('recipient display names', () => {
  const ctx = placeholderContext('carrier-notice', 'en');
  const greet = (displayName: string | null) => renderEmail({ ...ctx, recipient: { displayName } });

  it('greets by name, HTML-escaped in the html body', () => {
    const email = greet('Ana <b>Díaz</b> & "Co"');
    expect(email.text).toContain('Dear Ana <b>Díaz</b> & "Co",');
    expect(email.html).toContain('Dear Ana &lt;b&gt;Díaz&lt;/b&gt; &amp; &quot;Co&quot;,');
    expect(lintEmail(email, MARKER)).toEqual([]);
  });

  it.each([
    null,
    '',
    'Jane Cox',
    'Lee FBI',
    'see https://evil.com',
    'bob@gmail.com',
    'TLP:RED',
    'x'.repeat(65),
    'evil.com',
  ])('falls back to the generic greeting for %j, so the notice still passes the lint', (name) => {
    const email = greet(name);
    expect(email.text).toContain('Dear customer,');
    expect(lintEmail(email, MARKER)).toEqual([]);
  });

  it('a newline in a name cannot start a line of its own', () => {
    const email = greet('Ana\nWhat Happened');
    expect(email.text).toContain('Dear Ana What Happened,');
    expect(lintEmail(email, MARKER)).toEqual([]);
  });
});

describe('rendering is deterministic', () => {
  it('renders the same bytes twice, and in any process time zone', () => {
    const saved = process.env.TZ;
    try {
      const renderAll = () =>
        emailCases.map(([kind, locale]) => {
          const ctx = placeholderContext(kind, locale);
          return JSON.stringify([
            renderAnyEmail(ctx),
            NOTICE_CHANNELS[kind].includes('sms') ? renderSms(ctx) : null,
          ]);
        });
      process.env.TZ = 'Pacific/Kiritimati';
      const first = renderAll();
      expect(renderAll()).toEqual(first);
      process.env.TZ = 'America/Adak';
      expect(renderAll()).toEqual(first);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('refuses to render the law-enforcement report without its report fields, and by SMS', () => {
    const ctx = placeholderContext('law-enforcement-report', 'en');
    expect(() => renderEmail(ctx)).toThrow(/renderLawEnforcementReport/);
    expect(() => renderSms(ctx)).toThrow(/email only/);
  });

  it('refuses a marker that cannot start a line', () => {
    for (const marker of ['', ' EXERCISE', 'EXERCISE\nEXERCISE']) {
      expect(() => renderEmail(placeholderContext('carrier-notice', 'en', { marker }))).toThrow(/marker/);
      expect(() => renderSms(placeholderContext('carrier-notice', 'en', { marker }))).toThrow(/marker/);
    }
  });
});
