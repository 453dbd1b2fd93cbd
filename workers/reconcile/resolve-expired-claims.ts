import type { Logger } from '../../shared/logger';
import type { Db } from '../../shared/store/db';
import type { Channel } from '../../shared/domain';
import { idempotencyKey, messageIdFor } from '../../shared/queues';
import { claimChunk } from '../../shared/ledger/claim-chunk';
import { recordOutcomes } from '../../shared/ledger/record-outcomes';
import type { SendOutcome } from '../../shared/ledger/ledger-types';
import type { ChannelAdapter } from '../deliver/channels/channel-adapter';

const LOOKUP_CONCURRENCY = 32; // arrival lookups in flight at once
const RESOLVE_SLICE = 4 * LOOKUP_CONCURRENCY; // rows claimed, looked up and recorded together

export interface ResolveDeps {
  db: Db;
  adapters: Record<Channel, ChannelAdapter>;
  actor: string;
  logger: Logger;
  leaseMs?: number;
  /** The campaign the ids belong to, when the caller knows it: the ledger is partitioned by
   * campaign (migration 050), so the lookup then reads one partition instead of probing all. */
  campaignId?: number;
}

export interface Retry {
  campaignId: number;
  channel: Channel;
  carrier: string;
  id: number;
  attempt: number;
  delayMs: number;
}

/** The key the receiving side knows a notification by: the SMS idempotency key or the Message-ID. */
export function arrivalKey(channel: Channel, campaignId: number, notificationId: number): string {
  return channel === 'sms'
    ? idempotencyKey(campaignId, notificationId)
    : messageIdFor(campaignId, notificationId).replace(/^<|>$/g, '');
}

/**
 * Resolves rows left in `sending` by a crashed sender: take the claim over, ask the carrier-sim
 * whether each message arrived, and record `sent`/`delivered` when it did or a retry when it did not.
 * Nothing is resent before that question is answered, so a crash never yields a second copy.
 */
export async function resolveExpiredClaims(ids: readonly number[], deps: ResolveDeps): Promise<Retry[]> {
  if (ids.length === 0) return [];
  const rows = await deps.db.query<{ id: number; campaign_id: number; incident_id: number }>(
    `SELECT n.id, n.campaign_id, c.incident_id FROM notification n JOIN campaigns c ON c.id = n.campaign_id
      WHERE n.id = ANY($1::bigint[]) AND ($2::bigint IS NULL OR n.campaign_id = $2)
        AND n.state = 'sending' AND n.lease_until < now()`,
    [ids, deps.campaignId ?? null],
  );
  const byCampaign = new Map<number, { incidentId: number; ids: number[] }>();
  for (const r of rows.rows) {
    const e = byCampaign.get(r.campaign_id) ?? { incidentId: r.incident_id, ids: [] };
    e.ids.push(r.id);
    byCampaign.set(r.campaign_id, e);
  }
  const retries: Retry[] = [];
  for (const [campaignId, { incidentId, ids: all }] of byCampaign) {
    // A slice at a time, each recorded before the next is claimed: a resolver that dies mid-pass (a
    // killed worker) leaves only its slice to wait out the lease again, not every row it was given.
    for (let s = 0; s < all.length; s += RESOLVE_SLICE) {
      const cids = all.slice(s, s + RESOLVE_SLICE);
      const claim = await claimChunk(deps.db, {
        campaignId,
        ids: cids,
        leaseMs: deps.leaseMs ?? 30_000,
        actor: deps.actor,
        mode: 'expired',
      });
      const outcomes: SendOutcome[] = [];
      // Ask the receiving side about several messages at once (a crash strands whole chunks).
      for (let i = 0; i < claim.claimed.length; i += LOOKUP_CONCURRENCY) {
        const batch = claim.claimed.slice(i, i + LOOKUP_CONCURRENCY);
        const answers = await Promise.all(
          batch.map((n) => deps.adapters[n.channel].hasArrived(arrivalKey(n.channel, campaignId, n.id))),
        );
        batch.forEach((n, j) => {
          const key = arrivalKey(n.channel, campaignId, n.id);
          outcomes.push(
            answers[j]
              ? {
                  id: n.id,
                  result: 'sent',
                  providerId: key,
                  latencyMs: 0,
                  finalDelivery: n.channel === 'email',
                }
              : {
                  id: n.id,
                  result: 'transient',
                  code: 'lease-expired',
                  reason: 'sender crashed before the message left',
                  latencyMs: 0,
                },
          );
        });
      }
      const res = await recordOutcomes(deps.db, {
        campaignId,
        incidentId,
        token: claim.token,
        claimed: claim.claimed,
        outcomes,
        // The crashed attempt is not retried at once: a short delay, without re-counting it twice.
        // Capped: a row whose senders kept dying must not wait minutes for the next try.
        policy: {
          maxAttempts: Number.MAX_SAFE_INTEGER,
          baseDelayMs: 100,
          maxDelayMs: 1_000,
          random: () => 0,
        },
        actor: deps.actor,
      });
      const byId = new Map(claim.claimed.map((c) => [c.id, c]));
      for (const r of res.retries) {
        const c = byId.get(r.id)!;
        retries.push({
          campaignId,
          channel: c.channel,
          carrier: c.carrier,
          id: r.id,
          attempt: r.attempt,
          delayMs: r.delayMs,
        });
      }
      deps.logger.info(
        { campaignId, resolved: claim.claimed.length, retried: res.retries.length },
        'resolved expired claims',
      );
    }
  }
  return retries;
}
