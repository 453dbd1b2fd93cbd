import nodemailer from 'nodemailer';
import type { Db } from '../../../../shared/store/db';
import type { Config } from '../../../../shared/config';
import { AppError } from '../../../../shared/errors';
import { appendAudit } from '../../../../shared/audit/append-audit';
import { findCarrier } from '../../../../shared/carriers';
import { assertGatewayHost } from '../../../../shared/safety';
import type { LawEnforcementReportInput } from '../../../../shared/api/incidents.schema';
import {
  lintEmail,
  noticeSender,
  renderLawEnforcementReport,
  SIMULATED_REPORTING_FACILITY,
} from '../../../../shared/notices';
import { hasHolds, lockIncident, readIncident, toNoticeIncident } from './incident-record';
import { evaluateIncident, regulatoryClock } from './incident-clock';
import { noticeContextFor } from '../lifecycle/notice-lint';

export interface ReportEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  messageId: string;
}

/** Sends one email to the reporting sink; throws when the sink does not accept it. */
export interface ReportMailer {
  send(message: ReportEmail): Promise<void>;
}

/**
 * The report goes over SMTP to config SMTP_HOST:SMTP_PORT (the carrier-sim's sink accepts reserved
 * domains), only on loopback or a LAB_HOSTS entry (DOMAIN.md §4.5). One short-lived connection: the
 * report is sent once per incident.
 */
export function smtpReportMailer(
  config: Pick<Config, 'SMTP_HOST' | 'SMTP_PORT' | 'LAB_HOSTS' | 'SEND_TIMEOUT_MS'>,
): ReportMailer {
  return {
    async send(m) {
      try {
        assertGatewayHost('SMTP', config.SMTP_HOST, config.LAB_HOSTS);
      } catch (err) {
        throw new AppError('DEPENDENCY_UNAVAILABLE', (err as Error).message);
      }
      const transport = nodemailer.createTransport({
        host: config.SMTP_HOST,
        port: config.SMTP_PORT,
        secure: false,
        ignoreTLS: true,
        connectionTimeout: config.SEND_TIMEOUT_MS,
        greetingTimeout: config.SEND_TIMEOUT_MS,
        socketTimeout: config.SEND_TIMEOUT_MS,
      });
      try {
        await transport.sendMail(m);
      } finally {
        transport.close();
      }
    },
  };
}

/** The report's Message-ID: deterministic, so the sink drops a resend after a crash. */
export const reportMessageId = (incidentId: number) => `<le-report-${incidentId}@breach-drill.test>`;

/**
 * Records the law-enforcement report as sent (DOMAIN.md §2, §5), after really sending it: render with
 * the seven fields, lint, claim the incident's report slot (so two requests never both send), send
 * by email to the simulated reporting facility, then set `le_report_sent_at` and audit it with the
 * report deadline's status. A failed send releases the claim and records nothing.
 */
