import type { AuditEventInput } from '../audit/audit-event';
import type { Db } from '../store/db';
import { ledgerBatcherFor, UNIT_PRIORITY } from './ledger-batcher';
import { parseIdempotencyKey } from '../queues';
import type { ReceiptsJob } from '../queues';

export interface ApplyReceiptsResult {
  applied: number;
  duplicate: number;
  late: number;
  unknown: number;
  campaigns: number[];
}

/**
 * Applies a batch of delivery receipts in one transaction (shared with other ledger work of this
 * process, see ledger-batcher.ts). A receipt only moves a notification
 * forward (sending|sent → delivered|undelivered); duplicates, late receipts and unknown ids are
 * audited and otherwise ignored (DOMAIN.md §6).
 */
export async function applyReceipts(
  db: Db,
  receipts: ReceiptsJob['receipts'],
  actor: string,
): Promise<ApplyReceiptsResult> {
  const parsed = receipts.map((r) => ({ r, key: parseIdempotencyKey(r.idempotencyKey) }));
  const known = parsed.filter((p) => p.key !== null);
  // Last word per notification within the batch; the others are duplicates of it.
  const latest = new Map<number, (typeof known)[number]>();
  for (const p of known) latest.set(p.key!.notificationId, p);
  const ids = [...latest.keys()];
  // The campaigns the keys name: each statement reads only their ledger partitions (migration 050).
  const campaigns = [...new Set(known.map((p) => p.key!.campaignId))];
  // Through this process's group commit: receipts share a transaction (and one audit append) with
  // the claims and records of the same moment, instead of a lock turn of their own per POST.
  return ledgerBatcherFor(db).run({
    rows: ids,
    campaigns,
    priority: UNIT_PRIORITY.receipts,
    run: async (tx) => {
      // A receipt can overtake the sender's own record (fast carriers): remember which rows were still
      // `sending`, so their `notification.sent` event is written here and the trail stays complete.
      const before = await tx.query<{ id: number; state: string }>(
        `SELECT id, state FROM notification WHERE id = ANY($1::bigint[]) AND campaign_id = ANY($2::bigint[])
            AND state IN ('sending', 'sent') ORDER BY id FOR UPDATE`,
        [ids, campaigns],
      );
      const wasSending = new Set(before.rows.filter((b) => b.state === 'sending').map((b) => b.id));
      const updated = await tx.query<{
        id: number;
        campaign_id: number;
        carrier: string;
        channel: 'sms' | 'email';
        attempts: number;
        state: string;
      }>(
        `UPDATE notification n
          SET state = CASE WHEN p.status = 'delivered' THEN 'delivered' ELSE 'undelivered' END,
              delivered_at = CASE WHEN p.status = 'delivered' THEN p.at ELSE n.delivered_at END,
              sent_at = COALESCE(n.sent_at, p.at),
              carrier_code = COALESCE(p.error_code, n.carrier_code),
              reason = CASE WHEN p.status = 'delivered' THEN n.reason ELSE 'receipt: ' || p.status END,
              claim_token = NULL, lease_until = NULL, updated_at = now()
         FROM jsonb_to_recordset($1::jsonb) AS p(id bigint, status text, error_code text, at timestamptz)
        WHERE n.id = p.id AND n.campaign_id = ANY($2::bigint[]) AND n.state IN ('sending', 'sent')
       RETURNING n.id, n.campaign_id, n.carrier, n.channel, n.attempts, n.state`,
        [
          JSON.stringify(
            ids.map((id) => {
              const r = latest.get(id)!.r;
              return { id, status: r.status, error_code: r.errorCode ?? null, at: r.at };
            }),
          ),
          campaigns,
        ],
      );
      const appliedIds = new Set(updated.rows.map((u) => u.id));
      const notApplied = ids.filter((id) => !appliedIds.has(id));
      const existing = notApplied.length
        ? (
            await tx.query<{
              id: number;
              campaign_id: number;
              state: string;
              carrier: string;
              channel: 'sms' | 'email';
            }>(
              `SELECT id, campaign_id, state, carrier, channel FROM notification
                WHERE id = ANY($1::bigint[]) AND campaign_id = ANY($2::bigint[])`,
              [notApplied, campaigns],
            )
          ).rows
        : [];
      const existingById = new Map(existing.map((e) => [e.id, e]));
      const events: AuditEventInput[] = [];
      for (const u of updated.rows) {
        const r = latest.get(u.id)!.r;
        const about = {
          actor,
          campaignId: u.campaign_id,
          notificationId: u.id,
          carrier: u.carrier,
          channel: u.channel,
          attempt: u.attempts,
        };
        if (wasSending.has(u.id)) {
          events.push({
            type: 'notification.sent',
            ...about,
            outcome: 'accepted',
            details: { providerId: r.messageId, via: 'receipt-before-record' },
          });
        }
        // Every receipt gets one receipt.* event (applied, duplicate, late or unknown), so the log
        // accounts for each one; an applied receipt's comes first, then the transition it caused.
        events.push({
          type: 'receipt.applied',
          ...about,
          outcome: r.status,
          details: { idempotencyKey: r.idempotencyKey, movedTo: u.state },
        });
        events.push({
          type: u.state === 'delivered' ? 'notification.delivered' : 'notification.undelivered',
          ...about,
          outcome: r.status,
          details: { carrierCode: r.errorCode ?? null, receiptAt: r.at, messageId: r.messageId },
        });
      }
      let duplicate = 0;
      let late = 0;
      let unknown = 0;
      const seen = new Set<number>();
      for (const p of parsed) {
        const id = p.key?.notificationId;
        const e = id !== undefined ? existingById.get(id) : undefined;
        const isFirstApplied =
          id !== undefined && appliedIds.has(id) && latest.get(id) === p && !seen.has(id);
        if (isFirstApplied) {
          seen.add(id);
          continue;
        }
        if (id === undefined || (!e && !appliedIds.has(id))) {
          unknown += 1;
          events.push({
            type: 'receipt.unknown',
            actor,
            outcome: p.r.status,
            details: { idempotencyKey: p.r.idempotencyKey, carrier: p.r.carrier },
          });
          continue;
        }
        const state = e?.state ?? 'applied-in-batch';
        const isDup = state === 'delivered' || state === 'undelivered' || state === 'applied-in-batch';
        if (isDup) duplicate += 1;
        else late += 1;
        events.push({
          type: isDup ? 'receipt.duplicate' : 'receipt.late',
          actor,
          campaignId: e?.campaign_id ?? null,
          notificationId: id,
          carrier: p.r.carrier,
          channel: e?.channel ?? 'sms',
          outcome: p.r.status,
          details: { stateAtReceipt: state },
        });
      }
      return {
        result: {
          applied: updated.rows.length,
          duplicate,
          late,
          unknown,
          campaigns: [...new Set(updated.rows.map((u) => u.campaign_id))],
        },
        events,
      };
    },
  });
}
