import type { Queryable } from '../../../../shared/store/db';
import type { Config } from '../../../../shared/config';
import { AppError } from '../../../../shared/errors';
import { getCarrier } from '../../../../shared/carriers';
import type { Locale, NoticeKind } from '../../../../shared/domain';
import { audienceFilter } from '../../../../shared/ledger/audience';
import {
  capReference,
  lintCap,
  noticeSender,
  renderCap,
  type CapInput,
  type CorrectedKind,
  type NoticeIncident,
} from '../../../../shared/notices';
import { readCampaign, type CampaignRow } from '../campaigns';
import { hasHolds, readIncident, toNoticeIncident, type IncidentRow } from '../incidents/incident-record';
import { capUtcOffset } from './cap-offset';

/**
 * A campaign's alert as CAP input: `sent` is when it was triggered (or created, for a draft's
 * preview), written in the regulatory zone's offset; the sender is whoever sends its notices (for a
 * correction, whoever sent the original). A correction is a Cancel that references the original.
 */
export function capInputFor(
  c: CampaignRow,
  incident: IncidentRow,
  notice: NoticeIncident,
  opts: { marker: string; zone: string; original?: CampaignRow },
): CapInput {
  const carrierId = audienceFilter.parse(c.audience ?? {}).carriers?.[0] ?? incident.carriers[0]!;
  const carrier = getCarrier(carrierId);
  const sent = new Date(c.triggered_at ?? c.created_at);
  const kind = c.kind as NoticeKind;
  const correctionOf =
    kind === 'correction' ? ((opts.original?.kind ?? 'carrier-notice') as CorrectedKind) : undefined;
  const base = {
    incident: notice,
    campaignId: c.id,
    kind,
    sender: noticeSender({ kind, carrier, ...(correctionOf ? { correctionOf } : {}) }).address,
    sent,
    utcOffset: capUtcOffset(sent, opts.zone),
    marker: opts.marker,
    locale: (c.locale ?? 'en') as Locale,
  };
  if (kind !== 'correction') return { ...base, msgType: 'Alert' };
  if (!opts.original) throw new Error(`correction ${c.id} has no original campaign`);
  return {
    ...base,
    msgType: 'Cancel',
    references: capReference(capInputFor(opts.original, incident, notice, { ...opts, original: undefined })),
  };
}

/** Renders and lints a campaign's CAP document; an artifact failing the lint is never served (422). */
export function renderCampaignCap(input: CapInput): string {
  const xml = renderCap(input);
  const problems = lintCap(xml, input.marker);
  if (problems.length > 0) {
    throw new AppError(
      'UNSAFE_CONTENT',
      `the CAP alert of campaign ${input.campaignId} fails the exercise-safety lint (${problems[0]!.message})`,
      problems.map((p) => ({ code: p.rule, message: p.message })),
    );
  }
  return xml;
}

export async function campaignCapXml(
  q: Queryable,
  config: Pick<Config, 'EXERCISE_MARKER' | 'REGULATORY_TIME_ZONE'>,
  id: number,
): Promise<string> {
  const c = await readCampaign(q, id);
  const incident = await readIncident(q, c.incident_id);
  const original = c.corrects_campaign_id ? await readCampaign(q, c.corrects_campaign_id) : undefined;
  const notice = toNoticeIncident(incident, await hasHolds(q, incident.id));
  return renderCampaignCap(
    capInputFor(c, incident, notice, {
      marker: config.EXERCISE_MARKER,
      zone: config.REGULATORY_TIME_ZONE,
      ...(original ? { original } : {}),
    }),
  );
}
