import type { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { carrierForEmailDomain } from '../../shared/carriers';
import type { Logger } from '../../shared/logger';
import { parseIdempotencyKey } from '../../shared/queues';
import { isReservedEmailDomain } from '../../shared/safety';
import type { ArrivalStore, EmailBody, StorageLimits } from './arrival-store';
import { decodeEncodedWords, headerBlockLength, parseHeaderBlock, stripAngleBrackets } from './email-headers';
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

function carrierKeyFor(address: string): string {
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return carrierForEmailDomain(domain)?.id ?? NO_CARRIER_KEY;
}

/**
 * The SMTP sink for every fictional carrier domain and the reserved domains: no TLS, no AUTH. It
 * refuses other domains (550), dedupes on Message-ID (a second copy is answered 250 and counted as a
 * duplicate), records `X-Campaign-Id`, and injects faults by profile: per-verb delays, 421/451/550 at
 * RCPT or after DATA, 421 above the carrier's messages/s, outages, dropped connections.
 */
export function createSmtpSink(deps: SmtpSinkDeps): SMTPServer {
  const { faults, stats, sleeper } = deps;

  /** Runs an async hook; an unexpected error becomes a 451 rather than a hung session. */
  const run = (done: Done, hook: () => Promise<void>) => {
    hook().catch((err: unknown) => {
      deps.logger.error({ err }, 'smtp sink hook failed');
      done(smtpError(451, 'Temporary local problem'));
    });
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
      run(done, async () => {
        await sleeper.sleep(faults.emailConnection().verbDelayMs.connect);
        done();
      });
    },

    onMailFrom(_address, _session, done) {
      run(done, async () => {
        await sleeper.sleep(faults.emailConnection().verbDelayMs.mail);
        done();
      });
    },

    onRcptTo(address, session, done) {
      run(done, async () => {
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
        await sleeper.sleep(profile.verbDelayMs.rcpt);
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
    },

    onData(stream, session, done) {
      run(done, async () => {
        const recipients = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        const key = carrierKeyFor(recipients[0] ?? '');
        const { raw, size } = await readCapped(stream, deps.limits.maxRawEmailBytes);
        const profile = faults.email(key);
        const fate = faults.drawEmailStage(key, 'data');
        await sleeper.sleep(profile.verbDelayMs.data + fate.latencyMs);
        if (fate.code) {
          stats.fault(key, 'email', fate.code);
          return done(smtpError(fate.code, FAULT_REPLIES[fate.code]));
        }
        const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const reply = storeEmail(deps, { recipients, raw, size, mailFrom, carrierKey: key });
        if (fate.drop) {
          stats.fault(key, 'email', 'drop');
          return dropConnection(session);
        }
        done(null, reply);
      });
    },
  });
  return server;
}

function readCapped(stream: Readable, cap: number): Promise<{ raw: Buffer; size: number }> {
  return new Promise((resolve, reject) => {
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
    stream.once('end', () => resolve({ raw: Buffer.concat(chunks, kept), size }));
    stream.once('error', reject);
  });
}

/** Dedupes on Message-ID and records one arrival per recipient; returns the 250 reply text. */
function storeEmail(
  deps: SmtpSinkDeps,
  m: { recipients: string[]; raw: Buffer; size: number; mailFrom: string; carrierKey: string },
): string {
  const { store, stats } = deps;
  const headers = parseHeaderBlock(m.raw.subarray(0, headerBlockLength(m.raw)).toString('utf8'));
  const headerId = headers.get('message-id');
  const key = headerId ? stripAngleBrackets(headerId) : `no-message-id-${store.count}@carrier-sim.test`;
  const existing = store.find('email', key);
  if (existing >= 0) {
    stats.of(m.carrierKey, 'email').duplicates++;
    return `OK: duplicate of ${store.messageId(existing)}, not stored`;
  }
  const campaignHeader = headers.get('x-campaign-id') ?? '';
  const campaignId = /^\d+$/.test(campaignHeader)
    ? Number(campaignHeader)
    : (parseIdempotencyKey(key)?.campaignId ?? null);
  const body: EmailBody = {
    kind: 'email',
    from: decodeEncodedWords(headers.get('from') ?? m.mailFrom),
    subject: decodeEncodedWords(headers.get('subject') ?? ''),
    date: headers.get('date') ?? '',
    raw: m.raw,
    size: m.size,
    truncated: m.raw.length < m.size,
  };
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
