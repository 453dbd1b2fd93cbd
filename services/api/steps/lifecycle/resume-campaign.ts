import type { Db } from '../../../../shared/store/db';
import { AppError } from '../../../../shared/errors';
import { appendAudit } from '../../../../shared/audit/append-audit';
import { isCustomerNoticeKind, type CampaignState } from '../../../../shared/domain';
import { isHoldActive } from '../../../../shared/regulatory/holds';
import { readCampaign } from '../campaigns';
import { lockIncident } from '../incidents/incident-record';
import { loadHolds, toDirective } from '../incidents/incident-clock';

/**
 * Resume a paused campaign, unless it is a customer notice and an agency hold is active on its
 * incident (DOMAIN.md §5): only the hold's release resumes those. Checked under the incident lock,
 * so a hold directed concurrently either comes first (refused here) or pauses it again after.
 */
export async function resumeCampaignUnlessHeld(
  db: Db,
  id: number,
  actor: string,
): Promise<{ id: number; state: CampaignState }> {
  return db.transaction(async (tx) => {
    const first = await readCampaign(tx, id);
    await lockIncident(tx, first.incident_id);
    const c = await readCampaign(tx, id, true);
    if (c.state !== 'paused') {
      throw new AppError('CONFLICT', `campaign ${id} is ${c.state}; resume needs one of: paused`);
    }
    if (isCustomerNoticeKind(c.kind)) {
      const now = new Date();
      const active = (await loadHolds(tx, c.incident_id)).filter((h) => isHoldActive(toDirective(h), now));
      if (active.length > 0) {
        throw new AppError(
          'CONFLICT',
          `an agency hold is active on incident ${c.incident_id} (hold ${active.map((h) => h.id).join(', ')}); its release resumes this campaign`,
          [{ code: 'agency-hold', message: 'customer notices are on hold' }],
        );
      }
    }
    await tx.query(
      `UPDATE campaigns SET state = 'running', paused_by_hold = false, updated_at = now() WHERE id = $1`,
      [id],
    );
    await appendAudit(tx, [
      { type: 'campaign.resumed', actor, incidentId: c.incident_id, campaignId: id, outcome: 'running' },
    ]);
    return { id, state: 'running' as const };
  });
}
