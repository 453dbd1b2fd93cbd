import { describe, expect, it } from 'vitest';
import {
  findTemplate,
  lintEmail,
  lintFontSizes,
  lintSms,
  lintTemplate,
  placeholderContext,
  renderEmail,
  renderSms,
  smsSegments,
  type EmailTemplate,
  type RenderedEmail,
  type RenderedSms,
  type SmsTemplate,
} from '../../shared/notices';

const MARKER = 'EXERCISE EXERCISE EXERCISE';
const rules = (problems: { rule: string }[]) => problems.map((p) => p.rule);

const carrierEmail = findTemplate('carrier-notice', 'en', 'email');
const carrierSms = findTemplate('carrier-notice', 'en', 'sms');
const withParagraph = (t: EmailTemplate, p: string): EmailTemplate => ({
  ...t,
  sections: t.sections.map((s, i) => (i === 0 ? { ...s, blocks: [...s.blocks, p] } : s)),
});
const withBody = (t: SmsTemplate, body: string): SmsTemplate => ({ ...t, body });

describe('lintTemplate refuses unsafe templates (DOMAIN.md §4.3)', () => {
  it.each([
    ['"FBI" not preceded by SIMULATED', 'We reported it to the FBI.', 'real-agency'],
    ['"CISA" not preceded by SIMULATED', 'CISA is helping us.', 'real-agency'],
    ['"SIMULATED" on a previous word does not count', 'The SIMULATED team and the FBI agree.', 'real-agency'],
    ['a .gov link', 'See https://www.example.gov/advisory for details.', 'gov-link'],
    ['a .mil link', 'See https://cyber.example.mil/x.', 'gov-link'],
    ['a link to an unreserved host', 'See https://carrier-support.com/breach.', 'unreserved-link'],
    ['"THIS IS NOT A DRILL"', 'THIS IS NOT A DRILL.', 'forbidden-phrase'],
    ['"this is not a drill" in any case', 'This is not a drill.', 'forbidden-phrase'],
    ['"not an exercise"', 'This is not an exercise.', 'forbidden-phrase'],
    ['"real world"', 'A real world event.', 'forbidden-phrase'],
    ['a real carrier name', 'Your Verizon account was affected.', 'real-carrier'],
    ['another real carrier name', 'Customers of T-Mobile too.', 'real-carrier'],
    ['an agency seal image', '<img src="https://x.test/seal.png">', 'agency-seal'],
    ['an unknown placeholder', 'Hello {{ssn}}.', 'template-render'],
    ['a TLP label that does not exist', 'TLP:WHITE applies.', 'tlp-label'],
    ['an advisory id for a day that does not exist', 'See SIM-AA23-366A.', 'advisory-id'],
    ['an email address on a real domain', 'Write to help@gmail.com.', 'unreserved-address'],
  ])('email template with %s', (_name, paragraph, rule) => {
    expect(rules(lintTemplate(withParagraph(carrierEmail, paragraph)))).toContain(rule);
  });

  it.each([
    ['"FBI" not preceded by SIMULATED', 'FBI alert for {{carrierName}}', 'real-agency'],
    ['a .gov link', 'See https://alerts.example.gov', 'gov-link'],
    ['"THIS IS NOT A DRILL"', 'THIS IS NOT A DRILL {{carrierName}}', 'forbidden-phrase'],
    ['a real carrier name', 'AT&T customers: call us', 'real-carrier'],
    ['a body too long for two segments', 'x'.repeat(200), 'sms-segments'],
  ])('SMS template with %s', (_name, body, rule) => {
    expect(rules(lintTemplate(withBody(carrierSms, body)))).toContain(rule);
  });

  it('a subject line is linted too', () => {
    expect(rules(lintTemplate({ ...carrierEmail, subject: 'FBI notice' }))).toContain('real-agency');
  });
});

