import { singleLine } from './escape-markup';
import { assertMarker } from './exercise-marker';
import { SMS_FOOTER, TRAINING_LINE, TRAINING_LINE_ES_SMS } from './exercise-text';
import { interpolate } from './interpolate';
import { findTemplate } from './notice-templates';
import type { NoticeContext, RenderedSms } from './notice-types';
import { noticeVars } from './notice-vars';
import { smsSegments } from './sms-segments';
import type { SmsTemplate, TemplateVars } from './template-types';

/** Renders the default SMS template of `ctx.kind` in `ctx.locale` (not for the law-enforcement report). */
export function renderSms(ctx: NoticeContext): RenderedSms {
  if (ctx.kind === 'law-enforcement-report') {
    throw new RangeError('law-enforcement-report is sent by email only (DOMAIN.md §2)');
  }
  return renderSmsTemplate(findTemplate(ctx.kind, ctx.locale, 'sms'), ctx, noticeVars(ctx));
}

/**
 * Lays out one SMS: marker, body, training line(s), opt-out footer, one per line. Segment limits are
 * the lint's business (`lintSms`): rendering never truncates, so nothing is silently cut.
 */
export function renderSmsTemplate(
  template: SmsTemplate,
  ctx: Pick<NoticeContext, 'marker'>,
  vars: TemplateVars,
): RenderedSms {
  assertMarker(ctx.marker);
  const lines = [ctx.marker, singleLine(interpolate(template.body, vars, template.id)), TRAINING_LINE];
  if (template.locale === 'es') lines.push(TRAINING_LINE_ES_SMS);
  lines.push(SMS_FOOTER);
  const text = lines.join('\n');
  return { text, segments: smsSegments(text) };
}