export async function sendLawEnforcementReport(
  deps: {
    db: Db;
    config: Pick<
      Config,
      | 'EXERCISE_MARKER'
      | 'SEND_TIMEOUT_MS'
      | 'HOLIDAY_EXTRA_DATES'
      | 'REGULATORY_TIME_ZONE'
      | 'SMTP_HOST'
      | 'SMTP_PORT'
      | 'LAB_HOSTS'
    >;
    mailer?: ReportMailer;
  },
  incidentId: number,
  input: LawEnforcementReportInput,
  actor: string,
) {
  const incident = await readIncident(deps.db, incidentId);
  const carrierId = input.carrier ?? incident.carriers[0]!;
  const carrier = findCarrier(carrierId);
  if (!carrier) {
    throw new AppError('UNKNOWN_CARRIER', `"${carrierId}" is not a fictional carrier`, [
      { path: 'body.carrier', code: 'unknown_carrier', message: 'not in the registry' },
    ]);
  }
  if (!incident.carriers.includes(carrierId)) {
    throw new AppError('VALIDATION_FAILED', `${carrierId} is not a carrier of incident ${incidentId}`, [
      { path: 'body.carrier', code: 'not_in_incident', message: 'choose among the incident carriers' },
    ]);
  }
  const { carrier: _c, locale, ...report } = input;
  const marker = deps.config.EXERCISE_MARKER;
  const ctx = noticeContextFor(toNoticeIncident(incident, await hasHolds(deps.db, incidentId)), {
    kind: 'law-enforcement-report',
    locale,
    carrier,
    marker,
    campaignId: 0,
    noticeDate: new Date(),
    displayName: null,
  });
  const email = renderLawEnforcementReport(report, ctx);
  const problems = lintEmail(email, marker);
  if (problems.length > 0) {
    throw new AppError(
      'UNSAFE_CONTENT',
      `the report fails the exercise-safety lint (${problems[0]!.message}); nothing was sent`,
      problems.slice(0, 50).map((p) => ({ code: p.rule, message: p.message })),
    );
  }

  const leaseMs = 2 * deps.config.SEND_TIMEOUT_MS + 5_000; // a claim older than this is presumed crashed
  const claim = await deps.db.query<{ id: number }>(
    `UPDATE incidents SET le_report_claimed_at = now()
      WHERE id = $1 AND le_report_sent_at IS NULL
        AND (le_report_claimed_at IS NULL OR le_report_claimed_at < now() - ($2 || ' milliseconds')::interval)
      RETURNING id`,
    [incidentId, String(leaseMs)],
  );
  if (!claim.rows[0]) {
    const cur = await readIncident(deps.db, incidentId);
    throw cur.le_report_sent_at
      ? new AppError('CONFLICT', `the report of incident ${incidentId} was already sent`, [
          { code: 'already_sent', message: `sent at ${new Date(cur.le_report_sent_at).toISOString()}` },
        ])
      : new AppError('CONFLICT', `the report of incident ${incidentId} is being sent right now`, [
          { code: 'send_in_progress', message: 'retry in a few seconds' },
        ]);
  }

  const sender = noticeSender(ctx);
  const { 'X-Campaign-Id': _campaign, ...headers } = email.headers;
  const message: ReportEmail = {
    from: `"${sender.name}" <${sender.address}>`,
    to: SIMULATED_REPORTING_FACILITY.address,
    subject: email.subject,
    text: email.text,
    html: email.html,
    headers: { ...headers, 'X-Incident-Id': String(incidentId) },
    messageId: reportMessageId(incidentId),
  };
  try {
    await (deps.mailer ?? smtpReportMailer(deps.config)).send(message);
  } catch (err) {
    await deps.db.query('UPDATE incidents SET le_report_claimed_at = NULL WHERE id = $1', [incidentId]);
    if (err instanceof AppError) throw err;
    throw new AppError(
      'DEPENDENCY_UNAVAILABLE',
      `the reporting sink did not accept the report (${(err as Error).message.slice(0, 200)}); nothing was recorded, retry`,
    );
  }

  const clock = regulatoryClock(deps.config);
  return deps.db.transaction(async (tx) => {
    await lockIncident(tx, incidentId);
    const upd = await tx.query<{ le_report_sent_at: Date }>(
      `UPDATE incidents SET le_report_sent_at = now(), le_report_claimed_at = NULL
        WHERE id = $1 AND le_report_sent_at IS NULL RETURNING le_report_sent_at`,
      [incidentId],
    );
    if (!upd.rows[0]) throw new AppError('CONFLICT', `the report of incident ${incidentId} was already sent`);
    const sentAt = new Date(upd.rows[0].le_report_sent_at);
    await tx.query(
      `INSERT INTO incident_le_reports (incident_id, carrier, report, recipient, message_id, subject, sent_at, sent_by)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8)`,
      [
        incidentId,
        carrierId,
        JSON.stringify(report),
        message.to,
        message.messageId,
        message.subject,
        sentAt.toISOString(),
        actor,
      ],
    );
    const after = await lockIncident(tx, incidentId);
    const { result } = await evaluateIncident(tx, after, sentAt, clock);
    const deadline = result.deadlines.find((d) => d.id === 'le-report');
    await appendAudit(tx, [
      {
        type: 'incident.le_report_sent',
        actor,
        incidentId,
        carrier: carrierId,
        channel: 'email',
        outcome: deadline?.status ?? 'sent',
        details: {
          recipient: message.to,
          messageId: message.messageId,
          subject: message.subject,
          deadline: deadline ? { dueAt: deadline.dueAt, status: deadline.status } : null,
          customerNoticesAllowedFrom: result.customerNoticesAllowedFrom,
        },
      },
    ]);
    return {
      incidentId,
      sentAt: sentAt.toISOString(),
      recipient: message.to,
      messageId: message.messageId,
      subject: message.subject,
      carrier: carrierId,
    };
  });
}
