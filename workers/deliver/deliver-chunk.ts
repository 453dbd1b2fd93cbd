import type { Logger } from '../../shared/logger';
import type { Db } from '../../shared/store/db';
import type { Channel, Locale } from '../../shared/domain';
import type { DeliverJob } from '../../shared/queues';
import { idempotencyKey, messageIdFor } from '../../shared/queues';
import { getCarrier } from '../../shared/carriers';
import { claimChunkUnit } from '../../shared/ledger/claim-chunk';
import { recordOutcomesUnit, type RetryPolicy } from '../../shared/ledger/record-outcomes';
import { ledgerBatcherFor, type LedgerBatcher } from '../../shared/ledger/ledger-batcher';
import { releaseClaims } from '../../shared/ledger/release-claims';
import { completeCampaignIfDone } from '../../shared/ledger/complete-campaign';
import type { ClaimedNotification, SendOutcome } from '../../shared/ledger/ledger-types';
import {
  renderEmail,
  renderSms,
  lintEmail,
  lintSms,
  noticeSender,
  type NoticeContext,
} from '../../shared/notices';
import type { ChannelAdapter, OutboundMessage } from './channels/channel-adapter';
import type { CampaignContext, CampaignContextCache } from './notice-context';
import { resolveExpiredClaims } from '../reconcile/resolve-expired-claims';

export interface DeliverDeps {
  db: Db;
  adapters: Record<Channel, ChannelAdapter>;
  contexts: CampaignContextCache;
  marker: string;
  leaseMs: number;
  retry: RetryPolicy;
  /** Puts notifications back on their queue after a delay (one small job each). */
  enqueueRetries(job: DeliverJob, retries: { id: number; attempt: number; delayMs: number }[]): Promise<void>;
  logger: Logger;
  actor: string;
  /** Test-only: called between a send and its record, to simulate a crash at the worst moment. */
  afterSendHook?: () => void;
  /**
   * Admits a chunk of a throttled campaign (campaign-throttle.ts), bound to this job's id: 0 to go,
   * else the ms to wait. Absent: campaign throttles are not enforced (unit tests, benches).
   */
  admitThrottled?: (n: number, perSec: number) => Promise<number>;
  /**
   * Group commit for claims and records (shared/ledger/ledger-batcher.ts).
   * @defaultValue this process's batcher for `db`
   */
  batcher?: LedgerBatcher;
}

const RECHECK_MARGIN_MS = 250; // past the lease's end, so the rows read as expired

export type DeliverResult =
  | { kind: 'done'; claimed: number; skipped: number }
  | { kind: 'paused' }
  | { kind: 'rate_limited'; retryAfterMs: number }
  /** The campaign's throttle says not yet: nothing claimed; run again after waitMs. */
  | { kind: 'throttled'; waitMs: number }
  /** Rows of the chunk still claimed by another sender: look at just those again when the lease ends. */
  | { kind: 'recheck'; ids: number[]; waitMs: number; claimed: number };

function noticeContext(ctx: CampaignContext, n: ClaimedNotification, marker: string): NoticeContext {
  return {
    kind: ctx.kind,
    locale: (ctx.locale ?? (n.locale === 'es' ? 'es' : 'en')) as Locale,
    marker,
    campaignId: ctx.campaignId,
    noticeDate: ctx.noticeDate,
    incident: ctx.incident,
    carrier: getCarrier(n.carrier),
    recipient: { displayName: n.displayName },
    ...(ctx.correctionOf ? { correctionOf: ctx.correctionOf } : {}),
  };
}

class RefusedByLint extends Error {}

