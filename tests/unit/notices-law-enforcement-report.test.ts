import { describe, expect, it } from 'vitest';
import {
  lawEnforcementReportSchema,
  lintEmail,
  placeholderContext,
  placeholderLawEnforcementReport,
  renderLawEnforcementReport,
} from '../../shared/notices';

const MARKER = 'EXERCISE EXERCISE EXERCISE';
const report = placeholderLawEnforcementReport();
const FIELDS = [
  'carrierContact',
  'incidentDescription',
  'methodOfCompromise',
  'dateRange',
  'approximateCustomersAffected',
  'estimatedFinancialLossUsd',
  'dataTypes',
] as const;

describe('lawEnforcementReportSchema (FCC 64.2011(a)(1), DOMAIN.md §2)', () => {
  it('accepts a complete report, with dates as ISO strings from JSON', () => {
    expect(lawEnforcementReportSchema.safeParse(report).success).toBe(true);
    const json = JSON.parse(JSON.stringify(report)) as unknown;
    const parsed = lawEnforcementReportSchema.parse(json);
    expect(parsed.dateRange.start).toEqual(report.dateRange.start);
  });

  it('has exactly the seven fields', () => {
    expect(Object.keys(lawEnforcementReportSchema.shape).sort()).toEqual([...FIELDS].sort());
  });

  it.each(FIELDS)('refuses a report without %s', (field) => {
    const { [field]: _dropped, ...rest } = report;
    const result = lawEnforcementReportSchema.safeParse(rest);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path[0])).toContain(field);
  });

  it.each([
    ['an empty description', { incidentDescription: '   ' }, 'incidentDescription'],
    ['a null date', { dateRange: { start: null, end: report.dateRange.end } }, 'dateRange'],
    ['an unparseable date', { dateRange: { start: 'soon', end: report.dateRange.end } }, 'dateRange'],
    [
      'a range that ends before it starts',
      { dateRange: { start: report.dateRange.end, end: report.dateRange.start } },
      'dateRange',
    ],
    ['a negative customer count', { approximateCustomersAffected: -1 }, 'approximateCustomersAffected'],
    ['a fractional customer count', { approximateCustomersAffected: 1.5 }, 'approximateCustomersAffected'],
    ['a negative loss', { estimatedFinancialLossUsd: -5 }, 'estimatedFinancialLossUsd'],
    ['no data types', { dataTypes: [] }, 'dataTypes'],
    ['an unknown data type', { dataTypes: ['ssn'] }, 'dataTypes'],
    [
      'a real carrier name',
      { carrierContact: { ...report.carrierContact, carrierName: 'Verizon Wireless' } },
      'carrierContact',
    ],
    [
      'a phone outside 555-01XX',
      { carrierContact: { ...report.carrierContact, phone: '+12025551234' } },
      'carrierContact',
    ],
    [
      'an email on a real domain',
      { carrierContact: { ...report.carrierContact, email: 'ciso@gmail.com' } },
      'carrierContact',
    ],
  ])('refuses %s', (_name, patch, path) => {
    const result = lawEnforcementReportSchema.safeParse({ ...report, ...patch });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path[0])).toContain(path);
  });
});

describe('renderLawEnforcementReport', () => {
  it.each(['en', 'es'] as const)('%s: prints all seven fields and passes the lint', (locale) => {
    const ctx = placeholderContext('law-enforcement-report', locale);
    const email = renderLawEnforcementReport(report, ctx);
    expect(lintEmail(email, MARKER)).toEqual([]);
    for (const heading of [
      '1. Carrier Address and Contact',
      '2. Description of the Incident',
      '3. Method of Compromise',
      '4. Date Range of the Incident',
      '5. Approximate Number of Customers Affected',
      '6. Estimated Financial Loss',
      '7. Types of Data Involved',
    ]) {
      expect(email.text).toContain(`\n${heading}\n`);
    }
    for (const value of [
      report.carrierContact.carrierName,
      report.carrierContact.postalAddress,
      report.carrierContact.contactName,
      '+1 (202) 555-0100',
      report.carrierContact.email,
      report.incidentDescription,
      report.methodOfCompromise,
      locale === 'en'
        ? 'March 1, 2024 to November 30, 2024'
        : 'Del 1 de marzo de 2024 al 30 de noviembre de 2024',
      locale === 'en' ? 'Approximately 125,000' : 'Aproximadamente 125.000',
      locale === 'en' ? '$2,500,000' : '2.500.000 USD',
    ]) {
      expect(email.text).toContain(value);
    }
    expect(email.text).toContain('SIMULATED FCC / SIMULATED Secret Service / SIMULATED FBI');
    expect(email.headers['X-Notice-Kind']).toBe('law-enforcement-report');
    expect(renderLawEnforcementReport(report, ctx)).toEqual(email);
  });

  it('parses again before rendering: an incomplete report throws', () => {
    const { methodOfCompromise: _m, ...rest } = report;
    const ctx = placeholderContext('law-enforcement-report', 'en');
    expect(() => renderLawEnforcementReport(rest as typeof report, ctx)).toThrow(/methodOfCompromise/);
  });
});
