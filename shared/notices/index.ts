/**
 * Exercise-safe notices (DOMAIN.md §2–§4): templates, email and SMS rendering, the send-path lint,
 * SMS segments, CAP 1.2, wireless-alert previews, advisory ids and the law-enforcement report.
 * Everything here is pure and deterministic: same input, same bytes; nothing reads the clock.
 */

export type {
  NoticeIncident,
  NoticeContext,
  RenderedEmail,
  RenderedSms,
  CorrectedKind,
} from './notice-types';
export type { SegmentInfo } from './sms-segments';
export type { LintProblem } from '../safety';
export type {
  EmailTemplate,
  SmsTemplate,
  NoticeTemplate,
  TemplateBlock,
  TemplateSection,
  TemplateVar,
  TemplateVars,
} from './template-types';
export type { CapInput, CapMsgType } from './render-cap';
export type { LawEnforcementReport } from './law-enforcement-report';
export type { NoticeSender } from './notice-sender';

export { renderEmail, renderEmailTemplate } from './render-email';
export { renderSms, renderSmsTemplate } from './render-sms';
export { lintEmail, lintFontSizes } from './lint-email';
export { lintSms, MAX_SMS_SEGMENTS } from './lint-sms';
export { lintCap } from './lint-cap';
export { lintTemplate, templateStrings } from './lint-template';
export {
  smsSegments,
  isGsm7,
  GSM_SINGLE_LIMIT,
  GSM_PART_LIMIT,
  UCS2_SINGLE_LIMIT,
  UCS2_PART_LIMIT,
} from './sms-segments';
export { renderCap, capIdentifier, capReference, formatCapDateTime, CAP_NAMESPACE } from './render-cap';
export { wirelessPreview, WIRELESS_SHORT_MAX, WIRELESS_LONG_MAX } from './wireless-preview';
export { isValidAdvisoryId, advisoryIdFor } from './advisory-id';
export {
  lawEnforcementReportSchema,
  renderLawEnforcementReport,
  lawEnforcementReportVars,
} from './law-enforcement-report';
export { NOTICE_TEMPLATES, NOTICE_CHANNELS, findTemplate } from './notice-templates';
export { CARRIER_NOTICE_HEADINGS, CARRIER_NOTICE_TITLE } from './templates/carrier-notice';
export { noticeVars, safeDisplayName, CUSTOMER_TLP } from './notice-vars';
export { noticeSender } from './notice-sender';
export { DATA_CATEGORY_LABELS, dataCategoryLabels } from './data-category-labels';
export {
  TRAINING_LINE,
  TRAINING_LINE_ES,
  TRAINING_LINE_ES_SMS,
  SMS_FOOTER,
  SIMULATED_LIAISON,
  SIMULATED_REPORTING_FACILITY,
} from './exercise-text';
export {
  placeholderContext,
  placeholderLawEnforcementReport,
  longestCarrier,
  DEFAULT_MARKER,
} from './placeholder-context';
