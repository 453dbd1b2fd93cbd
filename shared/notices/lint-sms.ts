import type { LintProblem } from '../safety';
import { SMS_FOOTER } from './exercise-text';
import { markerProblem } from './exercise-marker';
import { dedupe, lintAddresses, lintAdvisoryIds, lintPart, lintTlp } from './lint-rules';
import type { RenderedSms } from './notice-types';
import { smsSegments } from './sms-segments';

/** Every SMS, marker and footer included, fits in this many segments (DOMAIN.md §3). */
export const MAX_SMS_SEGMENTS = 2;

/** The send-path check for one SMS (DOMAIN.md §3, §4). Empty means safe to send. */
export function lintSms(sms: RenderedSms, marker: string): LintProblem[] {
  const bad = markerProblem(marker);
  if (bad) return [bad];
  const problems: LintProblem[] = [
    ...lintPart('sms', sms.text, marker, { endsWithMarker: false, needsTrainingLine: true }),
    ...lintTlp([sms.text]),
    ...lintAdvisoryIds(sms.text),
    ...lintAddresses(sms.text),
  ];
  if (!sms.text.trimEnd().endsWith(SMS_FOOTER)) {
    problems.push({ rule: 'sms-footer', message: `sms: does not end with "${SMS_FOOTER}"` });
  }
  const segments = smsSegments(sms.text); // recomputed: the attached count is not trusted
  if (segments.segments > MAX_SMS_SEGMENTS) {
    problems.push({
      rule: 'sms-segments',
      message: `sms: ${segments.segments} segments (${segments.units} ${segments.encoding} units); at most ${MAX_SMS_SEGMENTS} allowed`,
    });
  }
  return dedupe(problems);
}
