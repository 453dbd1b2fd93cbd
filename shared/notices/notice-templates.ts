import type { Channel, Locale, NoticeKind } from '../domain';
import type { EmailTemplate, NoticeTemplate, SmsTemplate } from './template-types';
import {
  agencyAdvisoryEmailEn,
  agencyAdvisoryEmailEs,
  agencyAdvisorySmsEn,
  agencyAdvisorySmsEs,
} from './templates/agency-advisory';
import {
  carrierNoticeEmailEn,
  carrierNoticeEmailEs,
  carrierNoticeSmsEn,
  carrierNoticeSmsEs,
} from './templates/carrier-notice';
import {
  correctionEmailEn,
  correctionEmailEs,
  correctionSmsEn,
  correctionSmsEs,
} from './templates/correction';
import { lawEnforcementReportEmailEn, lawEnforcementReportEmailEs } from './templates/law-enforcement-report';

/**
 * Every default template, one per kind × locale × channel the kind is sent on (DOMAIN.md §2: the
 * law-enforcement report is email only). Tests lint each one; the send path lints each rendering.
 */
export const NOTICE_TEMPLATES: readonly NoticeTemplate[] = Object.freeze([
  agencyAdvisoryEmailEn,
  agencyAdvisoryEmailEs,
  agencyAdvisorySmsEn,
  agencyAdvisorySmsEs,
  carrierNoticeEmailEn,
  carrierNoticeEmailEs,
  carrierNoticeSmsEn,
  carrierNoticeSmsEs,
  lawEnforcementReportEmailEn,
  lawEnforcementReportEmailEs,
  correctionEmailEn,
  correctionEmailEs,
  correctionSmsEn,
  correctionSmsEs,
]);

/** The channels each kind is sent on (DOMAIN.md §2). */
export const NOTICE_CHANNELS: Readonly<Record<NoticeKind, readonly Channel[]>> = {
  'agency-advisory': ['email', 'sms'],
  'carrier-notice': ['email', 'sms'],
  'law-enforcement-report': ['email'],
  correction: ['email', 'sms'],
};

export function findTemplate(kind: NoticeKind, locale: Locale, channel: 'email'): EmailTemplate;
export function findTemplate(kind: NoticeKind, locale: Locale, channel: 'sms'): SmsTemplate;
export function findTemplate(kind: NoticeKind, locale: Locale, channel: Channel): NoticeTemplate;
export function findTemplate(kind: NoticeKind, locale: Locale, channel: Channel): NoticeTemplate {
  const t = NOTICE_TEMPLATES.find((x) => x.kind === kind && x.locale === locale && x.channel === channel);
  if (!t) throw new RangeError(`no ${channel} template for ${kind} in locale ${locale}`);
  return t;
}
