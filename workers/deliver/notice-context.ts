import type { Db } from '../../shared/store/db';
import type { DataCategory, Locale, NoticeKind, TlpLabel } from '../../shared/domain';
import type { CorrectedKind, NoticeIncident } from '../../shared/notices';

export interface CampaignContext {
  campaignId: number;
  incidentId: number;
  kind: NoticeKind;
  locale: Locale | null;
  /** A correction's original kind: the correction comes from whoever sent the original. */
  correctionOf: CorrectedKind | null;
  noticeDate: Date;
  incident: NoticeIncident;
  /** At most this many notifications per second (campaign-throttle.ts); null: no campaign limit. */
  throttlePerSec: number | null;
}

/**
 * What every notice of a campaign shares, read once per campaign per process. Campaign content is
 * immutable once triggered, so the cache never goes stale; state is re-read by each claim.
 */
export function createCampaignContextCache(db: Db, max = 256) {
  const cache = new Map<number, Promise<CampaignContext>>();
  async function load(campaignId: number): Promise<CampaignContext> {
    const r = await db.query<{
      kind: NoticeKind;
      locale: Locale | null;
      triggered_at: Date | null;
      incident_id: number;
      exercise_id: string;
      title: string;
      threat_actor: string;
      data_categories: DataCategory[];
      window_start: Date;
      window_end: Date;
      determined_at: Date;
      tlp: TlpLabel;
      advisory_id: string;
      le_delayed: boolean;
      correction_of: CorrectedKind | null;
      throttle_per_sec: number | null;
    }>(
      `SELECT c.kind, c.locale, c.triggered_at, c.throttle_per_sec, i.id AS incident_id, i.exercise_id, i.title, i.threat_actor,
              i.data_categories, i.window_start, i.window_end, i.determined_at, i.tlp, i.advisory_id,
              EXISTS (SELECT 1 FROM incident_holds h WHERE h.incident_id = i.id) AS le_delayed,
              (SELECT o.kind FROM campaigns o WHERE o.id = c.corrects_campaign_id) AS correction_of
         FROM campaigns c JOIN incidents i ON i.id = c.incident_id WHERE c.id = $1`,
      [campaignId],
    );
    const row = r.rows[0];
    if (!row) throw new Error(`campaign ${campaignId} not found`);
    return {
      campaignId,
      incidentId: row.incident_id,
      kind: row.kind,
      locale: row.locale,
      correctionOf: row.correction_of,
      throttlePerSec: row.throttle_per_sec,
      noticeDate: new Date(row.triggered_at ?? Date.now()),
      incident: {
        id: row.incident_id,
        exerciseId: row.exercise_id,
        title: row.title,
        threatActor: row.threat_actor,
        dataCategories: row.data_categories,
        windowStart: new Date(row.window_start),
        windowEnd: new Date(row.window_end),
        determinedAt: new Date(row.determined_at),
        tlp: row.tlp,
        advisoryId: row.advisory_id,
        lawEnforcementDelayed: row.le_delayed,
      },
    };
  }
  return {
    get(campaignId: number): Promise<CampaignContext> {
      let p = cache.get(campaignId);
      if (!p) {
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        p = load(campaignId);
        p.catch(() => cache.delete(campaignId));
        cache.set(campaignId, p);
      }
      return p;
    },
  };
}
export type CampaignContextCache = ReturnType<typeof createCampaignContextCache>;
