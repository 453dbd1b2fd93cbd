/**
 * The raw channel limits: the engine's own rendered notices sent straight to a carrier-sim, with no
 * queue and no database. Email through a pooled nodemailer transport to the SMTP sink; SMS in
 * batches of 100 over a keep-alive undici pool to the gateways' batch endpoint.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { Pool } from 'undici';
import { getCarrier } from '../../shared/carriers';
import type { Db } from '../../shared/store/db';
import type { Locale } from '../../shared/domain';
import { idempotencyKey, messageIdFor } from '../../shared/queues';
import { noticeSender, renderEmail, renderSms, type NoticeContext } from '../../shared/notices';
import type { CampaignContext } from '../../workers/deliver/notice-context';

export interface Recipient {
  id: number;
  carrier: string;
  msisdn: string | null;
  email: string | null;
  displayName: string | null;
  locale: string;
}

export interface RawResult {
  messages: number;
  seconds: number;
  perSec: number;
  failed: number;
  /** SMS: seconds until the last delivery receipt reached the receiver */
  receiptsSeconds?: number;
  receiptsPerSec?: number;
}

/** Recipients of the benchmark's audiences, read once before the clock starts. */
export async function loadRecipients(db: Db, opts: { regions: string[] | null }): Promise<Recipient[]> {
  const r = await db.query<{
    id: number;
    carrier: string;
    msisdn: string | null;
    email: string | null;
    display_name: string | null;
    locale: string;
  }>(
    `SELECT id, carrier, msisdn, email, display_name, locale FROM subscribers
      WHERE erased_at IS NULL AND ($1::text[] IS NULL OR region = ANY($1::text[])) ORDER BY id`,
    [opts.regions],
  );
  return r.rows.map((x) => ({ ...x, displayName: x.display_name }));
}

function contextFor(ctx: CampaignContext, r: Recipient, marker: string): NoticeContext {
  return {
    kind: ctx.kind,
    locale: (ctx.locale ?? (r.locale === 'es' ? 'es' : 'en')) as Locale,
    marker,
    campaignId: ctx.campaignId,
    noticeDate: ctx.noticeDate,
    incident: ctx.incident,
    carrier: getCarrier(r.carrier),
    recipient: { displayName: r.displayName },
  };
}

/** Emails exactly as the deliver stage renders them (deterministic Message-ID per recipient). */
export function renderEmails(ctx: CampaignContext, recipients: readonly Recipient[], marker: string) {
  return recipients
    .filter((r) => r.email)
    .map((r) => {
      const nc = contextFor(ctx, r, marker);
      const email = renderEmail(nc);
      const sender = noticeSender(nc);
      return {
        from: `"${sender.name}" <${sender.address}>`,
        to: r.email!,
        subject: email.subject,
        text: email.text,
        html: email.html,
        headers: email.headers,
        messageId: messageIdFor(ctx.campaignId, r.id),
      };
    });
}

/** SMS exactly as the deliver stage renders them, grouped into batches of 100 per carrier. */
export function renderSmsBatches(ctx: CampaignContext, recipients: readonly Recipient[], marker: string) {
  const byCarrier = new Map<
    string,
    { to: string; from: string; text: string; idempotencyKey: string; campaignId: number }[]
  >();
  for (const r of recipients) {
    if (!r.msisdn) continue;
    const list = byCarrier.get(r.carrier) ?? [];
    list.push({
      to: r.msisdn,
      from: getCarrier(r.carrier).smsSender,
      text: renderSms(contextFor(ctx, r, marker)).text,
      idempotencyKey: idempotencyKey(ctx.campaignId, r.id),
      campaignId: ctx.campaignId,
    });
    byCarrier.set(r.carrier, list);
  }
  // Batches interleaved round-robin over carriers, as the engine's per-carrier queues run side by side.
  const perCarrier = [...byCarrier].map(([carrier, list]) => {
    const out: { carrier: string; body: string; count: number }[] = [];
    for (let i = 0; i < list.length; i += 100) {
      const messages = list.slice(i, i + 100);
      out.push({ carrier, body: JSON.stringify({ messages }), count: messages.length });
    }
    return out;
  });
  const batches: { carrier: string; body: string; count: number }[] = [];
  for (let round = 0; perCarrier.some((l) => round < l.length); round++)
    for (const l of perCarrier) if (round < l.length) batches.push(l[round]!);
  return batches;
}

export async function sendRawEmails(
  emails: ReturnType<typeof renderEmails>,
  opts: { host: string; port: number; connections: number; inFlight: number },
): Promise<RawResult> {
  const transport = nodemailer.createTransport({
    pool: true,
    host: opts.host,
    port: opts.port,
    secure: false,
    ignoreTLS: true,
    maxConnections: opts.connections,
    maxMessages: Infinity,
  } as SMTPPool.Options);
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.inFlight }, async () => {
      while (next < emails.length) {
        const m = emails[next++]!;
        try {
          await transport.sendMail(m);
        } catch {
          failed++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  return { messages: emails.length, seconds, perSec: Math.round((emails.length - failed) / seconds), failed };
}

/** A stand-in for the api's receipt webhook: answers 200 and counts receipts (signatures not checked). */
export async function startReceiptCounter(): Promise<{
  url: string;
  count(): number;
  lastAt(): number;
  close(): Promise<void>;
}> {
  let n = 0;
  let last = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        n += (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { receipts: unknown[] }).receipts.length;
        last = performance.now();
      } catch {
        // not a receipt batch
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":0}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => n,
    lastAt: () => last,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export async function sendRawSms(
  simUrl: string,
  batches: ReturnType<typeof renderSmsBatches>,
  opts: { connections: number; inFlight: number; receipts?: { count(): number; lastAt(): number } },
): Promise<RawResult> {
  const pool = new Pool(simUrl, { connections: opts.connections, pipelining: 1 });
  const total = batches.reduce((n, b) => n + b.count, 0);
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.inFlight }, async () => {
      while (next < batches.length) {
        const b = batches[next++]!;
        for (;;) {
          const res = await pool.request({
            method: 'POST',
            path: `/carriers/${b.carrier}/messages/batch`,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${getCarrier(b.carrier).gatewayKey}`,
            },
            body: b.body,
          });
          const text = await res.body.text();
          if (res.statusCode === 200) {
            for (const r of (JSON.parse(text) as { results: { status: string }[] }).results)
              if (r.status === 'rejected') failed++;
            break;
          }
          if (res.statusCode < 500 && res.statusCode !== 429) {
            failed += b.count;
            break;
          }
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  const out: RawResult = { messages: total, seconds, perSec: Math.round((total - failed) / seconds), failed };
  if (opts.receipts) {
    const deadline = Date.now() + 120_000;
    while (opts.receipts.count() < total - failed && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    out.receiptsSeconds = (opts.receipts.lastAt() - started) / 1000;
    out.receiptsPerSec = Math.round(opts.receipts.count() / out.receiptsSeconds);
  }
  return out;
}
