import { describe, expect, it } from 'vitest';
import { campaignChunkSize, startAtProblem, startDelayMs } from '../../shared/campaign-schedule';
import { campaignInput } from '../../shared/api/campaigns.schema';
import { toChunks } from '../../workers/fan-out/fan-out-campaign';

const NOW = new Date('2026-03-10T12:00:00Z');
const DAY = 86_400_000;
const base = { incidentId: 1, kind: 'carrier-notice', channels: ['sms'] };

describe('campaign input: startAt and throttle', () => {
  it.each([
    ['an instant with Z', '2026-03-11T09:00:00Z'],
    ['an instant with an offset', '2026-03-11T09:00:00-05:00'],
    ['fractional seconds', '2026-03-11T09:00:00.250Z'],
  ])('startAt as %s → accepted', (_label, startAt) => {
    expect(campaignInput.safeParse({ ...base, startAt }).success).toBe(true);
  });

  it.each([
    ['no offset (a local time is not an instant)', '2026-03-11T09:00:00'],
    ['a day that does not exist', '2026-02-30T09:00:00Z'],
    ['a date without a time', '2026-03-11'],
    ['words', 'tomorrow'],
    ['a number', 1773144000000],
  ])('startAt as %s → refused at startAt', (_label, startAt) => {
    const r = campaignInput.safeParse({ ...base, startAt });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['startAt']);
  });

  it.each([
    [1, true],
    [100_000, true],
    [0, false],
    [100_001, false],
    [2.5, false],
    [-5, false],
    ['10', false],
  ])('throttle %s → %s', (throttle, ok) => {
    expect(campaignInput.safeParse({ ...base, throttle }).success).toBe(ok);
  });

  it('both are optional: a campaign without them parses with neither set', () => {
    const r = campaignInput.parse(base);
    expect(r.startAt).toBeUndefined();
    expect(r.throttle).toBeUndefined();
  });
});

describe('startAtProblem', () => {
  it('30 days ahead to the millisecond → accepted; one millisecond more → start_too_far', () => {
    expect(startAtProblem(new Date(NOW.getTime() + 30 * DAY), NOW)).toBeNull();
    expect(startAtProblem(new Date(NOW.getTime() + 30 * DAY + 1), NOW)?.code).toBe('start_too_far');
  });

  it('a start in the past → accepted (the trigger starts it at once)', () => {
    expect(startAtProblem(new Date(NOW.getTime() - DAY), NOW)).toBeNull();
  });

  it('an invalid date → invalid_instant', () => {
    expect(startAtProblem(new Date(Number.NaN), NOW)?.code).toBe('invalid_instant');
  });

  it('the message names the latest acceptable instant', () => {
    expect(startAtProblem(new Date(NOW.getTime() + 31 * DAY), NOW)?.message).toContain(
      '2026-04-09T12:00:00.000Z',
    );
  });
});

describe('startDelayMs', () => {
  it('unset → 0; past → 0; ahead → the distance', () => {
    expect(startDelayMs(null, NOW.getTime())).toBe(0);
    expect(startDelayMs(new Date(NOW.getTime() - 1), NOW.getTime())).toBe(0);
    expect(startDelayMs(new Date(NOW.getTime() + 5_000), NOW.getTime())).toBe(5_000);
  });
});

describe('campaignChunkSize', () => {
  it.each([
    [null, 100, 100],
    [1, 100, 1],
    [9, 100, 1],
    [20, 100, 2],
    [25, 100, 3],
    [1000, 100, 100],
    [100_000, 100, 100],
    [500, 10, 10],
  ])('throttle %s, configured %s → %s per chunk', (throttle, configured, expected) => {
    expect(campaignChunkSize(throttle, configured)).toBe(expected);
  });

  it('a throttled campaign’s chunks never hold more than a tenth of a second’s worth (rounded up)', () => {
    for (let perSec = 1; perSec <= 2000; perSec += 7) {
      const c = campaignChunkSize(perSec, 100);
      expect(c).toBeGreaterThanOrEqual(1);
      expect(c).toBeLessThanOrEqual(Math.max(1, Math.ceil(perSec / 10)));
    }
  });

  it('toChunks at that size → every chunk within it, every id exactly once', () => {
    const rows = Array.from({ length: 57 }, (_, i) => ({
      id: i + 1,
      channel: (i % 2 ? 'sms' : 'email') as 'sms' | 'email',
      carrier: i % 3 ? 'northwind-mobile' : 'prairie-link',
    }));
    const chunks = toChunks(7, rows, campaignChunkSize(20, 100));
    expect(Math.max(...chunks.map((c) => c.data.ids.length))).toBe(2);
    expect(chunks.flatMap((c) => c.data.ids).sort((a, b) => a - b)).toEqual(rows.map((r) => r.id));
    expect(new Set(chunks.map((c) => c.jobId)).size).toBe(chunks.length);
  });
});
