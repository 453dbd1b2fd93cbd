import { findCarrier, type Carrier } from '../../../../shared/carriers';
import type { Channel, Locale, NoticeKind } from '../../../../shared/domain';
import { AppError } from '../../../../shared/errors';
import {
  lintCap,
  lintEmail,
  lintSms,
  noticeSender,
  renderCap,
  renderEmail,
  renderSms,
  type CorrectedKind,
  type LintProblem,
  type NoticeContext,
  type NoticeIncident,
} from '../../../../shared/notices';
import { capUtcOffset } from './cap-offset';

/** What a campaign would send: the notice kind and every (carrier, locale, channel) it may render in. */
export interface NoticeSubject {
  kind: NoticeKind;
  correctionOf?: CorrectedKind;
  channels: readonly Channel[];
  /** The campaign's locale, or both when each subscriber's own locale decides. */
  locales: readonly Locale[];
  carriers: readonly string[];
}

export function noticeContextFor(
  incident: NoticeIncident,
  o: {
    kind: NoticeKind;
    correctionOf?: CorrectedKind;
    locale: Locale;
    carrier: Carrier;
    marker: string;
    campaignId: number;
    noticeDate: Date;
    displayName: string | null;
  },
): NoticeContext {
  return {
    kind: o.kind,
    locale: o.locale,
    marker: o.marker,
    campaignId: o.campaignId,
    noticeDate: o.noticeDate,
    incident,
    carrier: o.carrier,
    recipient: { displayName: o.displayName },
    ...(o.correctionOf ? { correctionOf: o.correctionOf } : {}),
  };
}

function rendered(where: string, run: () => LintProblem[]): LintProblem[] {
  try {
    return run().map((p) => ({ rule: p.rule, message: `${where}: ${p.message}` }));
  } catch (err) {
    return [{ rule: 'render', message: `${where}: ${(err as Error).message}` }];
  }
}

/**
 * Renders what a campaign would send, for every locale and channel (recipient without a name, the
 * generic greeting), plus its CAP alert, through the send-path lint. Empty means safe. The send path
 * lints every message again; this catches an unsafe incident text before anything exists.
 * SMS are rendered for every carrier (the two-segment limit depends on the carrier's name and URL);
 * email and CAP for the first one only: carriers differ there in fixed, fictional registry text, and
 * an email costs about 2 ms to render and lint.
 */
export function lintNotices(
  incident: NoticeIncident,
  subject: NoticeSubject,
  opts: { marker: string; campaignId: number; noticeDate: Date; timeZone: string },
): LintProblem[] {
  const problems: LintProblem[] = [];
  const known = subject.carriers.filter((c) => findCarrier(c)); // unknown: refused as UNKNOWN_CARRIER
  for (const [index, carrierId] of known.entries()) {
    const carrier = findCarrier(carrierId)!;
    for (const locale of subject.locales) {
      const ctx = noticeContextFor(incident, {
        ...subject,
        ...opts,
        locale,
        carrier,
        displayName: null,
      });
      const where = `${subject.kind}${subject.correctionOf ? `(${subject.correctionOf})` : ''}/${locale}/${carrierId}`;
      for (const channel of subject.channels) {
        if (channel === 'email' && index > 0) continue;
        problems.push(
          ...rendered(`${where}/${channel}`, () =>
            channel === 'email'
              ? lintEmail(renderEmail(ctx), opts.marker)
              : lintSms(renderSms(ctx), opts.marker),
          ),
        );
      }
      if (subject.kind !== 'correction' && index === 0) {
        problems.push(
          ...rendered(`${where}/cap`, () =>
            lintCap(
              renderCap({
                incident,
                campaignId: opts.campaignId,
                kind: subject.kind,
                sender: noticeSender(ctx).address,
                sent: opts.noticeDate,
                utcOffset: capUtcOffset(opts.noticeDate, opts.timeZone),
                msgType: 'Alert',
                marker: opts.marker,
                locale,
              }),
              opts.marker,
            ),
          ),
        );
      }
    }
  }
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.message) && seen.add(p.message));
}

/** UNSAFE_CONTENT (422) listing the first problems; nothing is created or changed. */
export function assertNoticesSafe(problems: readonly LintProblem[], what: string): void {
  if (problems.length === 0) return;
  throw new AppError(
    'UNSAFE_CONTENT',
    `${what} would render notices that fail the exercise-safety lint (${problems[0]!.message})`,
    problems.slice(0, 50).map((p) => ({ code: p.rule, message: p.message })),
  );
}
