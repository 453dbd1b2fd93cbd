import { randomUUID } from 'node:crypto';
import type { Channel, NotificationState } from '../domain';
import type { Db } from '../store/db';
import type { AuditEventInput } from '../audit/audit-event';
import { runLedgerUnit, type LedgerUnit } from './ledger-batcher';
import { auditRecipient } from './contact';
import type { ClaimedNotification } from './ledger-types';

export interface ClaimResult {
  token: string;
  claimed: ClaimedNotification[];
  /** Rows of the chunk that were not claimable, with the state that stopped them. */
  skipped: { id: number; state: NotificationState; leaseExpired: boolean; leaseLeftMs: number }[];
  campaignState: string | null;
}

/**
 * Claims a chunk's claimable rows (pending or retrying, campaign live) in one statement: state
 * `sending`, a fresh claim token and a lease. Concurrent runs of the same chunk claim disjoint sets,
 * so no notification is sent by two workers at once.
 */
export async function claimChunk(db: Db, input: ClaimInput): Promise<ClaimResult> {
  return runLedgerUnit(db, claimChunkUnit(input));
}

export interface ClaimInput {
  campaignId: number;
  ids: readonly number[];
  leaseMs: number;
  actor: string;
  /** `expired`: take over rows stuck in `sending` whose lease ran out (the sender presumably crashed). */
  mode?: 'fresh' | 'expired';
}

/** The claim as a ledger unit (its statements and audit events), for a batched transaction. */
export function claimChunkUnit(input: ClaimInput): LedgerUnit<ClaimResult> {
  const claimable =
    input.mode === 'expired'
      ? `n.state = 'sending' AND n.lease_until < now()`
      : `cp.state IN ('triggered', 'running') AND n.state IN ('pending', 'retrying')`;
  // A takeover does not start a new attempt: it first asks the receiving side what happened.
  const attempts = input.mode === 'expired' ? 'n.attempts' : 'n.attempts + 1';
  const token = randomUUID();
  return {
    rows: input.ids,
    campaigns: [input.campaignId],
    run: async (tx) => {
      const claimed = await tx.query<{
        id: number;
        subscriber_id: number;
        channel: Channel;
        carrier: string;
        attempts: number;
        msisdn: string | null;
        email: string | null;
        display_name: string | null;
        locale: string;
        opted_out: boolean;
        erased: boolean;
        incident_id: number;
      }>(
        `WITH c AS (
         UPDATE notification n
            SET state = 'sending', claim_token = $2, lease_until = now() + ($3 || ' milliseconds')::interval,
                attempts = ${attempts}, updated_at = now()
           FROM campaigns cp
          WHERE n.id = ANY($1::bigint[]) AND n.campaign_id = $4 AND cp.id = n.campaign_id
            AND ${claimable}
         RETURNING n.id, n.subscriber_id, n.channel, n.carrier, n.attempts, cp.incident_id)
       SELECT c.*, s.msisdn, s.email, s.display_name, s.locale,
              (s.opted_out_at IS NOT NULL OR (c.channel = 'sms' AND o.msisdn IS NOT NULL)) AS opted_out,
              s.erased_at IS NOT NULL AS erased
         FROM c JOIN subscribers s ON s.id = c.subscriber_id
         LEFT JOIN opt_outs o ON o.msisdn = s.msisdn
        ORDER BY c.id`,
        [input.ids, token, String(input.leaseMs), input.campaignId],
      );
      const claimedIds = new Set(claimed.rows.map((r) => r.id));
      const rest = input.ids.filter((id) => !claimedIds.has(id));
      let skipped: ClaimResult['skipped'] = [];
      if (rest.length > 0) {
        const r = await tx.query<{ id: number; state: NotificationState; expired: boolean; left_ms: number }>(
          `SELECT id, state, (lease_until IS NOT NULL AND lease_until < now()) AS expired,
                  GREATEST(0, COALESCE(ceil(extract(epoch FROM lease_until - now()) * 1000), 0))::int AS left_ms
           FROM notification WHERE id = ANY($1::bigint[]) AND campaign_id = $2`,
          [rest, input.campaignId],
        );
        skipped = r.rows.map((x) => ({
          id: x.id,
          state: x.state,
          leaseExpired: x.expired,
          leaseLeftMs: Number(x.left_ms),
        }));
      }
      const cs = await tx.query<{ state: string }>('SELECT state FROM campaigns WHERE id = $1', [
        input.campaignId,
      ]);
      const events: AuditEventInput[] = claimed.rows.map((r) => ({
        type: 'notification.attempt_started' as const,
        outcome: input.mode === 'expired' ? 'lease-takeover' : null,
        actor: input.actor,
        incidentId: r.incident_id,
        campaignId: input.campaignId,
        notificationId: r.id,
        carrier: r.carrier,
        channel: r.channel,
        attempt: r.attempts,
        ...auditRecipient(r.subscriber_id, r.channel, r.msisdn, r.email),
      }));
      const result: ClaimResult = {
        token,
        campaignState: cs.rows[0]?.state ?? null,
        skipped,
        claimed: claimed.rows.map((r) => ({
          id: r.id,
          subscriberId: r.subscriber_id,
          channel: r.channel,
          carrier: r.carrier,
          attempts: r.attempts,
          msisdn: r.msisdn,
          email: r.email,
          displayName: r.display_name,
          locale: r.locale,
          optedOut: r.opted_out,
          erased: r.erased,
        })),
      };
      return { result, events };
    },
  };
}
