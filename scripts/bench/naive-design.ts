/**
 * The naive baseline: the notification pipeline as a user would hand-roll it with the same
 * libraries (BullMQ, pg, nodemailer, undici) and the same ledger and audit tables, without the
 * engine's batching. One BullMQ job per notification; every event is one SQL write in its own
 * transaction with its own audit append (queued; attempt started; sent; delivered; each receipt).
 * Email through the same pooled nodemailer transport; SMS one message per HTTP request to the
 * gateway's single-message endpoint. Exactly-once is kept as far as a careful hand-rolled design
 * would: the row is claimed before sending, and keys are the engine's idempotency keys and
 * Message-IDs, so the ground-truth checker applies to it unchanged.
 */
import type { Job, Queue } from 'bullmq';
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { Pool } from 'undici';
import type { Db } from '../../shared/store/db';
import type { Channel } from '../../shared/domain';
import { appendAudit } from '../../shared/audit/append-audit';
import { auditRecipient } from '../../shared/ledger/contact';
import { getCarrier } from '../../shared/carriers';
import { idempotencyKey, messageIdFor, parseIdempotencyKey, type ReceiptsJob } from '../../shared/queues';
import { lintEmail, lintSms, noticeSender, renderEmail, renderSms } from '../../shared/notices';
import type { CampaignContextCache } from '../../workers/deliver/notice-context';
import type { Locale } from '../../shared/domain';

export const NAIVE_FANOUT_QUEUE = 'naive-fan-out';
export const NAIVE_DELIVER_QUEUE = 'naive-deliver';
const ACTOR = 'naive-baseline';

export interface NaiveDeliverJob {
  campaignId: number;
  notificationId: number;
}

/** Permanent failures: BullMQ's UnrecoverableError semantics, decided here. */
export class NaivePermanentError extends Error {}

/**
 * Fan-out, naive: for every subscriber of the audience and each channel, one transaction inserts
 * the ledger row and appends its `queued` event, then one `queue.add` per notification.
 */
export async function naiveFanOut(
  db: Db,
  queue: Queue,
  campaignId: number,
  opts: { lanes: number; regions?: string[] | null; limit?: number | null },
): Promise<number> {
  const c = await db.query<{ incident_id: number; channels: Channel[] }>(
    'SELECT incident_id, channels FROM campaigns WHERE id = $1',
    [campaignId],
  );
  const campaign = c.rows[0];
  if (!campaign) throw new Error(`campaign ${campaignId} not found`);
  let after = 0;
  let queued = 0;
  let seen = 0;
  const limit = opts.limit ?? Infinity;
  for (;;) {
    const page = await db.query<{
      id: number;
      carrier: string;
      channels: string[];
      msisdn: string | null;
      email: string | null;
    }>(
      `SELECT id, carrier, channels, msisdn, email FROM subscribers
        WHERE id > $1 AND erased_at IS NULL AND ($3::text[] IS NULL OR region = ANY($3::text[]))
        ORDER BY id LIMIT $2`,
      [after, Math.min(1000, limit - seen), opts.regions ?? null],
    );
    if (page.rows.length === 0) return queued;
    after = page.rows[page.rows.length - 1]!.id;
    seen += page.rows.length;
    const work = page.rows.flatMap((s) =>
      campaign.channels
        .filter((ch) => s.channels.includes(ch) && (ch === 'sms' ? s.msisdn : s.email))
        .map((ch) => ({ s, ch })),
    );
    let next = 0;
    await Promise.all(
      Array.from({ length: opts.lanes }, async () => {
        while (next < work.length) {
          const { s, ch } = work[next++]!;
          const id = await db.transaction(async (tx) => {
            const r = await tx.query<{ id: number }>(
              `INSERT INTO notification (campaign_id, subscriber_id, channel, carrier) VALUES ($1, $2, $3, $4)
               ON CONFLICT (campaign_id, subscriber_id, channel) DO NOTHING RETURNING id`,
              [campaignId, s.id, ch, s.carrier],
            );
            const row = r.rows[0];
            if (!row) return null;
            await appendAudit(tx, [
              {
                type: 'notification.queued',
                actor: ACTOR,
                incidentId: campaign.incident_id,
                campaignId,
                notificationId: row.id,
                carrier: s.carrier,
                channel: ch,
                ...auditRecipient(s.id, ch, s.msisdn, s.email),
              },
            ]);
            return row.id;
          });
          if (id === null) continue;
          await queue.add('notify', { campaignId, notificationId: id } satisfies NaiveDeliverJob, {
            jobId: `n${id}`,
          });
          queued++;
        }
      }),
    );
    if (seen >= limit) return queued;
  }
}

