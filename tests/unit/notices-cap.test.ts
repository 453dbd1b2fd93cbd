import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import {
  CAP_NAMESPACE,
  capIdentifier,
  capReference,
  formatCapDateTime,
  lintCap,
  placeholderContext,
  renderCap,
  type CapInput,
} from '../../shared/notices';
import { fastCheckSeed, noticeContextArb } from './notices/test-kit';

const XSD = readFileSync(new URL('../data/CAP-v1.2.xsd', import.meta.url), 'utf8');
const MARKER = 'EXERCISE EXERCISE EXERCISE';

async function validateCap(xml: string) {
  return validateXML({
    xml: [{ fileName: 'alert.xml', contents: xml }],
    schema: [{ fileName: 'CAP-v1.2.xsd', contents: XSD }],
  });
}

const ctx = placeholderContext('agency-advisory', 'en');
const alert: CapInput = {
  incident: ctx.incident,
  campaignId: 17,
  kind: 'agency-advisory',
  sender: 'liaison@federal-cyber-liaison.test',
  sent: new Date('2024-12-20T15:04:05.678Z'),
  utcOffset: '-05:00',
  msgType: 'Alert',
  marker: MARKER,
  locale: 'en',
};
const update: CapInput = {
  ...alert,
  msgType: 'Update',
  sent: new Date('2024-12-21T09:00:00Z'),
  references: capReference(alert),
};
const cancel: CapInput = {
  ...alert,
  kind: 'correction',
  msgType: 'Cancel',
  sent: new Date('2024-12-22T09:00:00Z'),
  utcOffset: '+05:30',
  references: `${capReference(alert)} ${capReference(update)}`,
  locale: 'es',
};

