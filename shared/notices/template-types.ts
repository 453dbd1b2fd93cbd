import type { Locale, NoticeKind } from '../domain';

/**
 * Templates are data, not code: plain-text strings with `{{placeholders}}`, laid out into email (text
 * and HTML) or SMS by one layout each. The layout adds the marker, the TLP label, the training lines
 * and the footer, so no template can leave them out; the lint checks the result anyway.
 */

/** A paragraph, the bulleted data categories, or label/value rows (the law-enforcement report). */
export type TemplateBlock =
  | string
  | { readonly dataCategories: true }
  | { readonly rows: ReadonlyArray<readonly [label: string, value: string]> };

export interface TemplateSection {
  readonly heading: string;
  /** A second heading line under the first, e.g. the Spanish one under the required English one. */
  readonly subheading?: string;
  readonly blocks: readonly TemplateBlock[];
}

export interface EmailTemplate {
  readonly id: string;
  readonly kind: NoticeKind;
  readonly locale: Locale;
  readonly channel: 'email';
  /** The subject after the marker (and, for advisories, the TLP label). */
  readonly subject: string;
  /** The document title: "Notice of Data Breach" for carrier notices (DOMAIN.md §2). */
  readonly title: string;
  readonly subtitle?: string;
  readonly intro: readonly TemplateBlock[];
  readonly sections: readonly TemplateSection[];
  readonly signature: readonly string[];
}

export interface SmsTemplate {
  readonly id: string;
  readonly kind: NoticeKind;
  readonly locale: Locale;
  readonly channel: 'sms';
  /** The body between the marker line and the training line(s) and footer. */
  readonly body: string;
}

export type NoticeTemplate = EmailTemplate | SmsTemplate;

/** Every placeholder a template may use; a template naming anything else fails to render. */
export const TEMPLATE_VARS = [
  'greeting',
  'carrierName',
  'carrierPhone',
  'carrierUrl',
  'carrierEmail',
  'carrierAddress',
  'advisoryId',
  'exerciseId',
  'campaignId',
  'incidentTitle',
  'threatActor',
  'windowStart',
  'windowEnd',
  'determinedAt',
  'noticeDate',
  'lawEnforcementDelay',
  'dataCategoryList',
  'tlp',
  'liaisonName',
  'liaisonEmail',
  'liaisonPhone',
  'advisoryUrl',
  'originalSender',
  'originalContact',
  'facilityName',
  // law-enforcement report fields (FCC 64.2011(a)(1))
  'reportCarrierName',
  'reportCarrierAddress',
  'reportContactName',
  'reportContactPhone',
  'reportContactEmail',
  'reportDescription',
  'reportMethod',
  'reportWindowStart',
  'reportWindowEnd',
  'reportCustomersAffected',
  'reportFinancialLoss',
  'reportDataTypes',
] as const;
export type TemplateVar = (typeof TEMPLATE_VARS)[number];
export type TemplateVars = Readonly<Partial<Record<TemplateVar, string>>>;
