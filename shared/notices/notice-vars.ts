import type { Locale } from '../domain';
import { lintContent } from '../safety';
import { dataCategoryLabels } from './data-category-labels';
import { singleLine } from './escape-markup';
import { SIMULATED_LIAISON, SIMULATED_REPORTING_FACILITY } from './exercise-text';
import { formatLongDate } from './format-date';
import { correctedKind } from './notice-sender';
import type { NoticeContext } from './notice-types';
import type { TemplateVars } from './template-types';

/** A display name longer than this (in code points) is not printed; the generic greeting is used. */
const MAX_DISPLAY_NAME = 64;

/** The TLP label of customer-facing notices (DOMAIN.md §2), whatever the incident's own label. */
export const CUSTOMER_TLP = 'TLP:CLEAR';

/** "+12025550100" → "+1 (202) 555-0100"; anything else is printed as given. */
export function formatNanpPhone(e164: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return m ? `+1 (${m[1]}) ${m[2]}-${m[3]}` : e164;
}

/**
 * The subscriber's name as printed in the greeting, or null. The name is subscriber data, not ours:
 * one that would trip the safety lint (a real carrier's name such as a surname "Cox", a link, an
 * agency acronym, a TLP label, an advisory-id look-alike, a host name) falls back to the generic greeting instead
 * of getting a whole notice refused.
 */
export function safeDisplayName(name: string | null): string | null {
  if (name === null) return null;
  const clean = singleLine(name);
  if (clean === '' || [...clean].length > MAX_DISPLAY_NAME) return null;
  if (/TLP|SIM-AA|https?:|@|\{\{/i.test(clean)) return null;
  if (/[a-z0-9-]+\.[a-z]{2,}/i.test(clean)) return null; // looks like a host name: no bare links

  if (lintContent(clean).length > 0) return null;
  return clean;
}

function greeting(name: string | null, locale: Locale): string {
  if (locale === 'es') return name ? `Estimado/a ${name}:` : 'Estimado/a cliente:';
  return name ? `Dear ${name},` : 'Dear customer,';
}

const LAW_ENFORCEMENT_DELAY: Record<Locale, Record<'yes' | 'no', string>> = {
  en: {
    yes: 'This notice was delayed at the request of a (simulated) law enforcement agency so that it would not impede the investigation.',
    no: 'This notice was not delayed by a law enforcement investigation.',
  },
  es: {
    yes: 'Este aviso se retrasó a petición de una agencia policial (simulada) para no obstaculizar la investigación.',
    no: 'Este aviso no fue retrasado por una investigación policial.',
  },
};

/** The placeholder values of one notice; every value is a single line of plain text. */
export function noticeVars(ctx: NoticeContext): TemplateVars {
  const { incident, carrier, locale } = ctx;
  const carrierPhone = formatNanpPhone(carrier.supportPhone);
  const advisoryUrl = `${SIMULATED_LIAISON.url}/${encodeURIComponent(singleLine(incident.advisoryId))}`;
  const fromLiaison = ctx.kind === 'correction' && correctedKind(ctx) === 'agency-advisory';
  return {
    greeting: greeting(safeDisplayName(ctx.recipient.displayName), locale),
    carrierName: singleLine(carrier.name),
    carrierPhone,
    carrierUrl: carrier.supportUrl,
    carrierEmail: `privacy@${carrier.emailDomain}`,
    carrierAddress: singleLine(carrier.postalAddress),
    advisoryId: singleLine(incident.advisoryId),
    exerciseId: singleLine(incident.exerciseId),
    campaignId: String(ctx.campaignId),
    incidentTitle: singleLine(incident.title),
    threatActor: singleLine(incident.threatActor),
    windowStart: formatLongDate(incident.windowStart, locale),
    windowEnd: formatLongDate(incident.windowEnd, locale),
    determinedAt: formatLongDate(incident.determinedAt, locale),
    noticeDate: formatLongDate(ctx.noticeDate, locale),
    lawEnforcementDelay: LAW_ENFORCEMENT_DELAY[locale][incident.lawEnforcementDelayed ? 'yes' : 'no'],
    dataCategoryList: dataCategoryLabels(incident.dataCategories, locale).join('; '),
    tlp: CUSTOMER_TLP,
    liaisonName: SIMULATED_LIAISON.name,
    liaisonEmail: SIMULATED_LIAISON.address,
    liaisonPhone: SIMULATED_LIAISON.phone,
    advisoryUrl,
    originalSender: fromLiaison ? SIMULATED_LIAISON.name : singleLine(carrier.name),
    originalContact: fromLiaison
      ? `${SIMULATED_LIAISON.address}, ${SIMULATED_LIAISON.phone}, ${advisoryUrl}`
      : `${carrier.supportUrl}, ${carrierPhone}, privacy@${carrier.emailDomain}`,
    facilityName: SIMULATED_REPORTING_FACILITY.name,
  };
}
