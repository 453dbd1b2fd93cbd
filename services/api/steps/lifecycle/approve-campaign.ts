import type { Db } from '../../../../shared/store/db';
import type { Config } from '../../../../shared/config';
import { AppError } from '../../../../shared/errors';
import { appendAudit } from '../../../../shared/audit/append-audit';
import type { Campaign } from '../../../../shared/api/campaigns.schema';
import { LOCALES, type Locale, type NoticeKind } from '../../../../shared/domain';
import { audienceFilter } from '../../../../shared/ledger/audience';
import type { CorrectedKind } from '../../../../shared/notices';
import { getCampaign, readCampaign } from '../campaigns';
import { hasHolds, readIncident, toNoticeIncident } from '../incidents/incident-record';
import { assertNoticesSafe, lintNotices } from './notice-lint';

/**
 * Approval (two-person rule): a draft becomes `approved` only by an API key other than the one that
 * created it. The check and the state change are one conditional UPDATE on the locked row, so two
 * concurrent approvals cannot both win and the creator can never slip through. The notices are
 * rendered and linted again first (422 if unsafe). A refusal by the rule is itself audited.
 * Ordering rules (report, holds, determinations) depend on when notices go out, so they are checked
 * at trigger, not here.
 */
export async function approveCampaign(
  deps: { db: Db; config: Pick<Config, 'EXERCISE_MARKER' | 'REGULATORY_TIME_ZONE'> },
  id: number,
  actor: string,
): Promise<Campaign> {
  const outcome = await deps.db.transaction(async (tx) => {
    const c = await readCampaign(tx, id, true);
    if (c.state !== 'draft') {
      throw new AppError('CONFLICT', `campaign ${id} is ${c.state}; only a draft can be approved`, [
        { code: c.state === 'approved' ? 'already_approved' : 'not_draft', message: `state ${c.state}` },
      ]);
    }
    if (c.created_by === actor) {
      await appendAudit(tx, [
        {
          type: 'campaign.approval_refused',
          actor,
          incidentId: c.incident_id,
          campaignId: id,
          outcome: 'two_person_rule',
          details: { createdBy: c.created_by },
        },
      ]);
      return 'refused' as const;
    }
    const incident = await readIncident(tx, c.incident_id);
    const audience = audienceFilter.parse(c.audience ?? {});
    let correctionOf: CorrectedKind | undefined;
    if (c.corrects_campaign_id) {
      const original = await readCampaign(tx, c.corrects_campaign_id);
      correctionOf = original.kind as CorrectedKind;
    }
    assertNoticesSafe(
      lintNotices(
        toNoticeIncident(incident, await hasHolds(tx, incident.id)),
        {
          kind: c.kind as NoticeKind,
          ...(correctionOf ? { correctionOf } : {}),
          channels: c.channels,
          locales: c.locale ? [c.locale as Locale] : LOCALES,
          carriers: audience.carriers ?? incident.carriers,
        },
        {
          marker: deps.config.EXERCISE_MARKER,
          campaignId: id,
          noticeDate: new Date(),
          timeZone: deps.config.REGULATORY_TIME_ZONE,
        },
      ),
      `campaign ${id}`,
    );
    const upd = await tx.query<{ id: number }>(
      `UPDATE campaigns SET state = 'approved', approved_by = $2, approved_at = now(), updated_at = now()
        WHERE id = $1 AND state = 'draft' AND created_by IS DISTINCT FROM $2 RETURNING id`,
      [id, actor],
    );
    if (!upd.rows[0]) throw new AppError('CONFLICT', `campaign ${id} changed while being approved; retry`);
    await appendAudit(tx, [
      {
        type: 'campaign.approved',
        actor,
        incidentId: c.incident_id,
        campaignId: id,
        outcome: 'approved',
        details: { createdBy: c.created_by, approvedBy: actor },
      },
    ]);
    return 'approved' as const;
  });
  if (outcome === 'refused') {
    throw new AppError(
      'FORBIDDEN',
      `campaign ${id} was created with this API key; a second, distinct key must approve it (two-person rule)`,
      [{ code: 'two_person_rule', message: 'the approver must not be the creator' }],
    );
  }
  return getCampaign(deps.db, id);
}
