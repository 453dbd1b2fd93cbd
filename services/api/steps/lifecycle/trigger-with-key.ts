import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { isAppError } from '../../../../shared/errors';
import type { triggerAccepted } from '../../../../shared/api/campaigns.schema';
import { triggerCampaign } from '../campaigns';
import type { ApiDeps } from '../api-deps';
import {
  busyError,
  claimIdempotencyKey,
  completeIdempotencyKey,
  mismatchError,
  releaseIdempotencyKey,
} from '../subscribers/idempotency';

type TriggerAccepted = z.infer<typeof triggerAccepted>;

const accepted = (r: Awaited<ReturnType<typeof triggerCampaign>>): TriggerAccepted => ({
  ...r,
  statusUrl: `/v1/campaigns/${r.id}`,
});

/**
 * The trigger this caller's abandoned request made, if it committed before its process died: the
 * campaign's `campaign.triggered` event by this actor since that request began.
 */
async function triggerOfAbandoned(
  deps: Pick<ApiDeps, 'db'>,
  id: number,
  actor: string,
  since: Date,
): Promise<TriggerAccepted | null> {
  const r = await deps.db.query<{ starts_at: string | null }>(
    `SELECT details->>'startsAt' AS starts_at FROM audit_log
      WHERE campaign_id = $1 AND type = 'campaign.triggered' AND actor = $2
        AND at >= $3::timestamptz - interval '1 second'
      ORDER BY seq DESC LIMIT 1`,
    [id, actor, since],
  );
  const row = r.rows[0];
  if (!row) return null;
  return accepted({ id, state: 'triggered', ...(row.starts_at ? { startsAt: row.starts_at } : {}) });
}

/**
 * POST /v1/campaigns/:id/trigger. A campaign triggers once whatever happens (its state machine makes a
 * second trigger a 409); the Idempotency-Key is for the client that never saw its answer (the api
 * died, the connection dropped) and replays: the same key, caller and campaign answer the first 202
 * again, and the same key for another campaign is a 409. When the first request died after its
 * trigger committed, its key is taken over once its lease runs out (idempotency.ts) and the trigger
 * it made is the answer; the reconciler enqueues the fan-out it may not have reached.
 */
export async function triggerCampaignWithKey(
  deps: ApiDeps,
  input: { id: number; actor: string; idempotencyKey: string | undefined },
): Promise<{ body: TriggerAccepted; replayed: boolean }> {
  const { id, actor, idempotencyKey: key } = input;
  if (key === undefined) return { body: accepted(await triggerCampaign(deps, id, actor)), replayed: false };
  const scope = `${actor} POST /v1/campaigns/:id/trigger`;
  const requestHash = createHash('sha256').update(`campaign ${id}`).digest('hex');
  const claim = await claimIdempotencyKey(deps.db, scope, key);
  if (claim.kind === 'busy') throw busyError();
  if (claim.kind === 'replay') {
    if (claim.answer.requestHash !== requestHash) throw mismatchError();
    return { body: claim.answer.body as TriggerAccepted, replayed: true };
  }
  try {
    let body: TriggerAccepted;
    try {
      body = accepted(await triggerCampaign(deps, id, actor));
      deps.afterTriggerHook?.();
    } catch (err) {
      const earlier =
        claim.abandonedAt && isAppError(err) && err.code === 'CONFLICT'
          ? await triggerOfAbandoned(deps, id, actor, claim.abandonedAt)
          : null;
      if (!earlier) throw err;
      body = earlier;
    }
    await completeIdempotencyKey(deps.db, scope, key, {
      status: 202,
      body,
      requestHash,
      requestBytes: 0,
    });
    return { body, replayed: false };
  } catch (err) {
    await releaseIdempotencyKey(deps.db, scope, key).catch(() => undefined);
    throw err;
  }
}
