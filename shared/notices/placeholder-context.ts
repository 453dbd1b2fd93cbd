import { CARRIERS, type Carrier } from '../carriers';
import { DATA_CATEGORIES, type Locale, type NoticeKind } from '../domain';
import type { LawEnforcementReport } from './law-enforcement-report';
import type { NoticeContext } from './notice-types';

/** The default marker (config EXERCISE_MARKER's default). */
export const DEFAULT_MARKER = 'EXERCISE EXERCISE EXERCISE';

/**
 * Placeholder data for linting and previewing templates: the longest fictional carrier name and
 * support URL, every data category, both law-enforcement outcomes available through `overrides`.
 */
export function placeholderContext(
  kind: NoticeKind,
  locale: Locale,
  overrides: Partial<NoticeContext> = {},
): NoticeContext {
  return {
    kind,
    locale,
    marker: DEFAULT_MARKER,
    campaignId: 4242,
    noticeDate: new Date('2024-12-20T15:00:00Z'),
    incident: {
      id: 7,
      exerciseId: 'EX-2024-SALTMARSH',
      title: 'Carrier core network intrusion',
      threatActor: 'Saltmarsh Drizzle',
      dataCategories: [...DATA_CATEGORIES],
      windowStart: new Date('2024-03-01T00:00:00Z'),
      windowEnd: new Date('2024-11-30T00:00:00Z'),
      determinedAt: new Date('2024-12-05T00:00:00Z'),
      tlp: 'TLP:CLEAR',
      advisoryId: 'SIM-AA24-340A',
      lawEnforcementDelayed: true,
    },
    carrier: longestCarrier(),
    recipient: { displayName: 'Jordan Placeholder' },
    ...overrides,
  };
}

/** The carrier whose name and support URL take the most room: the worst case for SMS and previews. */
export function longestCarrier(): Carrier {
  return [...CARRIERS].sort(
    (a, b) => b.name.length + b.supportUrl.length - (a.name.length + a.supportUrl.length),
  )[0] as Carrier;
}

/** A complete placeholder law-enforcement report (all seven FCC 64.2011(a)(1) fields). */
export function placeholderLawEnforcementReport(carrier: Carrier = longestCarrier()): LawEnforcementReport {
  return {
    carrierContact: {
      carrierName: carrier.name,
      postalAddress: carrier.postalAddress,
      contactName: 'Morgan Example, Privacy Officer',
      phone: carrier.supportPhone,
      email: `breach-reports@${carrier.emailDomain}`,
    },
    incidentDescription: 'Simulated intruders accessed core network systems and copied call metadata.',
    methodOfCompromise:
      'Simulated exploitation of an unpatched edge router, then stolen administrator credentials.',
    dateRange: { start: new Date('2024-03-01T00:00:00Z'), end: new Date('2024-11-30T00:00:00Z') },
    approximateCustomersAffected: 125000,
    estimatedFinancialLossUsd: 2500000,
    dataTypes: ['call_records', 'location'],
  };
}