export interface NaiveChannels {
  sendEmail(m: {
    from: string;
    to: string;
    subject: string;
    text: string;
    html: string;
    headers: Record<string, string>;
    messageId: string;
  }): Promise<void>;
  /** Resolves when accepted; throws NaivePermanentError on a 4xx, another error when transient. */
  sendSms(
    carrier: string,
    m: { to: string; from: string; text: string; idempotencyKey: string; campaignId: number },
  ): Promise<void>;
  close(): Promise<void>;
}

/** The same transports as the engine: a pooled nodemailer SMTP transport and an undici keep-alive pool. */
export function createNaiveChannels(opts: {
  smtpHost: string;
  smtpPort: number;
  smtpPoolSize: number;
  simUrl: string;
  timeoutMs: number;
}): NaiveChannels {
  const transport = nodemailer.createTransport({
    pool: true,
    host: opts.smtpHost,
    port: opts.smtpPort,
    secure: false,
    ignoreTLS: true,
    maxConnections: opts.smtpPoolSize,
    maxMessages: Infinity,
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs,
  } as SMTPPool.Options);
  const pool = new Pool(opts.simUrl, {
    connections: 16,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });
  return {
    async sendEmail(m) {
      try {
        await transport.sendMail(m);
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        if (typeof code === 'number' && code >= 500) throw new NaivePermanentError(`smtp-${code}`);
        throw err;
      }
    },
    async sendSms(carrierId, m) {
      const carrier = getCarrier(carrierId);
      const res = await pool.request({
        method: 'POST',
        path: `/carriers/${carrier.id}/messages`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${carrier.gatewayKey}` },
        body: JSON.stringify(m),
      });
      const text = await res.body.text();
      if (res.statusCode === 200) {
        const r = JSON.parse(text) as { status: string; errorCode?: string };
        if (r.status === 'rejected') throw new NaivePermanentError(r.errorCode ?? 'rejected');
        return;
      }
      if (res.statusCode >= 400 && res.statusCode < 500 && res.statusCode !== 429)
        throw new NaivePermanentError(`gateway-${res.statusCode}`);
      throw new Error(`gateway-${res.statusCode}`);
    },
    async close() {
      transport.close();
      await pool.close();
    },
  };
}

async function transition(
  db: Db,
  input: {
    id: number;
    set: string;
    params: unknown[];
    from: string[];
    event: Parameters<typeof appendAudit>[1][number];
  },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const r = await tx.query(
      `UPDATE notification SET ${input.set}, updated_at = now() WHERE id = $1 AND state = ANY($2::text[]) RETURNING id`,
      [input.id, input.from, ...input.params],
    );
    if (r.rowCount === 0) return false;
    await appendAudit(tx, [input.event]);
    return true;
  });
}

/**
 * Deliver, naive: one notification per job. Claim (own transaction), render, send one message,
 * record `sent` (own transaction) and, for email, `delivered` (another). Transient failures go back
 * to BullMQ's retry with backoff; permanent ones end `failed`.
 */
export async function naiveDeliver(
  job: Job<NaiveDeliverJob>,
  deps: { db: Db; contexts: CampaignContextCache; channels: NaiveChannels; marker: string },
): Promise<void> {
  const { campaignId, notificationId: id } = job.data;
  const ctx = await deps.contexts.get(campaignId);
  const claimed = await deps.db.transaction(async (tx) => {
    const r = await tx.query<{
      subscriber_id: number;
      channel: Channel;
      carrier: string;
      attempts: number;
      msisdn: string | null;
      email: string | null;
      display_name: string | null;
      locale: string;
    }>(
      `UPDATE notification n SET state = 'sending', attempts = n.attempts + 1, updated_at = now()
         FROM subscribers s
        WHERE n.id = $1 AND s.id = n.subscriber_id AND n.state IN ('pending', 'retrying')
       RETURNING n.subscriber_id, n.channel, n.carrier, n.attempts, s.msisdn, s.email, s.display_name, s.locale`,
      [id],
    );
    const row = r.rows[0];
    if (!row) return null;
    await appendAudit(tx, [
      {
        type: 'notification.attempt_started',
        actor: ACTOR,
        incidentId: ctx.incidentId,
        campaignId,
        notificationId: id,
        carrier: row.carrier,
        channel: row.channel,
        attempt: row.attempts,
        ...auditRecipient(row.subscriber_id, row.channel, row.msisdn, row.email),
      },
    ]);
    return row;
  });
  if (!claimed) return; // already handled by an earlier run of this job
  const common = {
    actor: ACTOR,
    incidentId: ctx.incidentId,
    campaignId,
    notificationId: id,
    carrier: claimed.carrier,
    channel: claimed.channel,
    attempt: claimed.attempts,
  };
  const nc = {
    kind: ctx.kind,
    locale: (ctx.locale ?? (claimed.locale === 'es' ? 'es' : 'en')) as Locale,
    marker: deps.marker,
    campaignId,
    noticeDate: ctx.noticeDate,
    incident: ctx.incident,
    carrier: getCarrier(claimed.carrier),
    recipient: { displayName: claimed.display_name },
  };
  try {
    if (claimed.channel === 'email') {
      const email = renderEmail(nc);
      if (lintEmail(email, deps.marker).length > 0) throw new NaivePermanentError('SAFETY_LINT');
      const sender = noticeSender(nc);
      await deps.channels.sendEmail({
        from: `"${sender.name}" <${sender.address}>`,
        to: claimed.email!,
        subject: email.subject,
        text: email.text,
        html: email.html,
        headers: email.headers,
        messageId: messageIdFor(campaignId, id),
      });
    } else {
      const sms = renderSms(nc);
      if (lintSms(sms, deps.marker).length > 0) throw new NaivePermanentError('SAFETY_LINT');
      await deps.channels.sendSms(claimed.carrier, {
        to: claimed.msisdn!,
        from: getCarrier(claimed.carrier).smsSender,
        text: sms.text,
        idempotencyKey: idempotencyKey(campaignId, id),
        campaignId,
      });
    }
  } catch (err) {
    const permanent = err instanceof NaivePermanentError;
    const lastTry = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const reason = (err as Error).message.slice(0, 200);
    const state = permanent || lastTry ? 'failed' : 'retrying';
    await transition(deps.db, {
      id,
      set: 'state = $3, reason = $4',
      params: [state, reason],
      from: ['sending'],
      event: {
        ...common,
        type: state === 'failed' ? 'notification.failed' : 'notification.retry_scheduled',
        outcome: reason,
      },
    });
    if (permanent) return;
    throw err;
  }
  const delivered = claimed.channel === 'email'; // the sink is the final mailbox server
  await transition(deps.db, {
    id,
    set: `state = 'sent', sent_at = now()`,
    params: [],
    from: ['sending'],
    event: { ...common, type: 'notification.sent', outcome: 'accepted' },
  });
  if (delivered) {
    await transition(deps.db, {
      id,
      set: `state = 'delivered', delivered_at = now()`,
      params: [],
      from: ['sent'],
      event: { ...common, type: 'notification.delivered', outcome: 'delivered' },
    });
  }
}

/** Receipts, naive: each receipt of a batch in its own transaction with its own audit append. */
export async function naiveApplyReceipts(db: Db, receipts: ReceiptsJob['receipts']): Promise<number> {
  let applied = 0;
  for (const r of receipts) {
    const key = parseIdempotencyKey(r.idempotencyKey);
    if (!key) continue;
    const delivered = r.status === 'delivered';
    const ok = await db.transaction(async (tx) => {
      const u = await tx.query<{ campaign_id: number; carrier: string; channel: Channel; attempts: number }>(
        `UPDATE notification SET state = $2, delivered_at = CASE WHEN $2 = 'delivered' THEN $3::timestamptz END,
                sent_at = COALESCE(sent_at, $3::timestamptz), updated_at = now()
          WHERE id = $1 AND state IN ('sending', 'sent')
         RETURNING campaign_id, carrier, channel, attempts`,
        [key.notificationId, delivered ? 'delivered' : 'undelivered', r.at],
      );
      const row = u.rows[0];
      if (!row) return false;
      await appendAudit(tx, [
        {
          type: delivered ? 'notification.delivered' : 'notification.undelivered',
          actor: ACTOR,
          campaignId: row.campaign_id,
          notificationId: key.notificationId,
          carrier: row.carrier,
          channel: row.channel,
          attempt: row.attempts,
          outcome: r.status,
        },
      ]);
      return true;
    });
    if (ok) applied++;
  }
  return applied;
}
