import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SMS_FOOTER,
  TRAINING_LINE,
  WIRELESS_LONG_MAX,
  WIRELESS_SHORT_MAX,
  lintEmail,
  lintSms,
  renderEmail,
  renderSms,
  wirelessPreview,
} from '../../shared/notices';
import { fastCheckSeed, noticeContextArb } from './notices/test-kit';

/**
 * Property tests (issue 6): for random subscribers and incidents, every rendered notice passes the
 * send-path lint, starts with the marker, and every SMS fits two GSM-7 segments. The seed is printed.
 */
describe('rendered notices for random subscribers and incidents', () => {
  it('emails pass the lint, start and end with the marker, and render byte-identically twice', () => {
    fc.assert(
      fc.property(noticeContextArb(), (ctx) => {
        const email = renderEmail(ctx);
        expect(lintEmail(email, ctx.marker)).toEqual([]);
        expect(email.subject.startsWith(ctx.marker)).toBe(true);
        expect(email.text.startsWith(`${ctx.marker}\n`)).toBe(true);
        expect(email.text.endsWith(`${ctx.marker}\n`)).toBe(true);
        expect(email.headers['X-Exercise']).toBe(ctx.marker);
        expect(renderEmail(ctx)).toEqual(email);
      }),
      { seed: fastCheckSeed('email lint'), numRuns: 400 },
    );
  });

  it('SMS pass the lint, start with the marker, end with the footer and fit two GSM-7 segments', () => {
    fc.assert(
      fc.property(noticeContextArb(), (ctx) => {
        const sms = renderSms(ctx);
        expect(lintSms(sms, ctx.marker)).toEqual([]);
        expect(sms.text.startsWith(`${ctx.marker}\n`)).toBe(true);
        expect(sms.text.endsWith(SMS_FOOTER)).toBe(true);
        expect(sms.text).toContain(TRAINING_LINE);
        expect(sms.segments.segments).toBeLessThanOrEqual(2);
        expect(sms.segments.encoding).toBe('GSM-7');
        expect(renderSms(ctx)).toEqual(sms);
      }),
      { seed: fastCheckSeed('sms lint'), numRuns: 400 },
    );
  });

  it('wireless previews start with the marker and stay within 90 and 360 characters', () => {
    fc.assert(
      fc.property(
        noticeContextArb(['agency-advisory', 'carrier-notice', 'correction', 'law-enforcement-report']),
        (ctx) => {
          const { short, long } = wirelessPreview(ctx);
          expect(short.startsWith(ctx.marker)).toBe(true);
          expect(long.startsWith(ctx.marker)).toBe(true);
          expect([...short].length).toBeLessThanOrEqual(WIRELESS_SHORT_MAX);
          expect([...long].length).toBeLessThanOrEqual(WIRELESS_LONG_MAX);
          expect(long).toContain(TRAINING_LINE);
        },
      ),
      { seed: fastCheckSeed('wireless preview'), numRuns: 200 },
    );
  });
});
