import type { AuditEventInput } from '../audit/audit-event';
import type { Channel, NotificationState } from '../domain';
import type { Db } from '../store/db';
import { runLedgerUnit, UNIT_PRIORITY, type LedgerUnit } from './ledger-batcher';
import { auditRecipient } from './contact';
import type { ClaimedNotification, SendOutcome } from './ledger-types';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  /** The longest wait between two attempts. @defaultValue no cap */
  maxDelayMs?: number;
  /** 0..1 random source for jitter; injectable for tests. */
  random?: () => number;
}

/** Exponential backoff with full jitter over the upper half: min(base·2^(n-1), max)·[0.5, 1). */
export function retryDelayMs(attempt: number, policy: RetryPolicy): number {
  const r = (policy.random ?? Math.random)();
  const ceiling = Math.min(
    policy.baseDelayMs * 2 ** Math.min(52, Math.max(0, attempt - 1)),
    policy.maxDelayMs ?? Number.MAX_SAFE_INTEGER,
  );
  return Math.round(ceiling * (0.5 + r / 2));
}

export interface RecordResult {
  /** Notifications that go back to the queue, each with its delay. */
  retries: { id: number; attempt: number; delayMs: number }[];
  /** Rows whose claim we no longer held (lease expired and someone else took over): nothing written. */
  lostClaims: number[];
}

interface Planned {
  id: number;
  state: NotificationState;
  reason: string | null;
  code: string | null;
  providerId: string | null;
  sentAt: boolean;
  deliveredAt: boolean;
  nextAttemptMs: number | null;
}

/**
 * Writes every outcome of one chunk attempt and its audit events in one transaction. Only rows still
 * held under `token` in state `sending` are written: a receipt that already moved a row forward, or
 * a claim lost to the reconciler, is never overwritten.
 */
export async function recordOutcomes(db: Db, input: RecordInput): Promise<RecordResult> {
  return runLedgerUnit(db, recordOutcomesUnit(input));
}

export interface RecordInput {
  campaignId: number;
  incidentId: number;
  token: string;
  claimed: readonly ClaimedNotification[];
  outcomes: readonly SendOutcome[];
  policy: RetryPolicy;
  actor: string;
}

