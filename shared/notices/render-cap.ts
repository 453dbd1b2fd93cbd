import type { Locale, NoticeKind } from '../domain';
import { dataCategoryLabels } from './data-category-labels';
import { escapeXml, singleLine } from './escape-markup';
import { assertMarker } from './exercise-marker';
import { SIMULATED_LIAISON, TRAINING_LINE, TRAINING_LINE_ES } from './exercise-text';
import { assertValidDate, formatLongDate } from './format-date';
import type { NoticeIncident } from './notice-types';
import { CUSTOMER_TLP } from './notice-vars';

/**
 * The campaign's alert as OASIS CAP 1.2 XML (DOMAIN.md §2): status always Exercise, the exercise id
 * and marker in `note`, `sent` with a numeric offset (never Z), category Security, and `references`
 * on Update and Cancel. Every text node is XML-escaped; output is pure and byte-stable.
 */

export const CAP_NAMESPACE = 'urn:oasis:names:tc:emergency:cap:1.2';

export type CapMsgType = 'Alert' | 'Update' | 'Cancel';

export interface CapInput {
  incident: NoticeIncident;
  campaignId: number;
  kind: NoticeKind;
  /** CAP `sender`: no spaces, commas, `<` or `&`, e.g. `liaison@federal-cyber-liaison.test`. */
  sender: string;
  sent: Date;
  /** The numeric offset `sent` is written in, e.g. `-05:00` (CAP forbids `Z`). */
  utcOffset: string;
  msgType: CapMsgType;
  /** Required for Update and Cancel: `sender,identifier,sent` of the alert(s) replaced, space separated. */
  references?: string;
  marker: string;
  locale: Locale;
}

/** CAP identifiers and senders may not contain spaces, commas or the restricted `<` and `&`. */
const CAP_ID_FORBIDDEN = /[\s,<&]/;
const OFFSET = /^([+-])(\d{2}):(\d{2})$/;
const REFERENCE = /^[^\s,<&]+,[^\s,<&]+,\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[-+]\d{2}:\d{2}$/;

