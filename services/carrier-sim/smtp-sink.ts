import type { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { CARRIERS } from '../../shared/carriers';
import type { Logger } from '../../shared/logger';
import { parseIdempotencyKey } from '../../shared/queues';
import { isReservedEmailDomain } from '../../shared/safety';
import type { ArrivalStore, EmailBody, StorageLimits } from './arrival-store';
import { keyHeaders } from './email-headers';
import { NO_CARRIER_KEY, type FaultBook, type SmtpFaultCode } from './fault-book';
import type { SimStats } from './sim-stats';
import type { Sleeper } from './sleeper';

export interface SmtpSinkDeps {
  store: ArrivalStore;
  faults: FaultBook;
  stats: SimStats;
  sleeper: Sleeper;
  logger: Logger;
  now: () => number;
  limits: StorageLimits;
}

const MAX_MESSAGE_BYTES = 25 * 1024 * 1024; // larger messages get 552 from smtp-server
const SOCKET_TIMEOUT_MS = 60_000;

const FAULT_REPLIES: Record<SmtpFaultCode, string> = {
  421: 'Service temporarily unavailable, closing transmission channel (injected)',
  451: 'Requested action aborted: local error in processing, try again later (injected)',
  550: 'Requested action not taken: message refused (injected)',
};

type Done = (err?: Error | null, message?: string) => void;

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

const CARRIER_BY_DOMAIN = new Map(CARRIERS.map((c) => [c.emailDomain, c.id]));

/** The carrier whose domain an address is in (lower-cased), or NO_CARRIER_KEY. */
function carrierKeyFor(address: string): string {
  return CARRIER_BY_DOMAIN.get(address.slice(address.lastIndexOf('@') + 1)) ?? NO_CARRIER_KEY;
}

/**
 * The SMTP sink for every fictional carrier domain and the reserved domains: no TLS, no AUTH. It
 * refuses other domains (550), dedupes on Message-ID (a second copy is answered 250 and counted as a
 * duplicate), records `X-Campaign-Id`, and injects faults by profile: per-verb delays, 421/451/550 at
 * RCPT or after DATA, 421 above the carrier's messages/s, outages, dropped connections.
 * Hooks answer synchronously when no delay is configured: at thousands of messages per second a
 * promise per verb is measurable.
 */
export function createSmtpSink(deps: SmtpSinkDeps): SMTPServer {
  const { faults, stats, sleeper } = deps;

  /** Runs `step` after `ms` (at once when 0); an unexpected error becomes a 451, not a hung session. */
  const after = (ms: number, done: Done, step: () => void) => {
    const guarded = () => {
      try {
        step();
      } catch (err) {
        deps.logger.error({ err }, 'smtp sink hook failed');
        done(smtpError(451, 'Temporary local problem'));
      }
    };
    if (ms > 0) void sleeper.sleep(ms).then(guarded);
    else guarded();
  };

  const dropConnection = (session: SMTPServerSession) => {
    for (const connection of server.connections) {
      if (connection.id === session.id) connection._socket.destroy();
    }
  };

  const server: SMTPServer = new SMTPServer({
    name: 'carrier-sim.test',
    banner: 'breach-drill carrier-sim, exercise traffic only',
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    size: MAX_MESSAGE_BYTES,
    socketTimeout: SOCKET_TIMEOUT_MS,
    closeTimeout: 1_000,

    onConnect(_session, done) {
      after(faults.emailConnection().verbDelayMs.connect, done, () => done());
    },

    onMailFrom(_address, _session, done) {
      after(faults.emailConnection().verbDelayMs.mail, done, () => done());
    },

    onRcptTo(address, session, done) {
      after(0, done, () => {
        const rcpt = address.address.toLowerCase();
        const domain = rcpt.slice(rcpt.lastIndexOf('@') + 1);
        if (!isReservedEmailDomain(domain)) {
          stats.unroutedRejected++;
          return done(smtpError(550, `${domain} is neither a fictional carrier's nor a reserved domain`));
        }
        const key = carrierKeyFor(rcpt);
        const profile = faults.email(key);
        const now = deps.now();
        if (profile.outage && now < profile.outage.untilMs) {
          stats.fault(key, 'email', `outage-${profile.outage.status}`);
          return done(smtpError(profile.outage.status, `${key} mail is down (injected outage)`));
        }
        const bucket = faults.emailBucket(key);
        if (bucket && bucket.take(1, now) > 0) {
          stats.of(key, 'email').throttled++;
          return done(
            smtpError(421, `Too many messages for ${key}, slow down (limit ${bucket.ratePerSec}/s)`),
          );
        }
        const fate = faults.drawEmailStage(key, 'rcpt');
        after(profile.verbDelayMs.rcpt, done, () => {
          if (fate.drop) {
            stats.fault(key, 'email', 'drop');
            return dropConnection(session);
          }
          if (fate.code) {
            stats.fault(key, 'email', fate.code);
            return done(smtpError(fate.code, FAULT_REPLIES[fate.code]));
          }
          done();
        });
      });
    },

    onData(stream, session, done) {
      const recipients = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
      const key = carrierKeyFor(recipients[0] ?? '');
      readCapped(stream, deps.limits.maxRawEmailBytes, (err, raw, size) => {
        if (err) return done(smtpError(451, 'Could not read the message'));
        const profile = faults.email(key);
        const fate = faults.drawEmailStage(key, 'data');
        after(profile.verbDelayMs.data + fate.latencyMs, done, () => {
          if (fate.code) {
            stats.fault(key, 'email', fate.code);
            return done(smtpError(fate.code, FAULT_REPLIES[fate.code]));
          }
          const reply = storeEmail(deps, { recipients, raw, size, carrierKey: key });
          if (fate.drop) {
            stats.fault(key, 'email', 'drop');
            return dropConnection(session);
          }
          done(null, reply);
        });
      });
    },
  });
  return server;
}

/** Reads the whole message, keeping at most `cap` bytes of it. */
function readCapped(
  stream: Readable,
  cap: number,
  done: (err: Error | null, raw: Buffer, size: number) => void,
): void {
  const chunks: Buffer[] = [];
  let kept = 0;
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (kept >= cap) return;
    const part = chunk.length > cap - kept ? chunk.subarray(0, cap - kept) : chunk;
    chunks.push(part);
    kept += part.length;
  });
  stream.once('end', () => {
    // A buffer of its own: a small Buffer.concat result is a slice of a shared 8 KB pool slab, and
    // keeping the body would keep the whole slab.
    const raw = Buffer.allocUnsafeSlow(kept);
    let offset = 0;
    for (const c of chunks) offset += c.copy(raw, offset);
    done(null, raw, size);
  });
  stream.once('error', (err: Error) => done(err, Buffer.alloc(0), size));
}

