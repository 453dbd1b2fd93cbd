import { describe, expect, it } from 'vitest';
import { CARRIERS } from '../../shared/carriers';
import { LOCALES, NOTICE_KINDS } from '../../shared/domain';
import {
  TRAINING_LINE,
  TRAINING_LINE_ES,
  WIRELESS_LONG_MAX,
  WIRELESS_SHORT_MAX,
  placeholderContext,
  wirelessPreview,
} from '../../shared/notices';

const MARKER = 'EXERCISE EXERCISE EXERCISE';
const len = (s: string) => [...s].length;

describe('wirelessPreview (DOMAIN.md §2)', () => {
  it('fits 90 and 360 characters for every kind, locale and carrier, both starting with the marker', () => {
    for (const kind of NOTICE_KINDS) {
      for (const locale of LOCALES) {
        for (const carrier of CARRIERS) {
          const { short, long } = wirelessPreview(placeholderContext(kind, locale, { carrier }));
          expect(short.startsWith(`${MARKER} `)).toBe(true);
          expect(long.startsWith(`${MARKER} `)).toBe(true);
          expect(len(short)).toBeLessThanOrEqual(WIRELESS_SHORT_MAX);
          expect(len(long)).toBeLessThanOrEqual(WIRELESS_LONG_MAX);
          expect(long).toContain(TRAINING_LINE);
          if (locale === 'es') expect(long).toContain(TRAINING_LINE_ES);
        }
      }
    }
  });

  it('reads as an exercise in both forms', () => {
    const { short, long } = wirelessPreview(placeholderContext('agency-advisory', 'en'));
    expect(short).toBe(`${MARKER} SIMULATED cyber advisory SIM-AA24-340A. Drill only.`);
    expect(long).toBe(
      `${MARKER} SIMULATED cyber advisory SIM-AA24-340A. ${TRAINING_LINE} More: https://support.harborview-cellular.test/breach`,
    );
  });

  it('drops detail, never the marker, when a long marker leaves no room, and refuses a marker over 90', () => {
    const marker = 'EXERCISE '.repeat(9).trim(); // 80 characters
    const { short, long } = wirelessPreview(placeholderContext('carrier-notice', 'en', { marker }));
    expect(short).toBe(marker);
    expect(long.startsWith(marker)).toBe(true);
    expect(len(long)).toBeLessThanOrEqual(WIRELESS_LONG_MAX);
    expect(() =>
      wirelessPreview(placeholderContext('carrier-notice', 'en', { marker: 'X'.repeat(91) })),
    ).toThrow(/longer than 90/);
  });
});
