import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeEncodedWords,
  parseHeaderBlock,
  stripAngleBrackets,
} from '../../services/carrier-sim/email-headers';
import { faultsInput } from '../../services/carrier-sim/faults.schema';
import { FaultBook } from '../../services/carrier-sim/fault-book';
import { createRandom } from '../../services/carrier-sim/prng';
import { isSmsMessage, smsMessage } from '../../services/carrier-sim/sms-message.schema';
import { TokenBucket } from '../../services/carrier-sim/token-bucket';
import { getCarrier } from '../../shared/carriers';

describe('TokenBucket', () => {
  it('full bucket → admits its burst at once, then refuses with the wait until enough refills', () => {
    const b = new TokenBucket(10, 5, 0);
    expect(b.take(5, 0)).toBe(0);
    expect(b.take(1, 0)).toBe(100); // one token at 10/s
    expect(b.take(3, 50)).toBe(250); // half a token refilled, 2.5 more needed
    expect(b.take(3, 300)).toBe(0);
  });

  it('request larger than the burst on a full bucket → admitted into debt, the next waits it out', () => {
    const b = new TokenBucket(10, 5, 0);
    expect(b.take(8, 0)).toBe(0);
    expect(b.take(1, 0)).toBe(400); // from -3 to +1
  });
});

describe('createRandom', () => {
  it('same seed → same sequence; latency draws have about the asked median and 99th percentile', () => {
    const a = createRandom(9);
    const b = createRandom(9);
    expect(Array.from({ length: 5 }, a.next)).toEqual(Array.from({ length: 5 }, b.next));
    const draws = Array.from({ length: 20_000 }, () => a.latency(40, 160)).sort((x, y) => x - y);
    expect(draws[10_000]).toBeGreaterThan(36);
    expect(draws[10_000]).toBeLessThan(44);
    expect(draws[19_800]).toBeGreaterThan(130);
    expect(draws[19_800]).toBeLessThan(195);
  });
});

describe('SMS message validation', () => {
  const field = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.constant(undefined),
    fc.constant(null),
  );
  it('fast check and zod schema → always the same verdict', () => {
    fc.assert(
      fc.property(
        fc.record({
          to: field,
          from: field,
          text: fc.oneof(field, fc.string({ minLength: 1590, maxLength: 1610 })),
          idempotencyKey: fc.oneof(field, fc.string({ minLength: 195, maxLength: 205 })),
          campaignId: fc.oneof(
            fc.constant(undefined),
            fc.integer(),
            fc.double(),
            fc.string(),
            fc.constant(2 ** 60),
          ),
        }),
        (m) => {
          expect(isSmsMessage(m)).toBe(smsMessage.safeParse(m).success);
        },
      ),
      { numRuns: 2000 },
    );
    for (const v of [null, [], 'x', 42]) expect(isSmsMessage(v)).toBe(smsMessage.safeParse(v).success);
  });
});

describe('FaultBook', () => {
  const northwind = getCarrier('northwind-mobile');

  it('no profile → carrier defaults: its submission limit and latencies, no errors', () => {
    const book = new FaultBook(1, () => 0);
    const p = book.sms(northwind);
    expect(p.submitLimit).toEqual({
      ratePerSec: northwind.submitRatePerSec,
      burst: northwind.submitRatePerSec,
    });
    expect(p.latencyMs).toEqual(northwind.profile.responseLatencyMs);
    expect(p.receipts.latencyMs).toEqual(northwind.profile.receiptLatencyMs);
    expect(p.errorRates).toEqual([]);
  });

  it('"all" plus a carrier entry → carrier fields override "all" field by field', () => {
    const book = new FaultBook(1, () => 0);
    book.put(
      faultsInput.parse({
        all: { sms: { rejectRate: 0.5, errorRates: { '500': 0.1 } } },
        carriers: { 'northwind-mobile': { sms: { errorRates: { '503': 0.2 } } } },
      }),
    );
    const p = book.sms(northwind);
    expect(p.rejectRate).toBe(0.5);
    expect(p.errorRates).toEqual([{ outcome: 503, rate: 0.2 }]);
    expect(book.sms(getCarrier('summitwave')).errorRates).toEqual([{ outcome: 500, rate: 0.1 }]);
  });

  it('rejectRate → a stable subset of numbers, the same on every call', () => {
    const book = new FaultBook(3, () => 0);
    book.put(faultsInput.parse({ all: { sms: { rejectRate: 0.5 } } }));
    const numbers = Array.from({ length: 100 }, (_, i) => `+1202555${String(100 + i).padStart(4, '0')}`);
    const once = numbers.map((n) => book.isBlocked(northwind, n));
    expect(numbers.map((n) => book.isBlocked(northwind, n))).toEqual(once);
    expect(once.filter(Boolean).length).toBeGreaterThan(30);
    expect(once.filter(Boolean).length).toBeLessThan(70);
  });
});

describe('email headers', () => {
  it('folded headers → unfolded, names lower-cased, first value kept', () => {
    const h = parseHeaderBlock(
      'Subject: one\r\n two\r\nX-Campaign-Id: 7\r\nsubject: again\r\nMessage-ID:\r\n <a@b>',
    );
    expect(h.get('subject')).toBe('one two');
    expect(h.get('x-campaign-id')).toBe('7');
    expect(stripAngleBrackets(h.get('message-id') ?? '')).toBe('a@b');
  });

  it('RFC 2047 words → decoded text', () => {
    expect(decodeEncodedWords('=?UTF-8?B?RVhFUkNJU0Ug4oCU?= =?UTF-8?Q?d=C3=A9j=C3=A0_vu?=')).toBe(
      'EXERCISE —déjà vu',
    );
    expect(decodeEncodedWords('plain')).toBe('plain');
  });
});

describe('FaultBook merging', () => {
  it('receipt knobs in "all" and in a carrier entry → both apply to that carrier', () => {
    const book = new FaultBook(1, () => 0);
    book.put(
      faultsInput.parse({
        all: { sms: { receipts: { dropRate: 0.1 } } },
        carriers: { 'northwind-mobile': { sms: { receipts: { duplicateRate: 0.2 } } } },
      }),
    );
    expect(book.sms(getCarrier('northwind-mobile')).receipts).toMatchObject({
      dropRate: 0.1,
      duplicateRate: 0.2,
    });
  });
});