/** `sent` written in `utcOffset`: `2024-03-04T07:00:00-05:00`. Seconds precision, as CAP wants. */
export function formatCapDateTime(date: Date, utcOffset: string): string {
  assertValidDate(date, 'CAP sent');
  const m = OFFSET.exec(utcOffset);
  const hours = Number(m?.[2]);
  const minutes = Number(m?.[3]);
  if (!m || hours > 14 || minutes > 59) {
    throw new RangeError(`CAP utcOffset must look like -05:00 (numeric, never Z), got "${utcOffset}"`);
  }
  const sign = m[1] === '-' ? -1 : 1;
  const local = new Date(date.getTime() + sign * (hours * 60 + minutes) * 60_000);
  const year = local.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError('CAP sent must be in years 0000-9999');
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${String(year).padStart(4, '0')}-${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())}` +
    `T${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())}${utcOffset}`
  );
}

/** A token safe inside a CAP identifier: anything outside [A-Za-z0-9._:-] becomes "-". */
function idToken(s: string): string {
  return s.replace(/[^A-Za-z0-9._:-]/g, '-') || '-';
}

/** The alert's identifier: deterministic, unique per exercise, campaign, kind, message type and time. */
export function capIdentifier(input: Omit<CapInput, 'references' | 'marker' | 'locale'>): string {
  const sent = formatCapDateTime(input.sent, input.utcOffset).replace(/[-:]/g, '');
  return [
    'breach-drill',
    idToken(input.incident.exerciseId),
    `campaign-${input.campaignId}`,
    input.kind,
    input.msgType.toLowerCase(),
    sent.replace('+', 'p'),
  ].join('.');
}

/** The `references` entry that points at an alert rendered from `original`: `sender,identifier,sent`. */
export function capReference(original: Omit<CapInput, 'references' | 'marker' | 'locale'>): string {
  return `${original.sender},${capIdentifier(original)},${formatCapDateTime(original.sent, original.utcOffset)}`;
}

const WORDS = {
  en: {
    language: 'en-US',
    event: 'SIMULATED telecom call-metadata breach (exercise)',
    headline: {
      'agency-advisory': 'SIMULATED cyber advisory',
      'carrier-notice': 'SIMULATED carrier notice of data breach',
      'law-enforcement-report': 'SIMULATED breach report',
      correction: 'Correction: simulated notice withdrawn',
    },
    description: (i: NoticeIncident, categories: string) =>
      `Exercise scenario "${singleLine(i.title)}": a simulated intruder tracked as "${singleLine(i.threatActor)}" copied call metadata from fictional carriers between ${formatLongDate(i.windowStart, 'en')} and ${formatLongDate(i.windowEnd, 'en')}. Data involved: ${categories}.`,
    cancel: 'The exercise has ended (ENDEX); disregard the earlier simulated alert.',
    instruction: 'No action is required. This alert is part of a training exercise.',
    audience: 'Customers of the affected fictional carriers (exercise participants)',
    area: 'Service areas of the affected fictional carriers (simulated)',
    carrier: 'Affected fictional carrier (exercise)',
  },
  es: {
    language: 'es-US',
    event: 'Filtración SIMULADA de metadatos de llamadas (ejercicio)',
    headline: {
      'agency-advisory': 'Aviso de ciberseguridad SIMULADO',
      'carrier-notice': 'Aviso SIMULADO de filtración de datos del operador',
      'law-enforcement-report': 'Informe SIMULADO de filtración',
      correction: 'Corrección: aviso simulado retirado',
    },
    description: (i: NoticeIncident, categories: string) =>
      `Escenario del ejercicio "${singleLine(i.title)}": un intruso simulado identificado como "${singleLine(i.threatActor)}" copió metadatos de llamadas de operadores ficticios entre el ${formatLongDate(i.windowStart, 'es')} y el ${formatLongDate(i.windowEnd, 'es')}. Datos afectados: ${categories}.`,
    cancel: 'El ejercicio ha terminado (ENDEX); ignore la alerta simulada anterior.',
    instruction: 'No se requiere ninguna acción. Esta alerta forma parte de un ejercicio de capacitación.',
    audience: 'Clientes de los operadores ficticios afectados (participantes del ejercicio)',
    area: 'Zonas de servicio de los operadores ficticios afectados (simulado)',
    carrier: 'Operador ficticio afectado (ejercicio)',
  },
} as const;

export function renderCap(input: CapInput): string {
  const { incident, marker, locale, msgType } = input;
  assertMarker(marker);
  if (input.sender === '' || CAP_ID_FORBIDDEN.test(input.sender)) {
    throw new RangeError('CAP sender must be non-empty without spaces, commas, < or &');
  }
  const references = input.references?.trim();
  if ((msgType === 'Update' || msgType === 'Cancel') && !references) {
    throw new RangeError(`a CAP ${msgType} must carry references to the alert it replaces`);
  }
  if (references && !references.split(/\s+/).every((r) => REFERENCE.test(r))) {
    throw new RangeError('CAP references must be space-separated sender,identifier,sent triples');
  }
  const w = WORDS[locale];
  const sent = formatCapDateTime(input.sent, input.utcOffset);
  const exerciseId = singleLine(incident.exerciseId);
  const advisoryId = singleLine(incident.advisoryId);
  const cancel = msgType === 'Cancel';
  const training = locale === 'es' ? `${TRAINING_LINE} ${TRAINING_LINE_ES}` : TRAINING_LINE;
  const categories = dataCategoryLabels(incident.dataCategories, locale).join('; ');
  const description = cancel
    ? `${w.cancel} ${training}`
    : `${w.description(incident, categories)} ${training}`;

  const el = (indent: number, name: string, value: string) =>
    `${'  '.repeat(indent)}<${name}>${escapeXml(value)}</${name}>`;
  const pair = (indent: number, name: string, valueName: string, value: string) =>
    [
      `${'  '.repeat(indent)}<${name}>`,
      el(indent + 1, 'valueName', valueName),
      el(indent + 1, 'value', value),
      `${'  '.repeat(indent)}</${name}>`,
    ].join('\n');

  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<alert xmlns="${CAP_NAMESPACE}">`,
    el(1, 'identifier', capIdentifier(input)),
    el(1, 'sender', input.sender),
    el(1, 'sent', sent),
    el(1, 'status', 'Exercise'),
    el(1, 'msgType', msgType),
    el(1, 'source', 'breach-drill exercise simulator'),
    el(1, 'scope', 'Public'),
    el(1, 'note', `${marker} Exercise ${exerciseId}, campaign ${input.campaignId}. ${training}`),
    ...(references ? [el(1, 'references', references)] : []),
    el(1, 'incidents', `breach-drill.${idToken(exerciseId)}.incident-${incident.id}`),
    '  <info>',
    el(2, 'language', w.language),
    el(2, 'category', 'Security'),
    el(2, 'category', 'Infra'),
    el(2, 'event', w.event),
    el(2, 'responseType', cancel ? 'AllClear' : 'None'),
    el(2, 'urgency', cancel ? 'Past' : 'Expected'),
    el(2, 'severity', 'Minor'),
    el(2, 'certainty', 'Observed'),
    el(2, 'audience', w.audience),
    pair(2, 'eventCode', 'breach-drill-kind', input.kind),
    el(
      2,
      'senderName',
      input.kind === 'agency-advisory' ? `${SIMULATED_LIAISON.name} (exercise)` : w.carrier,
    ),
    el(2, 'headline', `${marker} ${w.headline[cancel ? 'correction' : input.kind]} ${advisoryId}`),
    el(2, 'description', description),
    el(2, 'instruction', w.instruction),
    el(2, 'web', `${SIMULATED_LIAISON.url}/${encodeURIComponent(advisoryId)}`),
    el(2, 'contact', SIMULATED_LIAISON.address),
    pair(2, 'parameter', 'exercise-id', exerciseId),
    pair(2, 'parameter', 'advisory-id', advisoryId),
    pair(2, 'parameter', 'tlp', CUSTOMER_TLP),
    '    <area>',
    el(3, 'areaDesc', w.area),
    '    </area>',
    '  </info>',
    '</alert>',
  ];
  return `${lines.join('\n')}\n`;
}
