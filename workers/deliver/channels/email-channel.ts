import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { SendOutcome } from '../../../shared/ledger/ledger-types';
import type { BatchOutcome, ChannelAdapter, OutboundMessage } from './channel-adapter';
import type { ArrivalLookup } from './arrival-lookup';

export interface EmailChannelOptions {
  host: string;
  port: number;
  poolSize: number;
  /** Messages of one chunk in flight at once. */
  concurrency: number;
  timeoutMs: number;
  lookup: ArrivalLookup;
}

/** SMTP 4xx and network failures are transient; SMTP 5xx is permanent (DOMAIN.md §6). */
export function classifySmtpError(err: unknown): { transient: boolean; code: string; reason: string } {
  const e = err as { responseCode?: number; code?: string; message?: string };
  if (typeof e.responseCode === 'number') {
    return {
      transient: e.responseCode < 500,
      code: `smtp-${e.responseCode}`,
      reason: (e.message ?? '').slice(0, 200),
    };
  }
  // No SMTP reply at all (refused, reset, timed out): the message did not leave; try again later.
  const code = e.code ?? 'EUNKNOWN';
  return { transient: true, code: code.toLowerCase(), reason: (e.message ?? code).slice(0, 200) };
}

/** A counting semaphore: `acquire` resolves with a release function once one of `size` slots is free. */
export function createSlots(size: number): { acquire(): Promise<() => void>; readonly waiting: number } {
  let free = size;
  const queue: (() => void)[] = [];
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else free++;
  };
  return {
    acquire() {
      if (free > 0) {
        free--;
        return Promise.resolve(once(release));
      }
      return new Promise((resolve) => queue.push(() => resolve(once(release))));
    },
    get waiting() {
      return queue.length;
    },
  };
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}

/**
 * Email through a pooled nodemailer transport with deterministic Message-IDs. Chunks in flight per
 * process are limited to what the pool keeps busy (half a chunk per connection, at least two): one
 * chunk's sends saturate the pool, a second keeps it busy while the first records.
 */
export function createEmailChannel(opts: EmailChannelOptions): ChannelAdapter {
  const slots = createSlots(Math.max(2, Math.ceil(opts.poolSize / 2)));
  const transport = nodemailer.createTransport({
    pool: true,
    host: opts.host,
    port: opts.port,
    secure: false,
    ignoreTLS: true,
    maxConnections: opts.poolSize,
    maxMessages: Infinity,
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs,
  } as SMTPPool.Options);

  async function sendOne(m: OutboundMessage): Promise<SendOutcome> {
    const started = performance.now();
    const email = m.email!;
    try {
      const info = await transport.sendMail({
        from: m.from,
        to: m.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        headers: email.headers,
        messageId: email.messageId,
      });
      return {
        id: m.notificationId,
        result: 'sent',
        providerId: info.messageId,
        latencyMs: Math.round(performance.now() - started),
        // The sink is the recipient's final mailbox server: its 250 is delivery.
        finalDelivery: true,
      };
    } catch (err) {
      const c = classifySmtpError(err);
      const latencyMs = Math.round(performance.now() - started);
      return c.transient
        ? { id: m.notificationId, result: 'transient', code: c.code, reason: c.reason, latencyMs }
        : { id: m.notificationId, result: 'permanent', code: c.code, reason: c.reason, latencyMs };
    }
  }

  return {
    channel: 'email',
    async send(_carrier, messages): Promise<BatchOutcome> {
      const outcomes: SendOutcome[] = new Array(messages.length);
      let next = 0;
      const lanes = Array.from({ length: Math.min(opts.concurrency, messages.length) }, async () => {
        while (next < messages.length) {
          const i = next++;
          outcomes[i] = await sendOne(messages[i]!);
        }
      });
      await Promise.all(lanes);
      return { kind: 'results', outcomes };
    },
    admit: () => slots.acquire(),
    hasArrived: (key) => opts.lookup.hasArrived(key.replace(/^<|>$/g, '')),
    async close() {
      transport.close();
    },
  };
}
