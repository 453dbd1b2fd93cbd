import type { Locale, NoticeKind } from '../domain';
import { singleLine } from './escape-markup';
import { assertMarker } from './exercise-marker';
import { TRAINING_LINE, TRAINING_LINE_ES } from './exercise-text';
import type { NoticeContext } from './notice-types';

/** Wireless-alert preview limits (DOMAIN.md §2), in characters (code points). Previews only. */
export const WIRELESS_SHORT_MAX = 90;
export const WIRELESS_LONG_MAX = 360;

const HEADLINE: Record<Locale, Record<NoticeKind, (advisoryId: string, carrier: string) => string>> = {
  en: {
    'agency-advisory': (id) => `SIMULATED cyber advisory ${id}.`,
    'carrier-notice': (_id, carrier) => `${carrier}: SIMULATED data breach notice.`,
    'law-enforcement-report': (id) => `SIMULATED breach report ${id}.`,
    correction: (id) => `Correction: simulated notice ${id} withdrawn.`,
  },
  es: {
    'agency-advisory': (id) => `Aviso de ciberseguridad SIMULADO ${id}.`,
    'carrier-notice': (_id, carrier) => `${carrier}: aviso SIMULADO de filtración.`,
    'law-enforcement-report': (id) => `Informe SIMULADO de filtración ${id}.`,
    correction: (id) => `Corrección: aviso simulado ${id} retirado.`,
  },
};

const TAIL: Record<Locale, string> = { en: 'Drill only.', es: 'Solo simulacro.' };

function length(s: string): number {
  return [...s].length;
}

/** The first candidate that fits; the marker alone when none does; an error if even that is too long. */
function firstFitting(candidates: readonly string[], marker: string, max: number): string {
  const fit = candidates.find((c) => length(c) <= max);
  if (fit !== undefined) return fit;
  if (length(marker) <= max) return marker;
  throw new RangeError(`the exercise marker alone is longer than ${max} characters`);
}

/**
 * Short (≤ 90) and long (≤ 360) wireless-alert previews, both starting with the marker. The long form
 * carries the training line(s); the short one has no room for it and says "Drill only." instead.
 * Nothing here emits alert tones or codes.
 */
export function wirelessPreview(ctx: NoticeContext): { short: string; long: string } {
  const { marker, locale } = ctx;
  assertMarker(marker);
  const headline = HEADLINE[locale][ctx.kind](
    singleLine(ctx.incident.advisoryId),
    singleLine(ctx.carrier.name),
  );
  const training = locale === 'es' ? `${TRAINING_LINE} ${TRAINING_LINE_ES}` : TRAINING_LINE;
  const more =
    locale === 'es' ? `Más información: ${ctx.carrier.supportUrl}` : `More: ${ctx.carrier.supportUrl}`;
  const short = firstFitting(
    [`${marker} ${headline} ${TAIL[locale]}`, `${marker} ${headline}`, `${marker} ${TAIL[locale]}`],
    marker,
    WIRELESS_SHORT_MAX,
  );
  const long = firstFitting(
    [
      `${marker} ${headline} ${training} ${more}`,
      `${marker} ${headline} ${training}`,
      `${marker} ${training}`,
      `${marker} ${TRAINING_LINE}`,
      `${marker} ${headline}`,
    ],
    marker,
    WIRELESS_LONG_MAX,
  );
  return { short, long };
}