function renderOne(
  ctx: CampaignContext,
  n: ClaimedNotification,
  nc: NoticeContext,
  marker: string,
): OutboundMessage {
  const key = idempotencyKey(ctx.campaignId, n.id);
  const sender = noticeSender(nc);
  if (n.channel === 'email') {
    const email = renderEmail(nc);
    const problems = lintEmail(email, marker);
    if (problems.length > 0) throw new RefusedByLint(`lint: ${problems.map((p) => p.rule).join(',')}`);
    return {
      notificationId: n.id,
      campaignId: ctx.campaignId,
      idempotencyKey: key,
      to: n.email!,
      from: `"${sender.name}" <${sender.address}>`,
      email: { ...email, messageId: messageIdFor(ctx.campaignId, n.id) },
    };
  }
  const sms = renderSms(nc);
  const problems = lintSms(sms, marker);
  if (problems.length > 0) throw new RefusedByLint(`lint: ${problems.map((p) => p.rule).join(',')}`);
  return {
    notificationId: n.id,
    campaignId: ctx.campaignId,
    idempotencyKey: key,
    to: n.msisdn!,
    from: getCarrier(n.carrier).smsSender,
    smsText: sms.text,
  };
}

/**
 * Prepares each claimed notification: suppressed when its subscriber was erased after the campaign
 * was built (nothing is sent to a wiped record) or opted out, refused (never sent) when
 * its rendering fails the safety lint, otherwise an outbound message.
 */
function prepare(
  ctx: CampaignContext,
  claimed: readonly ClaimedNotification[],
  marker: string,
): { outbound: OutboundMessage[]; early: SendOutcome[] } {
  const outbound: OutboundMessage[] = [];
  const early: SendOutcome[] = [];
  for (const n of claimed) {
    if (n.erased) {
      early.push({ id: n.id, result: 'suppressed', reason: 'subscriber erased' });
      continue;
    }
    if (n.optedOut) {
      early.push({ id: n.id, result: 'suppressed', reason: 'opted out' });
      continue;
    }
    const nc = noticeContext(ctx, n, marker);
    try {
      outbound.push(renderOne(ctx, n, nc, marker));
    } catch (err) {
      // A notice that fails the safety lint (or cannot be rendered at all) is refused, never sent.
      early.push({ id: n.id, result: 'refused', reason: (err as Error).message.slice(0, 200) });
    }
  }
  return { outbound, early };
}

/**
 * A throttled campaign's chunk goes only when its throttle admits it, before anything is claimed, so a
 * waiting chunk holds no claim and no lease. A paused or ended campaign does not spend its schedule.
 */
async function throttleGate(job: DeliverJob, deps: DeliverDeps): Promise<DeliverResult | null> {
  if (!deps.admitThrottled) return null;
  // A campaign that cannot be read is left to the claim, which finds nothing to send, as before.
  const ctx = await deps.contexts.get(job.campaignId).catch(() => null);
  if (!ctx?.throttlePerSec) return null;
  const s = await deps.db.query<{ state: string }>('SELECT state FROM campaigns WHERE id = $1', [
    job.campaignId,
  ]);
  const state = s.rows[0]?.state;
  if (state === 'paused') return { kind: 'paused' };
  if (state !== 'triggered' && state !== 'running') return null; // the claim finds nothing to send
  const waitMs = await deps.admitThrottled(job.ids.length, ctx.throttlePerSec);
  return waitMs > 0 ? { kind: 'throttled', waitMs } : null;
}

/**
 * Deliver, one chunk: claim → render and lint → send → record outcomes and audit in one
 * transaction → re-queue transient failures on their own with backoff.
 */
export async function deliverChunk(job: DeliverJob, deps: DeliverDeps): Promise<DeliverResult> {
  const held = await throttleGate(job, deps);
  if (held) return held;
  // Claim only when the channel can send now, so a claim's lease is not spent waiting for the pool.
  const release = await deps.adapters[job.channel].admit?.();
  try {
    return await deliverAdmitted(job, deps);
  } finally {
    release?.();
  }
}

