import fc from 'fast-check';
import { CARRIERS } from '../../../shared/carriers';
import { DATA_CATEGORIES, type Locale, type NoticeKind } from '../../../shared/domain';
import { advisoryIdFor, type NoticeContext } from '../../../shared/notices';
import { singleLine } from '../../../shared/notices/escape-markup';
import { lintContent } from '../../../shared/safety';

/**
 * Shared helpers for the notices tests. fast-check seeds are printed so a failure can be replayed:
 * FC_SEED=<seed> npx vitest run tests/unit/notices
 */
export function fastCheckSeed(label: string): number {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2_147_483_647;
  console.log(`[fast-check] ${label}: seed=${seed} (replay with FC_SEED=${seed})`);
  return seed;
}

/** Free text an operator could type that the lint itself would not refuse (the lint is tested elsewhere). */
export function isSafeFreeText(s: string): boolean {
  return lintContent(s).length === 0 && !/TLP\s*:|SIM-AA|@|\.(gov|mil)\b|https?:/i.test(s);
}

const words = fc.constantFrom(
  'Saltmarsh',
  'Drizzle',
  'Typhoon',
  'Granite',
  'Core',
  'network',
  'intrusion',
  'Operación',
  'Tormenta',
  'Ñandú',
  'metadata',
  '<b>',
  '&',
  '"quoted"',
  "O'Brien",
  '{{carrierName}}',
  '\u{1F4E1}',
  'line\nbreak',
);

/** Titles and actor names: word soup with markup, quotes, emoji and placeholders, or any string. */
export const freeText = fc
  .oneof(
    fc.array(words, { minLength: 1, maxLength: 8 }).map((w) => w.join(' ')),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
  )
  .filter(isSafeFreeText);

const DAY = 86_400_000;

export const noticeContextArb = (
  kinds: readonly NoticeKind[] = ['agency-advisory', 'carrier-notice', 'correction'],
) =>
  fc
    .record({
      kind: fc.constantFrom(...kinds),
      locale: fc.constantFrom<Locale>('en', 'es'),
      marker: fc.constantFrom('EXERCISE EXERCISE EXERCISE', 'EJERCICIO EJERCICIO', 'DRILL DRILL DRILL'),
      campaignId: fc.integer({ min: 1, max: 2_000_000_000 }),
      carrier: fc.constantFrom(...CARRIERS),
      displayName: fc.option(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.constantFrom('Ana Cox', 'Pat <script>', 'Lee FBI', 'Jo Smith'),
        ),
        {
          nil: null,
        },
      ),
      // The incident API refuses a blank exercise id; the lint refuses one too (tested in notices-lint).
      exerciseId: fc.oneof(
        fc.stringMatching(/^[A-Z]{2}-\d{4}-[A-Z0-9-]{1,20}$/),
        freeText.filter((s) => singleLine(s) !== ''),
      ),
      title: freeText,
      threatActor: freeText,
      dataCategories: fc.subarray([...DATA_CATEGORIES], { minLength: 1 }),
      windowStart: fc.date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2098-12-31T00:00:00Z'),
        noInvalidDate: true,
      }),
      windowDays: fc.integer({ min: 0, max: 400 }),
      determinedDays: fc.integer({ min: 0, max: 60 }),
      noticeDays: fc.integer({ min: 0, max: 60 }),
      letter: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
      tlp: fc.constantFrom('TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED' as const),
      lawEnforcementDelayed: fc.boolean(),
      correctionOf: fc.constantFrom('agency-advisory', 'carrier-notice' as const),
    })
    .map((r): NoticeContext => {
      const windowEnd = new Date(r.windowStart.getTime() + r.windowDays * DAY);
      const determinedAt = new Date(windowEnd.getTime() + r.determinedDays * DAY);
      return {
        kind: r.kind,
        locale: r.locale,
        marker: r.marker,
        campaignId: r.campaignId,
        noticeDate: new Date(determinedAt.getTime() + r.noticeDays * DAY),
        carrier: r.carrier,
        recipient: { displayName: r.displayName },
        correctionOf: r.correctionOf,
        incident: {
          id: r.campaignId % 10_000,
          exerciseId: r.exerciseId,
          title: r.title,
          threatActor: r.threatActor,
          dataCategories: r.dataCategories,
          windowStart: r.windowStart,
          windowEnd,
          determinedAt,
          tlp: r.tlp,
          advisoryId: advisoryIdFor(r.windowStart, r.letter),
          lawEnforcementDelayed: r.lawEnforcementDelayed,
        },
      };
    });
