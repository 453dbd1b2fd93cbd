import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArrivalStore,
  DEFAULT_STORAGE_LIMITS,
  type EmailBody,
} from '../../services/carrier-sim/arrival-store';
import { BodyStore } from '../../services/carrier-sim/body-store';
import { isoTime } from '../../services/carrier-sim/iso-time';
import { decodeKey, encodeKey, KEY_KIND } from '../../services/carrier-sim/key-codec';

const limits = { ...DEFAULT_STORAGE_LIMITS, bodiesPerMailbox: 2, maxBodies: 5 };

function addSms(store: ArrivalStore, key: string, to = '+12025550100', text = `EXERCISE ${key}`) {
  const i = store.add({
    channel: 'sms',
    carrierId: 'northwind-mobile',
    recipient: to,
    key,
    campaignId: 1,
    at: 0,
  });
  store.keepSmsBody(i, text, '+12025550190');
  return i;
}

describe('key codec', () => {
  it('pipeline keys → stored as numbers and decoded to the same string', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.boolean(), (a, b, email) => {
        const key = `bd-${a}-${b}${email ? '@breach-drill.test' : ''}`;
        const k = encodeKey(key);
        expect(k.kind).toBe(email ? KEY_KIND.bdMessageId : KEY_KIND.bd);
        expect(decodeKey(k.kind, k.a, k.b, undefined)).toBe(key);
      }),
    );
  });

  it('any other string (leading zeros, too large, free text) → kept as the string itself', () => {
    for (const key of ['bd-01-2', 'bd-1-02', 'bd-4294967296-1', 'order-77', 'bd-1-2@other.test', '']) {
      const k = encodeKey(key);
      expect(k.kind).toBe(KEY_KIND.string);
      expect(decodeKey(k.kind, k.a, k.b, k.text)).toBe(key);
    }
    fc.assert(
      fc.property(fc.string(), (key) => {
        const k = encodeKey(key);
        expect(decodeKey(k.kind, k.a, k.b, k.text)).toBe(key);
      }),
    );
  });
});

describe('ArrivalStore', () => {
  it('find → the first arrival under a key, per channel', () => {
    const store = new ArrivalStore('t', limits);
    const first = addSms(store, 'bd-1-1');
    addSms(store, 'free-text-key');
    expect(store.find('sms', 'bd-1-1')).toBe(first);
    expect(store.find('sms', 'free-text-key')).toBe(1);
    expect(store.find('email', 'bd-1-1')).toBe(-1);
    expect(store.find('sms', 'bd-1-2')).toBe(-1);
  });

  it('many keys, including colliding-looking ones → every key found at its own index', () => {
    const store = new ArrivalStore('t', limits);
    const keys = Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? `k-${i}` : `bd-${i % 7}-${i}`));
    keys.forEach((k, i) => addSms(store, k, `+1202555${String(100 + (i % 100)).padStart(4, '0')}`));
    keys.forEach((k, i) => expect(store.find('sms', k)).toBe(i));
  });

  it('arrival(i) → the recorded facts with a message id that maps back to i', () => {
    const store = new ArrivalStore('run1', limits);
    const i = store.add({
      channel: 'email',
      carrierId: null,
      recipient: 'a@example.com',
      key: 'bd-3-4@breach-drill.test',
      campaignId: null,
      at: Date.UTC(2025, 0, 2),
    });
    expect(store.arrival(i)).toEqual({
      channel: 'email',
      carrier: null,
      recipient: 'a@example.com',
      key: 'bd-3-4@breach-drill.test',
      campaignId: null,
      at: '2025-01-02T00:00:00.000Z',
      messageId: 'eml-run1-0-0',
    });
    expect(store.indexOfMessageId('eml-run1-0-0')).toBe(0);
    expect(store.indexOfMessageId('sms-run1-0-0')).toBe(-1); // wrong channel prefix
    expect(store.indexOfMessageId('eml-run2-0-0')).toBe(-1); // another run
  });

  it('a box over its body limit → only its most recent N keep bodies; counts and keys stay', () => {
    const store = new ArrivalStore('t', limits);
    const ids = [1, 2, 3, 4].map((n) => addSms(store, `bd-1-${n}`));
    expect(ids.map((i) => store.body(i) !== undefined)).toEqual([false, false, true, true]);
    expect(store.inbox('sms', '+12025550100', 10)).toEqual({ total: 4, indices: [3, 2, 1, 0] });
    expect(store.find('sms', 'bd-1-1')).toBe(0);
  });

  it('more bodies than the global cap → the oldest lose theirs first', () => {
    const store = new ArrivalStore('t', limits);
    const ids = Array.from({ length: 7 }, (_, n) =>
      addSms(store, `bd-1-${n}`, `+1202555${String(100 + n).padStart(4, '0')}`),
    );
    expect(ids.map((i) => store.body(i) !== undefined)).toEqual([false, false, true, true, true, true, true]);
    expect(store.storedBodies.count).toBe(5);
  });

  it('reset → empty, and message ids from before no longer resolve', () => {
    const store = new ArrivalStore('t', limits);
    const id = store.messageId(addSms(store, 'bd-1-1'));
    store.reset();
    expect(store.count).toBe(0);
    expect(store.find('sms', 'bd-1-1')).toBe(-1);
    expect(store.indexOfMessageId(id)).toBe(-1);
    expect(store.messageId(addSms(store, 'bd-1-1'))).not.toBe(id);
  });
});

describe('BodyStore', () => {
  it('bodies beyond the byte budget → oldest evicted until under it', () => {
    const store = new BodyStore(100, 1000, 16); // each body counts 200 bytes + 256 of overhead
    const email = (n: number): EmailBody => ({
      kind: 'email',
      raw: Buffer.alloc(200, n),
      size: 200,
      truncated: false,
    });
    for (let i = 0; i < 4; i++) store.putEmail(i, email(i));
    expect([0, 1, 2, 3].map((i) => store.get(i) !== undefined)).toEqual([false, false, true, true]);
    expect(store.totalBytes).toBeLessThanOrEqual(1000);
  });
});

describe('isoTime', () => {
  it('any instant → the same string as Date.toISOString', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
    );
  });
});