async function deliverAdmitted(job: DeliverJob, deps: DeliverDeps): Promise<DeliverResult> {
  const batcher = deps.batcher ?? ledgerBatcherFor(deps.db);
  const claim = await batcher.run(
    claimChunkUnit({ campaignId: job.campaignId, ids: job.ids, leaseMs: deps.leaseMs, actor: deps.actor }),
  );
  if (claim.campaignState === 'paused' && claim.claimed.length === 0) return { kind: 'paused' };
  const expired = claim.skipped.filter((s) => s.state === 'sending' && s.leaseExpired).map((s) => s.id);
  if (expired.length > 0) {
    // Those that never left go back on the queue now, not when the reconciler finds them stranded.
    const retries = await resolveExpiredClaims(expired, {
      db: deps.db,
      adapters: deps.adapters,
      actor: deps.actor,
      logger: deps.logger,
      // The configured lease, not the resolver's 30 s default: if this process dies while asking the
      // sink, the rows must not wait half a minute for the next resolver.
      leaseMs: deps.leaseMs,
      campaignId: job.campaignId,
    });
    if (retries.length > 0) await deps.enqueueRetries(job, retries);
  }
  // Rows another sender holds: usually a sender that died with the job (BullMQ hands a stalled job
  // on before the lease runs out). This job keeps them and looks again once the lease has ended,
  // instead of leaving them for the reconciler's slower pass.
  const held = claim.skipped.filter((s) => s.state === 'sending' && !s.leaseExpired);
  const recheck = (): DeliverResult | null =>
    held.length === 0
      ? null
      : {
          kind: 'recheck',
          ids: held.map((s) => s.id),
          waitMs: Math.max(...held.map((s) => s.leaseLeftMs)) + RECHECK_MARGIN_MS,
          claimed: claim.claimed.length,
        };
  if (claim.claimed.length === 0)
    return recheck() ?? { kind: 'done', claimed: 0, skipped: claim.skipped.length };

  const ctx = await deps.contexts.get(job.campaignId);
  const { outbound, early } = prepare(ctx, claim.claimed, deps.marker);
  let outcomes = early;
  if (outbound.length > 0) {
    const sent = await deps.adapters[job.channel].send(job.carrier, outbound);
    if (sent.kind === 'rate_limited') {
      const sentIds = new Set(outbound.map((o) => o.notificationId));
      await releaseClaims(deps.db, {
        campaignId: job.campaignId,
        incidentId: ctx.incidentId,
        token: claim.token,
        claimed: claim.claimed.filter((c) => sentIds.has(c.id)),
        reason: 'carrier rate limit (429)',
        actor: deps.actor,
      });
      if (early.length > 0) await record(job, deps, ctx, claim.token, claim.claimed, early);
      return { kind: 'rate_limited', retryAfterMs: sent.retryAfterMs };
    }
    outcomes = [...early, ...sent.outcomes];
  }
  deps.afterSendHook?.();
  await record(job, deps, ctx, claim.token, claim.claimed, outcomes);
  return recheck() ?? { kind: 'done', claimed: claim.claimed.length, skipped: claim.skipped.length };
}

async function record(
  job: DeliverJob,
  deps: DeliverDeps,
  ctx: CampaignContext,
  token: string,
  claimed: readonly ClaimedNotification[],
  outcomes: readonly SendOutcome[],
): Promise<void> {
  const res = await (deps.batcher ?? ledgerBatcherFor(deps.db)).run(
    recordOutcomesUnit({
      campaignId: job.campaignId,
      incidentId: ctx.incidentId,
      token,
      claimed,
      outcomes,
      policy: deps.retry,
      actor: deps.actor,
    }),
  );
  if (res.lostClaims.length > 0) {
    deps.logger.warn(
      { lost: res.lostClaims.length },
      'claims lost before recording; the new owner records them',
    );
  }
  if (res.retries.length > 0) await deps.enqueueRetries(job, res.retries);
  if (outcomes.some((o) => o.result !== 'transient'))
    await completeCampaignIfDone(deps.db, job.campaignId, deps.actor);
}