/** The record as a ledger unit (its statements and audit events), for a batched transaction. */
export function recordOutcomesUnit(input: RecordInput): LedgerUnit<RecordResult> {
  const byId = new Map(input.claimed.map((c) => [c.id, c]));
  const plans: Planned[] = [];
  const retries: RecordResult['retries'] = [];
  for (const o of input.outcomes) {
    const c = byId.get(o.id);
    if (!c) continue;
    const base = {
      id: o.id,
      reason: null,
      code: null,
      providerId: null,
      sentAt: false,
      deliveredAt: false,
      nextAttemptMs: null,
    };
    switch (o.result) {
      case 'sent':
        plans.push({
          ...base,
          state: o.finalDelivery ? 'delivered' : 'sent',
          providerId: o.providerId,
          sentAt: true,
          deliveredAt: o.finalDelivery,
        });
        break;
      case 'transient':
        if (c.attempts >= input.policy.maxAttempts) {
          plans.push({
            ...base,
            state: 'failed',
            code: o.code,
            reason: `gave up after ${c.attempts} attempts: ${o.reason}`,
          });
        } else {
          const delayMs = retryDelayMs(c.attempts, input.policy);
          plans.push({ ...base, state: 'retrying', code: o.code, reason: o.reason, nextAttemptMs: delayMs });
          retries.push({ id: o.id, attempt: c.attempts + 1, delayMs });
        }
        break;
      case 'permanent':
        plans.push({ ...base, state: 'failed', code: o.code, reason: o.reason });
        break;
      case 'suppressed':
        plans.push({ ...base, state: 'suppressed', reason: o.reason });
        break;
      case 'refused':
        plans.push({ ...base, state: 'failed', code: 'SAFETY_LINT', reason: o.reason });
        break;
    }
  }
  if (plans.length === 0)
    return {
      rows: [],
      campaigns: [],
      run: async () => ({ result: { retries: [], lostClaims: [] }, events: [] }),
    };

  return {
    rows: plans.map((p) => p.id),
    campaigns: [input.campaignId],
    priority: UNIT_PRIORITY.record,
    run: async (tx) => {
      const updated = await tx.query<{ id: number }>(
        `UPDATE notification n
          SET state = p.state, reason = p.reason, carrier_code = p.code,
              provider_id = COALESCE(p.provider_id, n.provider_id),
              sent_at = CASE WHEN p.sent THEN now() ELSE n.sent_at END,
              delivered_at = CASE WHEN p.delivered THEN now() ELSE n.delivered_at END,
              next_attempt_at = CASE WHEN p.next_ms IS NULL THEN NULL ELSE now() + (p.next_ms || ' milliseconds')::interval END,
              claim_token = NULL, lease_until = NULL, updated_at = now()
         FROM jsonb_to_recordset($1::jsonb) AS p(id bigint, state text, reason text, code text,
              provider_id text, sent boolean, delivered boolean, next_ms bigint)
        WHERE n.id = p.id AND n.campaign_id = $3 AND n.claim_token = $2 AND n.state = 'sending'
       RETURNING n.id`,
        [
          JSON.stringify(
            plans.map((p) => ({
              id: p.id,
              state: p.state,
              reason: p.reason,
              code: p.code,
              provider_id: p.providerId,
              sent: p.sentAt,
              delivered: p.deliveredAt,
              next_ms: p.nextAttemptMs,
            })),
          ),
          input.token,
          input.campaignId,
        ],
      );
      const written = new Set(updated.rows.map((r) => r.id));
      const outcomeById = new Map(input.outcomes.map((o) => [o.id, o]));
      const events: AuditEventInput[] = [];
      for (const p of plans) {
        if (!written.has(p.id)) continue;
        const c = byId.get(p.id)!;
        const o = outcomeById.get(p.id)!;
        const common = {
          actor: input.actor,
          incidentId: input.incidentId,
          campaignId: input.campaignId,
          notificationId: p.id,
          carrier: c.carrier,
          channel: c.channel as Channel,
          attempt: c.attempts,
          ...auditRecipient(c.subscriberId, c.channel, c.msisdn, c.email),
        };
        const latency = 'latencyMs' in o ? { latencyMs: o.latencyMs } : {};
        switch (p.state) {
          case 'sent':
            events.push({
              ...common,
              type: 'notification.sent',
              outcome: 'accepted',
              details: { providerId: p.providerId, ...latency },
            });
            break;
          case 'delivered':
            events.push({
              ...common,
              type: 'notification.sent',
              outcome: 'accepted',
              details: { providerId: p.providerId, ...latency },
            });
            events.push({
              ...common,
              type: 'notification.delivered',
              outcome: 'delivered',
              details: { via: 'smtp-final-mx' },
            });
            break;
          case 'retrying':
            events.push({
              ...common,
              type: 'notification.retry_scheduled',
              outcome: p.code,
              details: { reason: p.reason, delayMs: p.nextAttemptMs, ...latency },
            });
            break;
          case 'failed':
            events.push({
              ...common,
              type: o.result === 'refused' ? 'notification.refused_by_lint' : 'notification.failed',
              outcome: p.code,
              details: { reason: p.reason, ...latency },
            });
            if (o.result === 'refused')
              events.push({
                ...common,
                type: 'notification.failed',
                outcome: p.code,
                details: { reason: p.reason },
              });
            break;
          case 'suppressed':
            events.push({
              ...common,
              type: 'notification.suppressed',
              outcome: 'suppressed',
              details: { reason: p.reason },
            });
            break;
          default:
            break;
        }
      }
      return {
        result: {
          retries: retries.filter((r) => written.has(r.id)),
          lostClaims: plans.filter((p) => !written.has(p.id)).map((p) => p.id),
        },
        events,
      };
    },
  };
}
