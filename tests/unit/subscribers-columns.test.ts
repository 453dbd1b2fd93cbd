import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SubscriberColumns } from '../../services/api/steps/subscribers/upsert-subscribers';
import type { SubscriberInput } from '../../shared/api/subscribers.schema';

// Property tests print their seed; replay a failure with FC_SEED=<seed>.
const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`subscribers-columns: fast-check seed ${seed} (replay with FC_SEED=${seed})`);
fc.configureGlobal({ seed, numRuns: 60 });

/** A PostgreSQL text[] literal by the book: every element quoted, " and \ escaped; NULL for null. */
function arrayLiteral(values: readonly (string | null | undefined)[]): string {
  const element = (v: string | null | undefined) =>
    v === null || v === undefined ? 'NULL' : `"${v.replace(/["\\]/g, '\\$&')}"`;
  return `{${values.map(element).join(',')}}`;
}

// Mostly plain text (the joined fast path), sometimes what needs escaping or is absent.
const text = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9@.+ -]{1,12}$/) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom('"', '\\', 'a"b', 'c\\"d', '{x,y}', 'NULL', '', 'Zoë 日本') },
);
const nullable = fc.option(text, { nil: null, freq: 4 });
const row: fc.Arbitrary<SubscriberInput> = fc.record({
  carrier: text,
  msisdn: text,
  email: nullable,
  displayName: nullable,
  locale: fc.constant('en'),
  region: nullable,
  accountType: fc.constant('consumer'),
  dataCategories: fc.array(fc.constantFrom('cdr', 'location'), { maxLength: 2 }),
  channels: fc.array(fc.constantFrom('email', 'sms'), { minLength: 1, maxLength: 2 }),
  optedOutAt: nullable,
  externalRef: nullable,
}) as fc.Arbitrary<SubscriberInput>;

describe('SubscriberColumns', () => {
  it('any rows, across its 256-row pieces → the eleven array literals of the whole batch, in order', () => {
    fc.assert(
      fc.property(
        // Lengths around the piece size, where the pieces are joined.
        fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 250, max: 520 })),
        fc.array(row, { minLength: 1, maxLength: 8 }),
        (n, pool) => {
          const rows = Array.from({ length: n }, (_, i) => pool[i % pool.length]!);
          const cols = new SubscriberColumns();
          for (const r of rows) cols.add(r);
          const { rows: count, params } = cols.literals();
          expect(count).toBe(n);
          expect(params).toEqual([
            arrayLiteral(rows.map((r) => r.carrier)),
            arrayLiteral(rows.map((r) => r.msisdn)),
            arrayLiteral(rows.map((r) => r.email)),
            arrayLiteral(rows.map((r) => r.displayName)),
            arrayLiteral(rows.map((r) => r.locale)),
            arrayLiteral(rows.map((r) => r.region)),
            arrayLiteral(rows.map((r) => r.accountType)),
            arrayLiteral(rows.map((r) => r.dataCategories.join(','))),
            arrayLiteral(rows.map((r) => r.channels.join(','))),
            arrayLiteral(rows.map((r) => r.optedOutAt)),
            arrayLiteral(rows.map((r) => r.externalRef)),
          ]);
        },
      ),
    );
  });
});
