import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  fictionalMsisdn,
  generatePopulation,
  MAX_PER_CARRIER,
  populationCapacity,
  type PopulationOptions,
} from '../../shared/population/generate-population';
import { populationText } from '../../shared/population/write-population';
import { validateSubscriber } from '../../services/api/steps/subscribers/validate-subscriber';
import { readCsv } from '../../services/api/steps/subscribers/read-csv';
import { readNdjson } from '../../services/api/steps/subscribers/read-ndjson';
import { readJsonArray } from '../../services/api/steps/subscribers/read-json-array';
import type { SourceRecord } from '../../services/api/steps/subscribers/source-record';
import { CARRIERS } from '../../shared/carriers';
import { US_REGIONS } from '../../shared/population/us-regions';

const MIX = { duplicates: 0.02, malformedNumbers: 0.02, sharedEmails: 0.03, optedOut: 0.05 };

function digest(opts: PopulationOptions, format: 'ndjson' | 'csv' | 'json' = 'ndjson'): string {
  const h = createHash('sha256');
  for (const chunk of populationText(generatePopulation(opts), format)) h.update(chunk);
  return h.digest('hex');
}

async function read(reader: (c: AsyncIterable<Buffer>) => AsyncIterable<SourceRecord[]>, text: string) {
  async function* one() {
    yield Buffer.from(text);
  }
  const out: SourceRecord[] = [];
  for await (const g of reader(one())) out.push(...g);
  return out;
}

describe('generatePopulation', () => {
  it('same seed and options → the same population, byte for byte, in every file format', () => {
    const opts = { count: 5_000, seed: 42, mix: MIX };
    for (const format of ['ndjson', 'csv', 'json'] as const) {
      expect(digest(opts, format)).toBe(digest({ ...opts }, format));
    }
  });

  it('another seed, other carriers or another mix → another population', () => {
    const base = digest({ count: 2_000, seed: 42 });
    expect(digest({ count: 2_000, seed: 43 })).not.toBe(base);
    expect(digest({ count: 2_000, seed: 42, carriers: ['summitwave'] })).not.toBe(base);
    expect(digest({ count: 2_000, seed: 42, mix: MIX })).not.toBe(base);
  });

  it('two generators interleaved → each still yields its own seed’s population', () => {
    const a = generatePopulation({ count: 300, seed: 1 });
    const b = generatePopulation({ count: 300, seed: 2 });
    const rowsA: unknown[] = [];
    for (let i = 0; i < 300; i++) {
      rowsA.push(a.next().value);
      b.next();
    }
    expect(rowsA).toEqual([...generatePopulation({ count: 300, seed: 1 })]);
  });

  it('no mix → every row valid, no (carrier, msisdn) twice, spread over carriers, regions, locales, types', () => {
    const rows = [...generatePopulation({ count: 20_000, seed: 7 })];
    expect(rows.every((r) => validateSubscriber(r).ok)).toBe(true);
    expect(new Set(rows.map((r) => `${r.carrier}|${r.msisdn}`)).size).toBe(rows.length);
    const share = (pred: (r: (typeof rows)[number]) => boolean) => rows.filter(pred).length / rows.length;
    for (const c of CARRIERS)
      expect(
        share((r) => r.carrier === c.id),
        c.id,
      ).toBeGreaterThan(0.02);
    expect(new Set(rows.map((r) => r.region)).size).toBeGreaterThan(40);
    expect(rows.every((r) => (US_REGIONS as readonly string[]).includes(r.region!))).toBe(true);
    expect(share((r) => r.locale === 'es')).toBeGreaterThan(0.05);
    expect(share((r) => r.accountType === 'business')).toBeGreaterThan(0.05);
    expect(share((r) => r.accountType === 'government')).toBeGreaterThan(0.005);
    expect(rows.every((r) => r.dataCategories.includes('call_records'))).toBe(true);
    expect(share((r) => r.dataCategories.includes('audio'))).toBeLessThan(0.01);
    expect(share((r) => r.optedOutAt !== null)).toBe(0);
  });

  it('a mix → realistic defects at about the asked rates, each refused or kept as validation says', () => {
    const rows = [...generatePopulation({ count: 20_000, seed: 9, mix: MIX })];
    const refused = rows.map((r) => validateSubscriber(r)).filter((v) => !v.ok);
    const codes = new Set(refused.flatMap((v) => (v.ok ? [] : v.problems.map((p) => p.code))));
    expect([...codes].sort()).toEqual(['NOT_E164', 'NOT_RESERVED_NUMBER']);
    expect(refused.length / rows.length).toBeGreaterThan(0.01);
    expect(refused.length / rows.length).toBeLessThan(0.03);
    const keys = rows.map((r) => `${r.carrier}|${r.msisdn}`);
    const repeats = keys.length - new Set(keys).size;
    expect(repeats / rows.length).toBeGreaterThan(0.01);
    const emails = rows.map((r) => r.email);
    expect(emails.length - new Set(emails).size).toBeGreaterThan(200);
    const optedOut = rows.filter((r) => r.optedOutAt !== null).length / rows.length;
    expect(optedOut).toBeGreaterThan(0.03);
    expect(optedOut).toBeLessThan(0.07);
  });

  it('more than the reserved range holds → refused, unless numbers may repeat', () => {
    expect(populationCapacity()).toBe(719_100);
    expect(() =>
      generatePopulation({ count: MAX_PER_CARRIER + 1, seed: 1, carriers: ['cedar-valley'] }).next(),
    ).toThrow(/reserved range holds 79900/);
    const rows = [
      ...generatePopulation({
        count: MAX_PER_CARRIER + 50,
        seed: 1,
        carriers: ['cedar-valley'],
        repeatNumbers: true,
      }),
    ];
    const distinct = new Set(rows.map((r) => r.msisdn));
    expect(distinct.size).toBe(MAX_PER_CARRIER);
  });

  it('fictionalMsisdn → distinct, reserved numbers for every index of a carrier', () => {
    const all = new Set<string>();
    for (let k = 0; k < MAX_PER_CARRIER; k++) all.add(fictionalMsisdn(k));
    expect(all.size).toBe(MAX_PER_CARRIER);
    expect([...all].every((n) => /^\+1[2-9]\d\d55501\d\d$/.test(n))).toBe(true);
    expect(() => fictionalMsisdn(MAX_PER_CARRIER)).toThrow(RangeError);
  });
});

describe('populationText → read back by the bulk readers', () => {
  it('NDJSON, CSV and JSON files of one population → the same rows', async () => {
    const rows = [...generatePopulation({ count: 500, seed: 3, mix: { optedOut: 0.2 } })];
    const text = (format: 'ndjson' | 'csv' | 'json') => [...populationText(rows, format)].join('');
    const fromNdjson = await read(readNdjson, text('ndjson'));
    const fromCsv = await read(readCsv, text('csv'));
    const fromJson = await read(readJsonArray, text('json'));
    const valid = (recs: SourceRecord[]) =>
      recs.map((r) => {
        const v = validateSubscriber(r.value);
        return v.ok ? v.value : null;
      });
    expect(valid(fromNdjson)).toEqual(rows);
    expect(valid(fromCsv)).toEqual(rows);
    expect(valid(fromJson)).toEqual(rows);
    expect(fromCsv.map((r) => r.line)).toEqual(rows.map((_, i) => i + 2));
    expect(fromJson.map((r) => r.line)).toEqual(rows.map((_, i) => i + 2));
  });
});
