import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptPlainRow,
  rejectedRef,
  validateSubscriber,
  type Validation,
} from '../../services/api/steps/subscribers/validate-subscriber';
import { ROW_ERROR_CODES, type RowErrorCode } from '../../shared/api/subscribers.schema';
import { CARRIER_IDS } from '../../shared/carriers';
import { ACCOUNT_TYPES, CHANNELS, DATA_CATEGORIES, LOCALES } from '../../shared/domain';
import { US_REGIONS } from '../../shared/population/us-regions';
import { maskMsisdn } from '../../shared/audit/audit-event';

// Property tests print their seed; replay a failure with FC_SEED=<seed>.
const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`subscribers-validate: fast-check seed ${seed} (replay with FC_SEED=${seed})`);
fc.configureGlobal({ seed, numRuns: 300 });

const digit = fc.integer({ min: 0, max: 9 }).map(String);
const reservedMsisdn = fc
  .tuple(fc.integer({ min: 2, max: 9 }), digit, digit, digit, digit)
  .map(([a, b, c, x, y]) => `+1${a}${b}${c}55501${x}${y}`);
const reservedDomain = fc.oneof(
  fc.constantFrom('example.com', 'example.net', 'example.org'),
  fc
    .tuple(
      fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/),
      fc.constantFrom('.test', '.example', '.invalid'),
    )
    .map(([label, tld]) => `${label}${tld}`),
);
const email = fc
  .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._]{0,30}$/), reservedDomain)
  .map(([local, domain]) => `${local}@${domain}`);
const cleanText = fc.stringMatching(/^[A-Za-z][A-Za-z .']{0,40}$/);

const validSubscriber = fc.record({
  carrier: fc.constantFrom(...CARRIER_IDS),
  msisdn: reservedMsisdn,
  email,
  displayName: cleanText,
  locale: fc.constantFrom(...LOCALES),
  region: fc.constantFrom(...US_REGIONS),
  accountType: fc.constantFrom(...ACCOUNT_TYPES),
  dataCategories: fc.subarray([...DATA_CATEGORIES]),
  channels: fc.subarray([...CHANNELS], { minLength: 1 }),
  optedOutAt: fc.option(
    fc
      .date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2030-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString()),
    { nil: null },
  ),
  externalRef: fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{0,30}$/),
});

function codesOf(v: Validation, field?: string): RowErrorCode[] {
  if (v.ok) return [];
  return v.problems.filter((p) => field === undefined || p.field === field).map((p) => p.code);
}

// Digits that look like ASCII ones: fullwidth, Arabic-Indic, Persian, Devanagari, Bengali,
// mathematical bold and monospace, superscripts.
const LOOKALIKE_DIGITS = [
  '０１２３４５６７８９',
  '٠١٢٣٤٥٦٧٨٩',
  '۰۱۲۳۴۵۶۷۸۹',
  '०१२३४५६७८९',
  '০১২৩৪৫৬৭৮৯',
  '𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗',
  '𝟶𝟷𝟸𝟹𝟺𝟻𝟼𝟽𝟾𝟿',
  '⁰¹²³⁴⁵⁶⁷⁸⁹',
].map((s) => [...s]);

