import { z } from 'zod';
import { DATA_CATEGORIES } from '../domain';
import { checkEmail, checkMsisdn, lintContent } from '../safety';
import { dataCategoryLabels } from './data-category-labels';
import { singleLine } from './escape-markup';
import { formatLongDate } from './format-date';
import { formatInteger } from './format-number';
import { findTemplate } from './notice-templates';
import type { NoticeContext, RenderedEmail } from './notice-types';
import { formatNanpPhone, noticeVars } from './notice-vars';
import { renderEmailTemplate } from './render-email';
import type { TemplateVars } from './template-types';

const text = z.string().trim().min(1, 'required').max(4000);

/** A JSON string (ISO 8601) or a Date; an unparseable one fails as an invalid date. */
const date = z.preprocess((v) => (typeof v === 'string' ? new Date(v) : v), z.date());

/**
 * The carrier's breach report under the amended FCC rule 64.2011(a)(1) (DOMAIN.md §2): all seven
 * fields required, so a report missing one never validates.
 */
export const lawEnforcementReportSchema = z.object({
  /** (1) Carrier address and contact. Fictional: reserved phone range and email domain. */
  carrierContact: z.object({
    carrierName: text.refine((s) => lintContent(s).length === 0, 'must be a fictional carrier name'),
    postalAddress: text,
    contactName: text,
    phone: z.string().refine((s) => checkMsisdn(s) === null, 'must be E.164 in +1NPA55501XX'),
    email: z.string().refine((s) => checkEmail(s) === null, 'must be an address on a reserved domain'),
  }),
  /** (2) Description of the incident. */
  incidentDescription: text,
  /** (3) Method of compromise. */
  methodOfCompromise: text,
  /** (4) Date range of the incident. */
  dateRange: z.object({ start: date, end: date }).refine((r) => r.end.getTime() >= r.start.getTime(), {
    message: 'end must not be before start',
    path: ['end'],
  }),
  /** (5) Approximate number of customers affected. */
  approximateCustomersAffected: z.number().int().nonnegative(),
  /** (6) Estimated financial loss, in US dollars. */
  estimatedFinancialLossUsd: z.number().nonnegative().finite(),
  /** (7) Types of data involved. */
  dataTypes: z.array(z.enum(DATA_CATEGORIES)).min(1),
});

export type LawEnforcementReport = z.infer<typeof lawEnforcementReportSchema>;

const WORDING = {
  en: {
    customers: (n: string) => `Approximately ${n}`,
    loss: (n: string) => `$${n} (estimate, US dollars)`,
  },
  es: {
    customers: (n: string) => `Aproximadamente ${n}`,
    loss: (n: string) => `${n} USD (estimación, dólares estadounidenses)`,
  },
} as const;

/** The report's placeholder values, on top of the notice's own (carrier, exercise, dates). */
export function lawEnforcementReportVars(report: LawEnforcementReport, ctx: NoticeContext): TemplateVars {
  const { locale } = ctx;
  const c = report.carrierContact;
  return {
    ...noticeVars({ ...ctx, kind: 'law-enforcement-report' }),
    reportCarrierName: singleLine(c.carrierName),
    reportCarrierAddress: singleLine(c.postalAddress),
    reportContactName: singleLine(c.contactName),
    reportContactPhone: formatNanpPhone(c.phone),
    reportContactEmail: c.email,
    reportDescription: singleLine(report.incidentDescription),
    reportMethod: singleLine(report.methodOfCompromise),
    reportWindowStart: formatLongDate(report.dateRange.start, locale),
    reportWindowEnd: formatLongDate(report.dateRange.end, locale),
    reportCustomersAffected: WORDING[locale].customers(
      formatInteger(report.approximateCustomersAffected, locale),
    ),
    reportFinancialLoss: WORDING[locale].loss(formatInteger(report.estimatedFinancialLossUsd, locale)),
    reportDataTypes: dataCategoryLabels(report.dataTypes, locale).join('; '),
  };
}

/**
 * Renders the report email to the simulated reporting facility. The report is parsed again here (it
 * is cheap, and this is the last gate before it leaves): an incomplete report throws a ZodError.
 */
export function renderLawEnforcementReport(report: LawEnforcementReport, ctx: NoticeContext): RenderedEmail {
  const parsed = lawEnforcementReportSchema.parse(report);
  const template = findTemplate('law-enforcement-report', ctx.locale, 'email');
  const reportCtx: NoticeContext = { ...ctx, kind: 'law-enforcement-report' };
  return renderEmailTemplate(template, reportCtx, lawEnforcementReportVars(parsed, reportCtx));
}
