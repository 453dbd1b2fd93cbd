import { CARRIERS } from '../carriers';
import type { LintProblem } from '../safety';
import { lawEnforcementReportVars } from './law-enforcement-report';
import { lintEmail } from './lint-email';
import { dedupe, lintAddresses, lintAdvisoryIds, lintContentAt, lintTlp } from './lint-rules';
import { lintSms } from './lint-sms';
import { noticeVars } from './notice-vars';
import { placeholderContext, placeholderLawEnforcementReport } from './placeholder-context';
import { renderEmailTemplate } from './render-email';
import { renderSmsTemplate } from './render-sms';
import type { EmailTemplate, NoticeTemplate, TemplateBlock } from './template-types';

/** Every string a template holds, placeholders unfilled. */
export function templateStrings(template: NoticeTemplate): string[] {
  if (template.channel === 'sms') return [template.body];
  const block = (b: TemplateBlock): string[] =>
    typeof b === 'string' ? [b] : 'rows' in b ? b.rows.flatMap(([label, value]) => [label, value]) : [];
  const t: EmailTemplate = template;
  return [
    t.subject,
    t.title,
    ...(t.subtitle === undefined ? [] : [t.subtitle]),
    ...t.intro.flatMap(block),
    ...t.sections.flatMap((s) => [
      s.heading,
      ...(s.subheading === undefined ? [] : [s.subheading]),
      ...s.blocks.flatMap(block),
    ]),
    ...t.signature,
  ];
}

/**
 * Lints a template twice: its own text (placeholders unfilled), then its rendering with placeholder
 * data through the send-path lint. SMS templates are rendered for every fictional carrier, so the
 * two-segment limit holds for the longest name and support URL. Empty means the template is safe.
 */
export function lintTemplate(template: NoticeTemplate): LintProblem[] {
  const raw = templateStrings(template).join('\n');
  const where = `template ${template.id}`;
  const problems: LintProblem[] = [
    ...lintContentAt(where, raw),
    ...lintTlp([raw]),
    ...lintAdvisoryIds(raw),
    ...lintAddresses(raw),
  ];
  try {
    if (template.channel === 'email') {
      const ctx = placeholderContext(template.kind, template.locale);
      const vars =
        template.kind === 'law-enforcement-report'
          ? lawEnforcementReportVars(placeholderLawEnforcementReport(ctx.carrier), ctx)
          : noticeVars(ctx);
      problems.push(...lintEmail(renderEmailTemplate(template, ctx, vars), ctx.marker));
    } else {
      for (const carrier of CARRIERS) {
        const ctx = placeholderContext(template.kind, template.locale, { carrier });
        const sms = renderSmsTemplate(template, ctx, noticeVars(ctx));
        problems.push(
          ...lintSms(sms, ctx.marker).map((p) => ({ ...p, message: `${carrier.id}: ${p.message}` })),
        );
      }
    }
  } catch (err) {
    problems.push({ rule: 'template-render', message: `${where}: ${(err as Error).message}` });
  }
  return dedupe(problems);
}