/** Dedupes on Message-ID and records one arrival per recipient; returns the 250 reply text. */
function storeEmail(
  deps: SmtpSinkDeps,
  m: { recipients: string[]; raw: Buffer; size: number; carrierKey: string },
): string {
  const { store, stats } = deps;
  const headers = keyHeaders(m.raw);
  const key = headers.messageId || `no-message-id-${store.count}@carrier-sim.test`;
  const existing = store.find('email', key);
  if (existing >= 0) {
    stats.of(m.carrierKey, 'email').duplicates++;
    return `OK: duplicate of ${store.messageId(existing)}, not stored`;
  }
  const campaignId = headers.campaignId ?? parseIdempotencyKey(key)?.campaignId ?? null;
  const body: EmailBody = { kind: 'email', raw: m.raw, size: m.size, truncated: m.raw.length < m.size };
  const at = deps.now();
  let first = -1;
  for (const recipient of m.recipients) {
    const carrierKey = carrierKeyFor(recipient);
    const index = store.add({
      channel: 'email',
      carrierId: carrierKey === NO_CARRIER_KEY ? null : carrierKey,
      recipient,
      key,
      campaignId,
      at,
    });
    store.keepEmailBody(index, body);
    stats.of(carrierKey, 'email').received++;
    if (first < 0) first = index;
  }
  return `OK: queued as ${store.messageId(first)}`;
}