describe('renderCap (CAP 1.2, DOMAIN.md §2)', () => {
  it('the validator is live: it rejects a sent time in Z and a status outside the enumeration', async () => {
    const xml = renderCap(alert);
    expect(
      (await validateCap(xml.replace(/<sent>[^<]*<\/sent>/, '<sent>2024-12-20T15:04:05Z</sent>'))).valid,
    ).toBe(false);
    expect(
      (await validateCap(xml.replace('<status>Exercise</status>', '<status>Drill</status>'))).valid,
    ).toBe(false);
  });

  it.each([
    ['Alert', alert],
    ['Update', update],
    ['Cancel (Spanish, +05:30)', cancel],
  ] as const)('%s validates against the official CAP 1.2 schema and passes lintCap', async (_name, input) => {
    const xml = renderCap(input);
    const result = await validateCap(xml);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
    expect(lintCap(xml, MARKER)).toEqual([]);
  });

  it('is an exercise: status, marker-first headline and note with the exercise id, numeric offset, Security', () => {
    const xml = renderCap(alert);
    expect(xml).toContain(`<alert xmlns="${CAP_NAMESPACE}">`);
    expect(xml).toContain('<status>Exercise</status>');
    expect(xml).toMatch(new RegExp(`<note>${MARKER} [^<]*EX-2024-SALTMARSH`));
    expect(xml).toMatch(new RegExp(`<headline>${MARKER} `));
    expect(xml).toContain('<sent>2024-12-20T10:04:05-05:00</sent>');
    expect(xml).not.toMatch(/<sent>[^<]*Z<\/sent>/);
    expect(xml).toContain('<category>Security</category>');
    expect(xml).not.toContain('<references>');
    const id = /<identifier>([^<]*)<\/identifier>/.exec(xml)?.[1] ?? '';
    expect(id).toBe(capIdentifier(alert));
    expect(id).not.toMatch(/[\s,<&]/);
  });

  it('Update and Cancel carry references to what they replace', () => {
    expect(renderCap(update)).toContain(`<references>${capReference(alert)}</references>`);
    expect(renderCap(cancel)).toContain(
      `<references>${capReference(alert)} ${capReference(update)}</references>`,
    );
    expect(capReference(alert)).toBe(
      `liaison@federal-cyber-liaison.test,${capIdentifier(alert)},2024-12-20T10:04:05-05:00`,
    );
    expect(renderCap(cancel)).toContain('<msgType>Cancel</msgType>');
    expect(renderCap(cancel)).toContain('<language>es-US</language>');
  });

  it('refuses input that cannot make a valid exercise alert', () => {
    expect(() => renderCap({ ...alert, msgType: 'Cancel', references: undefined })).toThrow(/references/);
    expect(() => renderCap({ ...alert, msgType: 'Update', references: '  ' })).toThrow(/references/);
    expect(() => renderCap({ ...alert, msgType: 'Update', references: 'only-one-part' })).toThrow(/triples/);
    expect(() => renderCap({ ...alert, sender: 'federal liaison' })).toThrow(/sender/);
    expect(() => renderCap({ ...alert, sender: 'a,b' })).toThrow(/sender/);
    expect(() => renderCap({ ...alert, utcOffset: 'Z' })).toThrow(/never Z/);
    expect(() => renderCap({ ...alert, utcOffset: '+15:00' })).toThrow(/utcOffset/);
    expect(() => renderCap({ ...alert, sent: new Date('nope') })).toThrow(/valid date/);
  });

  it('formats sent in the given offset across a date line', () => {
    expect(formatCapDateTime(new Date('2024-01-01T02:00:00Z'), '-05:00')).toBe('2023-12-31T21:00:00-05:00');
    expect(formatCapDateTime(new Date('2024-01-01T02:00:00Z'), '+00:00')).toBe('2024-01-01T02:00:00+00:00');
    expect(formatCapDateTime(new Date('2024-02-28T23:30:00Z'), '+05:45')).toBe('2024-02-29T05:15:00+05:45');
  });

  it('escapes hostile incident text and is byte-stable', async () => {
    const hostile: CapInput = {
      ...alert,
      incident: {
        ...alert.incident,
        title: `</description><status>Actual</status> & <![CDATA[ x ]]> "q" 'a' \u0001 \uD800`,
        threatActor: '<script>alert(1)</script>',
        exerciseId: 'EX 1,<&>',
      },
    };
    const xml = renderCap(hostile);
    expect(xml).toBe(renderCap(hostile));
    expect(xml.match(/<status>/g)).toHaveLength(1);
    expect(xml).toContain('&lt;/description&gt;&lt;status&gt;Actual&lt;/status&gt; &amp;');
    expect(/<identifier>([^<]*)<\/identifier>/.exec(xml)?.[1]).not.toMatch(/[\s,<&]/);
    const result = await validateCap(xml);
    expect(result.errors).toEqual([]);
    expect(lintCap(xml, MARKER)).toEqual([]);
  });

  it('lintCap flags what the schema cannot: Actual status, a missing marker, Z times, unsafe text', () => {
    const xml = renderCap(alert);
    expect(
      lintCap(xml.replace('<status>Exercise</status>', '<status>Actual</status>'), MARKER).map((p) => p.rule),
    ).toContain('cap-status');
    expect(lintCap(xml.replace(`<note>${MARKER} `, '<note>'), MARKER).map((p) => p.rule)).toContain('marker');
    expect(lintCap(xml.replace('-05:00</sent>', 'Z</sent>'), MARKER).map((p) => p.rule)).toContain(
      'cap-time',
    );
    expect(lintCap(xml.replace('<event>', '<event>FBI '), MARKER).map((p) => p.rule)).toContain(
      'real-agency',
    );
    expect(
      lintCap(renderCap(update).replace(/<references>[^<]*<\/references>/, ''), MARKER).map((p) => p.rule),
    ).toContain('cap-references');
  });

  it('random incidents render lint-clean CAP (property), and a sample of them validates against the schema', async () => {
    const seed = fastCheckSeed('renderCap');
    const arb = fc
      .tuple(
        noticeContextArb(),
        fc.constantFrom('Alert', 'Update', 'Cancel' as const),
        fc.constantFrom('-05:00', '+00:00', '+14:00', '-12:00', '+05:45'),
      )
      .map(([c, msgType, utcOffset]): CapInput & { marker: string } => ({
        incident: c.incident,
        campaignId: c.campaignId,
        kind: c.kind,
        sender: `notices@${c.carrier.emailDomain}`,
        sent: c.noticeDate,
        utcOffset,
        msgType,
        marker: c.marker,
        locale: c.locale,
        references: msgType === 'Alert' ? undefined : capReference(alertOf(c)),
      }));
    fc.assert(
      fc.property(arb, (input) => {
        const xml = renderCap(input);
        expect(lintCap(xml, input.marker)).toEqual([]);
        expect(renderCap(input)).toBe(xml);
      }),
      { seed, numRuns: 300 },
    );
    // One xmllint run over many documents: instantiating the wasm module per document is the slow part.
    const xml = fc
      .sample(arb, { seed, numRuns: 80 })
      .map((input, i) => ({ fileName: `alert-${i}.xml`, contents: renderCap(input) }));
    const result = await validateXML({ xml, schema: [{ fileName: 'CAP-v1.2.xsd', contents: XSD }] });
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });
});

function alertOf(
  c: ReturnType<typeof placeholderContext>,
): Omit<CapInput, 'references' | 'marker' | 'locale'> {
  return {
    incident: c.incident,
    campaignId: c.campaignId,
    kind: c.kind,
    sender: `notices@${c.carrier.emailDomain}`,
    sent: c.incident.determinedAt,
    utcOffset: '-05:00',
    msgType: 'Alert',
  };
}