describe('lintEmail refuses tampered or malformed emails', () => {
  const good = renderEmail(placeholderContext('carrier-notice', 'en'));
  const advisory = renderEmail(placeholderContext('agency-advisory', 'en'));
  const tamper = (e: RenderedEmail, patch: Partial<RenderedEmail>) => lintEmail({ ...e, ...patch }, MARKER);

  it('accepts the untouched rendering', () => {
    expect(lintEmail(good, MARKER)).toEqual([]);
    expect(lintEmail(advisory, MARKER)).toEqual([]);
  });

  it('needs the marker at the start of the subject, both bodies and the html title, and at the end of both bodies', () => {
    expect(rules(tamper(good, { subject: good.subject.slice(MARKER.length + 1) }))).toContain('marker');
    expect(rules(tamper(good, { text: good.text.replace(`${MARKER}\n`, '') }))).toContain('marker');
    expect(rules(tamper(good, { text: `${good.text.trimEnd()}\nBye.` }))).toContain('marker-end');
    expect(
      rules(tamper(good, { html: good.html.replace(/<body([^>]*)>/, '<body$1><p>Hello</p>') })),
    ).toContain('marker');
    expect(rules(tamper(good, { html: good.html.replace('</body>', '<p>Bye</p></body>') }))).toContain(
      'marker-end',
    );
    expect(
      rules(tamper(good, { html: good.html.replace('<title>EXERCISE EXERCISE EXERCISE ', '<title>') })),
    ).toContain('marker');
  });

  it('needs the training line in each body', () => {
    const html = good.html.replaceAll('This is a simulated training message.', 'Hello.');
    expect(tamper(good, { html })).toContainEqual(
      expect.objectContaining({ rule: 'training-line', message: expect.stringMatching(/^html body/) }),
    );
  });

  it('needs the exercise headers, matching the marker', () => {
    expect(rules(tamper(good, { headers: { ...good.headers, 'X-Exercise': 'something else' } }))).toContain(
      'exercise-header',
    );
    const { 'X-Campaign-Id': _dropped, ...rest } = good.headers;
    expect(rules(tamper(good, { headers: rest }))).toContain('exercise-header');
    expect(
      rules(tamper(good, { headers: { ...good.headers, 'X-Evil': 'a\r\nBcc: x@example.com' } })),
    ).toContain('header-injection');
  });

  it('refuses a notice whose exercise id is blank once control characters are removed', () => {
    const ctx = placeholderContext('carrier-notice', 'en');
    const email = renderEmail({ ...ctx, incident: { ...ctx.incident, exerciseId: '\u0000\n' } });
    expect(rules(lintEmail(email, MARKER))).toContain('exercise-header');
  });

  it('sees through HTML entities', () => {
    const html = good.html.replace('</h1>', '</h1><p>the F&#66;I says</p>');
    expect(rules(tamper(good, { html }))).toContain('real-agency');
  });

  it('refuses text smaller than 10pt', () => {
    expect(rules(tamper(good, { html: good.html.replace('font-size:12pt', 'font-size:9pt') }))).toContain(
      'font-size',
    );
    expect(rules(lintFontSizes('<p style="font-size:12px">x</p>'))).toEqual(['font-size']); // 9pt
    expect(
      lintFontSizes('<p style="font-size:14px;font-size:1em;font-size:100%;font-size:medium">x</p>'),
    ).toEqual([]);
    expect(rules(lintFontSizes('<p style="font-size:x-small">x</p>'))).toEqual(['font-size']);
    expect(rules(lintFontSizes('<small>x</small>'))).toEqual(['font-size']);
  });

  it('keeps the carrier notice title and headings in order', () => {
    const swapped = good.text
      .replace('What Happened', 'TMP')
      .replace('What You Can Do', 'What Happened')
      .replace('TMP', 'What You Can Do');
    expect(rules(tamper(good, { text: swapped }))).toContain('notice-headings');
    const retitled = good.html.replace('>Notice of Data Breach</h1>', '>Important Notice</h1>');
    expect(rules(tamper(good, { html: retitled }))).toContain('notice-title');
    const missing = good.html.replace(/<h2[^>]*>What We Are Doing<\/h2>/, '');
    expect(rules(tamper(good, { html: missing }))).toContain('notice-headings');
  });

  it('holds a customer-facing advisory to exactly one label, TLP:CLEAR, in the subject and before the body', () => {
    const amber = (s: string) => s.replaceAll('TLP:CLEAR', 'TLP:AMBER');
    expect(
      rules(
        tamper(advisory, {
          subject: amber(advisory.subject),
          text: amber(advisory.text),
          html: amber(advisory.html),
        }),
      ),
    ).toContain('tlp-customer');
    expect(
      rules(tamper(advisory, { text: advisory.text.replace('TLP:CLEAR\n', 'TLP:CLEAR\nTLP:RED\n') })),
    ).toContain('tlp-multiple');
    expect(rules(tamper(advisory, { subject: advisory.subject.replace('TLP:CLEAR ', '') }))).toContain(
      'tlp-placement',
    );
    const moved = advisory.text.replace('TLP:CLEAR\n', '').replace('Summary\n', 'Summary\nTLP:CLEAR\n');
    expect(rules(tamper(advisory, { text: moved }))).toContain('tlp-placement');
    expect(rules(tamper(advisory, { text: advisory.text.replace('TLP:CLEAR', 'TLP: clear') }))).toContain(
      'tlp-label',
    );
  });

  it('refuses an empty or multi-line marker outright', () => {
    expect(rules(lintEmail(good, ''))).toEqual(['marker-value']);
    expect(rules(lintEmail(good, 'A\nB'))).toEqual(['marker-value']);
  });
});

describe('lintSms', () => {
  const good = renderSms(placeholderContext('agency-advisory', 'es'));
  const sms = (text: string): RenderedSms => ({ text, segments: smsSegments(text) });

  it('accepts the untouched rendering', () => {
    expect(lintSms(good, MARKER)).toEqual([]);
  });

  it('needs the marker first, the training line, and the footer last', () => {
    expect(rules(lintSms(sms(good.text.slice(MARKER.length + 1)), MARKER))).toContain('marker');
    expect(
      rules(lintSms(sms(good.text.replace('This is a simulated training message.', '')), MARKER)),
    ).toContain('training-line');
    expect(
      rules(lintSms(sms(good.text.replace('Reply STOP to opt out, HELP for help', '')), MARKER)),
    ).toContain('sms-footer');
  });

  it('refuses more than two segments, recounting rather than trusting the attached count', () => {
    const long = good.text.replace('\nReply STOP', ` ${'x'.repeat(60)}\nReply STOP`);
    expect(rules(lintSms({ text: long, segments: good.segments }, MARKER))).toContain('sms-segments');
    const ucs2 = good.text.replace('Aviso', 'Aviso \u201Csimulado\u201D'); // curly quotes: UCS-2, 67 per part
    expect(smsSegments(ucs2).encoding).toBe('UCS-2');
    expect(rules(lintSms(sms(ucs2), MARKER))).toContain('sms-segments');
  });

  it('refuses the forbidden content', () => {
    for (const [insert, rule] of [
      ['FBI', 'real-agency'],
      ['https://x.gov', 'gov-link'],
      ['THIS IS NOT A DRILL', 'forbidden-phrase'],
      ['Sprint', 'real-carrier'],
    ] as const) {
      expect(rules(lintSms(sms(good.text.replace('Aviso', `Aviso ${insert}`)), MARKER))).toContain(rule);
    }
  });
});