describe('validateSubscriber → properties', () => {
  it('a valid registration → accepted, every field kept exactly as given', () => {
    fc.assert(
      fc.property(validSubscriber, (s) => {
        const v = validateSubscriber(s);
        expect(v.ok).toBe(true);
        if (v.ok) {
          expect(v.value.msisdn).toBe(s.msisdn);
          expect(v.value.email).toBe(s.email);
          expect(v.value.displayName).toBe(s.displayName);
          expect(v.value.optedOutAt).toBe(s.optedOutAt);
          expect(new Set(v.value.dataCategories)).toEqual(new Set(s.dataCategories));
        }
      }),
    );
  });

  it('any value at all → never throws; refusals use only the closed code list', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.dictionary(fc.string(), fc.anything())), (raw) => {
        const v = validateSubscriber(raw);
        if (!v.ok) {
          expect(v.problems.length).toBeGreaterThan(0);
          expect(v.problems.length).toBeLessThanOrEqual(5);
          for (const p of v.problems) expect(ROW_ERROR_CODES).toContain(p.code);
        }
      }),
    );
  });

  it('a msisdn outside +1NPA55501XX → refused (NOT_E164 or NOT_RESERVED_NUMBER), never corrected', () => {
    const other = fc
      .string({ minLength: 1, maxLength: 32 })
      .filter((s) => !/^\+1[2-9]\d\d55501\d\d$/.test(s));
    fc.assert(
      fc.property(validSubscriber, other, (s, msisdn) => {
        const codes = codesOf(validateSubscriber({ ...s, msisdn }), 'msisdn');
        expect(codes.length).toBe(1);
        expect(['NOT_E164', 'NOT_RESERVED_NUMBER', 'BAD_ENCODING']).toContain(codes[0]);
      }),
    );
  });

  it('a reserved number in national, spaced, dotted or 00 form → NOT_E164', () => {
    const variants = [
      (n: string) => n.slice(1),
      (n: string) => `(${n.slice(2, 5)}) ${n.slice(5, 8)}-${n.slice(8)}`,
      (n: string) => `+1 ${n.slice(2, 5)} ${n.slice(5, 8)} ${n.slice(8)}`,
      (n: string) => `+1-${n.slice(2, 5)}-${n.slice(5, 8)}-${n.slice(8)}`,
      (n: string) => `${n.slice(0, 5)}.${n.slice(5, 8)}.${n.slice(8)}`,
      (n: string) => `00${n.slice(1)}`,
      (n: string) => ` ${n}`,
      (n: string) => `${n}\u200b`,
    ];
    fc.assert(
      fc.property(validSubscriber, fc.constantFrom(...variants), (s, variant) => {
        expect(codesOf(validateSubscriber({ ...s, msisdn: variant(s.msisdn) }), 'msisdn')).toEqual([
          'NOT_E164',
        ]);
      }),
    );
  });

  it('a Unicode lookalike digit anywhere in the number → NOT_E164', () => {
    fc.assert(
      fc.property(
        validSubscriber,
        fc.integer({ min: 1, max: 11 }),
        fc.constantFrom(...LOOKALIKE_DIGITS),
        (s, pos, set) => {
          const d = Number(s.msisdn[pos]);
          const msisdn = `${s.msisdn.slice(0, pos)}${set[d]}${s.msisdn.slice(pos + 1)}`;
          expect(codesOf(validateSubscriber({ ...s, msisdn }), 'msisdn')).toEqual(['NOT_E164']);
        },
      ),
    );
  });

  it('an email outside the reserved domains → NOT_RESERVED_DOMAIN', () => {
    const realDomain = fc
      .tuple(
        fc.stringMatching(/^[a-z][a-z0-9]{1,15}$/),
        fc.constantFrom('.com', '.net', '.org', '.gov', '.io', '.us'),
      )
      .map(([l, tld]) => `${l}${tld}`)
      .filter((d) => !['example.com', 'example.net', 'example.org'].includes(d));
    fc.assert(
      fc.property(validSubscriber, realDomain, (s, domain) => {
        const v = validateSubscriber({ ...s, email: `pat@${domain}` });
        expect(codesOf(v, 'email')).toEqual(['NOT_RESERVED_DOMAIN']);
      }),
    );
  });

  it('free text starting like a spreadsheet formula → FORMULA_LIKE_VALUE, not escaped', () => {
    fc.assert(
      fc.property(
        validSubscriber,
        fc.constantFrom('=', '+', '-', '@'),
        cleanText,
        fc.constantFrom('displayName', 'externalRef'),
        (s, lead, rest, field) => {
          const v = validateSubscriber({ ...s, [field]: `${lead}${rest}`.slice(0, 100) });
          expect(codesOf(v, field)).toEqual(['FORMULA_LIKE_VALUE']);
        },
      ),
    );
  });

  it('a control, line-break or bidi-override character in free text → CONTROL_CHARACTER', () => {
    const control = fc.oneof(
      fc.integer({ min: 0, max: 0x1f }),
      fc.integer({ min: 0x7f, max: 0x9f }),
      fc.constantFrom(0x202e, 0x2066, 0x2069),
    );
    fc.assert(
      fc.property(validSubscriber, control, fc.nat(), (s, code, at) => {
        const name = s.displayName;
        const i = at % (name.length + 1);
        const displayName = `${name.slice(0, i)}${String.fromCharCode(code)}${name.slice(i)}`;
        if (/^[=+\-@]/.test(displayName)) return;
        expect(codesOf(validateSubscriber({ ...s, displayName }), 'displayName')).toEqual([
          'CONTROL_CHARACTER',
        ]);
      }),
    );
  });

  it('U+FFFD (what a decoder makes of bytes that are not UTF-8) → BAD_ENCODING', () => {
    fc.assert(
      fc.property(validSubscriber, fc.constantFrom('displayName', 'externalRef', 'email'), (s, field) => {
        const v = validateSubscriber({ ...s, [field]: `Pat\uFFFDDoe` });
        expect(codesOf(v, field)).toEqual(['BAD_ENCODING']);
      }),
    );
  });

  it('a data category or channel outside the vocabulary → UNKNOWN_DATA_CATEGORY / UNKNOWN_CHANNEL', () => {
    const unknown = fc.string({ minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(validSubscriber, unknown, (s, c) => {
        fc.pre(
          !(DATA_CATEGORIES as readonly string[]).includes(c) && !(CHANNELS as readonly string[]).includes(c),
        );
        expect(
          codesOf(validateSubscriber({ ...s, dataCategories: [...s.dataCategories, c] }), 'dataCategories'),
        ).toEqual(['UNKNOWN_DATA_CATEGORY']);
        expect(codesOf(validateSubscriber({ ...s, channels: [c] }), 'channels')).toEqual(['UNKNOWN_CHANNEL']);
      }),
    );
  });

  it('a carrier outside the registry (lookalike letters included) → UNKNOWN_CARRIER', () => {
    const lookalike = fc.constantFrom(...CARRIER_IDS).map((id) => id.replace('o', 'о')); // Cyrillic o
    fc.assert(
      fc.property(
        validSubscriber,
        fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), lookalike),
        (s, carrier) => {
          fc.pre(!(CARRIER_IDS as readonly string[]).includes(carrier));
          expect(codesOf(validateSubscriber({ ...s, carrier }), 'carrier')).toEqual(['UNKNOWN_CARRIER']);
        },
      ),
    );
  });

  it('the fast path (no zod) → accepts only what the schema accepts, with the same value', () => {
    const tricky = fc.oneof(
      fc.constantFrom(
        undefined,
        null,
        '',
        0,
        true,
        [],
        {},
        ' ',
        '=1+1',
        'x'.repeat(300),
        'Pat\u202eDoe',
        'Pat\uFFFD',
      ),
      fc.string({ maxLength: 20 }),
      fc.constantFrom(
        'es',
        'EN',
        'business',
        'TX',
        'tx',
        'sms',
        'call_records',
        '2024-10-01T12:00:00Z',
        '2024-13-01',
      ),
      fc.array(fc.constantFrom('sms', 'email', 'audio', 'location', 'dna', 'SMS'), { maxLength: 5 }),
    );
    const perturbed = fc
      .tuple(
        validSubscriber,
        fc.dictionary(
          fc.constantFrom(
            ...Object.keys({
              carrier: 1,
              msisdn: 1,
              email: 1,
              displayName: 1,
              locale: 1,
              region: 1,
              accountType: 1,
              dataCategories: 1,
              channels: 1,
              optedOutAt: 1,
              externalRef: 1,
              extra: 1,
            }),
          ),
          tricky,
        ),
      )
      .map(([s, changes]) => {
        const out: Record<string, unknown> = { ...s, optedOutAt: null };
        for (const [k, v] of Object.entries(changes)) {
          if (v === undefined) delete out[k];
          else out[k] = v;
        }
        return out;
      });
    fc.assert(
      fc.property(perturbed, (raw) => {
        const fast = acceptPlainRow(raw);
        const full = validateSubscriber(raw, { fast: false });
        if (fast !== null) {
          expect(full.ok).toBe(true);
          expect(full.ok && full.value).toEqual(fast);
        }
        expect(validateSubscriber(raw)).toEqual(full);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejectedRef → 24 hex digits, stable, never containing the input', () => {
    fc.assert(
      fc.property(validSubscriber, (s) => {
        const ref = rejectedRef(s);
        expect(ref).toMatch(/^[0-9a-f]{24}$/);
        expect(rejectedRef({ ...s })).toBe(ref);
        expect(ref).not.toContain(s.msisdn.slice(1));
      }),
    );
  });
});

describe('validateSubscriber → examples', () => {
  const base = { carrier: 'northwind-mobile', msisdn: '+12025550142' };

  it('missing carrier and msisdn → MISSING_FIELD for each', () => {
    const v = validateSubscriber({});
    expect(v.ok).toBe(false);
    if (!v.ok)
      expect(v.problems.map((p) => [p.field, p.code])).toEqual([
        ['carrier', 'MISSING_FIELD'],
        ['msisdn', 'MISSING_FIELD'],
      ]);
  });

  it('msisdn as a number → INVALID_TYPE, not coerced', () => {
    expect(codesOf(validateSubscriber({ ...base, msisdn: 12025550142 }), 'msisdn')).toEqual(['INVALID_TYPE']);
  });

  it('a display name longer than 200 → TOO_LONG; a row that is not an object → MALFORMED_ROW', () => {
    expect(codesOf(validateSubscriber({ ...base, displayName: 'x'.repeat(201) }))).toEqual(['TOO_LONG']);
    expect(codesOf(validateSubscriber([base]))).toEqual(['MALFORMED_ROW']);
    expect(codesOf(validateSubscriber('northwind-mobile,+12025550142'))).toEqual(['MALFORMED_ROW']);
  });

  it('a region that is not a USPS code, a bad date → INVALID_VALUE; null optional fields → absent', () => {
    expect(codesOf(validateSubscriber({ ...base, region: 'California' }))).toEqual(['INVALID_VALUE']);
    expect(codesOf(validateSubscriber({ ...base, optedOutAt: 'yesterday' }))).toEqual(['INVALID_VALUE']);
    const v = validateSubscriber({ ...base, email: null, displayName: null, region: null });
    expect(v.ok && v.value.email).toBeNull();
  });

  it('several problems in one row → all reported, each with its field', () => {
    const v = validateSubscriber({ carrier: 'acme', msisdn: '+12025551234', email: 'a@gmail.com' });
    expect(codesOf(v)).toEqual(['UNKNOWN_CARRIER', 'NOT_RESERVED_NUMBER', 'NOT_RESERVED_DOMAIN']);
  });
});

describe('maskMsisdn (what callers without the PII scope see)', () => {
  it('keeps only the country code and the last two digits: reserved numbers that differ elsewhere mask alike', () => {
    fc.assert(
      fc.property(reservedMsisdn, reservedMsisdn, (a, b) => {
        const ma = maskMsisdn(a);
        expect(ma).toMatch(/^\+1\*{8}\d\d$/);
        expect(ma.endsWith(a.slice(-2))).toBe(true);
        // Not the area code: in NPA-555-01XX it and the last two digits would identify the number.
        expect(ma === maskMsisdn(b)).toBe(a.slice(-2) === b.slice(-2));
      }),
    );
  });
});
