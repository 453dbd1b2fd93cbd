import type { Db } from '../../../../shared/store/db';
import type { Config } from '../../../../shared/config';
import { getCarrier } from '../../../../shared/carriers';
import type { Locale, NoticeKind } from '../../../../shared/domain';
import { audienceFilter, audienceWhere } from '../../../../shared/ledger/audience';
import { maskEmail, maskMsisdn } from '../../../../shared/audit/audit-event';
import type { CampaignPreview } from '../../../../shared/api/campaigns.schema';
import {
  lintCap,
  lintEmail,
  lintSms,
  renderCap,
  renderEmail,
  renderSms,
  wirelessPreview,
  type CorrectedKind,
  type LintProblem,
} from '../../../../shared/notices';
import { readCampaign } from '../campaigns';
import { hasHolds, readIncident, toNoticeIncident } from '../incidents/incident-record';
import { capInputFor } from './campaign-cap';
import { noticeContextFor } from './notice-lint';

interface SampleRow {
  id: number | null;
  carrier: string;
  msisdn: string | null;
  email: string | null;
  display_name: string | null;
  locale: string | null;
}

function attempt<T>(run: () => T): { value: T | null; problems: LintProblem[] } {
  try {
    return { value: run(), problems: [] };
  } catch (err) {
    return { value: null, problems: [{ rule: 'render', message: (err as Error).message }] };
  }
}

/**
 * Renders a campaign's notices for sample subscribers of its audience (lowest ids first; a
 * placeholder per carrier when nobody is registered yet), exactly as the send path would, with SMS
 * segment counts, the wireless-alert previews, the CAP alert and every lint problem. Changes nothing.
 * Contacts are masked unless the caller may read PII.
 */
export async function previewCampaign(
  deps: { db: Db; config: Pick<Config, 'EXERCISE_MARKER' | 'REGULATORY_TIME_ZONE'> },
  id: number,
  input: { sampleSize: number },
  opts: { revealContacts: boolean },
): Promise<CampaignPreview> {
  const c = await readCampaign(deps.db, id);
  const incident = await readIncident(deps.db, c.incident_id);
  const original = c.corrects_campaign_id ? await readCampaign(deps.db, c.corrects_campaign_id) : undefined;
  const notice = toNoticeIncident(incident, await hasHolds(deps.db, incident.id));
  const marker = deps.config.EXERCISE_MARKER;
  const audience = audienceFilter.parse(c.audience ?? {});
  const where = audienceWhere(audience, 2);
  const found = await deps.db.query<SampleRow>(
    `SELECT s.id, s.carrier, s.msisdn, s.email, s.display_name, s.locale FROM subscribers s
      WHERE s.erased_at IS NULL ${where.sql} ORDER BY s.id LIMIT $1`,
    [input.sampleSize, ...where.params],
  );
  const rows: SampleRow[] =
    found.rows.length > 0
      ? found.rows
      : (audience.carriers ?? incident.carriers).slice(0, input.sampleSize).map((carrier) => ({
          id: null,
          carrier,
          msisdn: null,
          email: null,
          display_name: null,
          locale: null,
        }));
  const noticeDate = new Date(c.triggered_at ?? Date.now());
  const correctionOf = original ? (original.kind as CorrectedKind) : undefined;
  let ok = true;
  const samples = rows.map((s) => {
    const locale = (c.locale ?? (s.locale === 'es' ? 'es' : 'en')) as Locale;
    const ctx = noticeContextFor(notice, {
      kind: c.kind as NoticeKind,
      ...(correctionOf ? { correctionOf } : {}),
      locale,
      carrier: getCarrier(s.carrier),
      marker,
      campaignId: c.id,
      noticeDate,
      displayName: s.display_name,
    });
    const sample: CampaignPreview['samples'][number] = {
      subscriberId: s.id,
      carrier: s.carrier,
      locale,
      wireless: attempt(() => wirelessPreview(ctx)).value ?? { short: '', long: '' },
    };
    if (c.channels.includes('email')) {
      const r = attempt(() => renderEmail(ctx));
      const lint = r.value ? lintEmail(r.value, marker) : r.problems;
      ok &&= lint.length === 0;
      sample.email = {
        to: s.email ? (opts.revealContacts ? s.email : maskEmail(s.email)) : null,
        subject: r.value?.subject ?? '',
        text: r.value?.text ?? '',
        html: r.value?.html ?? '',
        headers: r.value?.headers ?? {},
        lint,
      };
    }
    if (c.channels.includes('sms')) {
      const r = attempt(() => renderSms(ctx));
      const lint = r.value ? lintSms(r.value, marker) : r.problems;
      ok &&= lint.length === 0;
      sample.sms = {
        to: s.msisdn ? (opts.revealContacts ? s.msisdn : maskMsisdn(s.msisdn)) : null,
        text: r.value?.text ?? '',
        encoding: r.value?.segments.encoding ?? 'GSM-7',
        units: r.value?.segments.units ?? 0,
        segments: r.value?.segments.segments ?? 0,
        lint,
      };
    }
    return sample;
  });
  const cap = attempt(() =>
    renderCap(
      capInputFor(c, incident, notice, {
        marker,
        zone: deps.config.REGULATORY_TIME_ZONE,
        ...(original ? { original } : {}),
      }),
    ),
  );
  const capLint = cap.value ? lintCap(cap.value, marker) : cap.problems;
  ok &&= capLint.length === 0;
  return { campaignId: c.id, kind: c.kind, ok, samples, cap: { xml: cap.value ?? '', lint: capLint } };
}
