import type { Db } from '../../../../shared/store/db';
import type { Config } from '../../../../shared/config';
import type { IncidentTimeline } from '../../../../shared/api/incidents.schema';
import { escapeHtml } from '../../../../shared/notices/escape-markup';
import { TRAINING_LINE } from '../../../../shared/notices';
import { readIncident, toIncident, isoOrNull } from './incident-record';
import { incidentTimeline } from './timeline';
import type { CampaignRow } from '../campaigns';

/**
 * The after-action report of an incident (issue 7 §5), as Markdown or HTML, from the database alone
 * (ledger and audit log): the timeline, deadlines met or missed, delivery and failure rates per
 * carrier and channel, the faults the carrier network injected and what they did (transient errors
 * retried, permanent failures, by code), and the corrections sent. Starts and ends with the marker.
 */

interface Rates {
  carrier: string;
  channel: string;
  total: number;
  byState: Record<string, number>;
}

interface FaultRow {
  campaign_id: number;
  carrier: string | null;
  channel: string | null;
  type: string;
  code: string | null;
  n: number;
}

interface RetryEffect {
  campaign_id: number;
  carrier: string;
  channel: string;
  retried: number;
  recovered: number;
}

interface ReportData {
  marker: string;
  generatedAt: string;
  incident: ReturnType<typeof toIncident>;
  timeline: IncidentTimeline;
  campaigns: (CampaignRow & { rates: Rates[] })[];
  faults: FaultRow[];
  retries: RetryEffect[];
  reasons: { campaign_id: number; state: string; reason: string; n: number }[];
}

const TERMINAL_FAIL = ['failed', 'undelivered'];

async function gather(
  deps: { db: Db; config: Pick<Config, 'EXERCISE_MARKER' | 'HOLIDAY_EXTRA_DATES' | 'REGULATORY_TIME_ZONE'> },
  incidentId: number,
): Promise<ReportData> {
  const row = await readIncident(deps.db, incidentId);
  const now = new Date();
  const timeline = await incidentTimeline(deps, incidentId, now);
  const cs = await deps.db.query<CampaignRow>('SELECT * FROM campaigns WHERE incident_id = $1 ORDER BY id', [
    incidentId,
  ]);
  const ids = cs.rows.map((c) => c.id);
  const counts = await deps.db.query<{
    campaign_id: number;
    carrier: string;
    channel: string;
    state: string;
    n: number;
  }>(
    `SELECT campaign_id, carrier, channel, state, count(*)::int AS n FROM notification
      WHERE campaign_id = ANY($1::bigint[]) GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
    [ids],
  );
  const faults = await deps.db.query<FaultRow>(
    `SELECT campaign_id, carrier, channel, type, outcome AS code, count(*)::int AS n FROM audit_log
      WHERE campaign_id = ANY($1::bigint[])
        AND type IN ('notification.retry_scheduled', 'notification.failed', 'notification.undelivered')
      GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 6 DESC`,
    [ids],
  );
  const retries = await deps.db.query<RetryEffect>(
    `SELECT campaign_id, carrier, channel, count(*)::int AS retried,
            count(*) FILTER (WHERE state IN ('delivered', 'sent'))::int AS recovered
       FROM notification WHERE campaign_id = ANY($1::bigint[]) AND attempts > 1
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    [ids],
  );
  const reasons = await deps.db.query<{ campaign_id: number; state: string; reason: string; n: number }>(
    `SELECT campaign_id, state, coalesce(reason, '') AS reason, count(*)::int AS n FROM notification
      WHERE campaign_id = ANY($1::bigint[]) AND state IN ('failed', 'undelivered', 'suppressed', 'cancelled')
      GROUP BY 1, 2, 3 ORDER BY 1, 4 DESC LIMIT 200`,
    [ids],
  );
  const campaigns = cs.rows.map((c) => {
    const rates = new Map<string, Rates>();
    for (const r of counts.rows.filter((x) => x.campaign_id === c.id)) {
      const k = `${r.carrier}|${r.channel}`;
      const e = rates.get(k) ?? { carrier: r.carrier, channel: r.channel, total: 0, byState: {} };
      e.total += r.n;
      e.byState[r.state] = (e.byState[r.state] ?? 0) + r.n;
      rates.set(k, e);
    }
    return { ...c, rates: [...rates.values()] };
  });
  return {
    marker: deps.config.EXERCISE_MARKER,
    generatedAt: now.toISOString(),
    incident: toIncident(row),
    timeline,
    campaigns,
    faults: faults.rows,
    retries: retries.rows,
    reasons: reasons.rows,
  };
}

const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);

/** One table model rendered two ways, so Markdown and HTML always say the same. */
interface Table {
  head: string[];
  rows: string[][];
}
interface Section {
  title: string;
  paragraphs: string[];
  tables: Table[];
}

function sections(d: ReportData): Section[] {
  const i = d.incident;
  const t = d.timeline;
  const out: Section[] = [];
  out.push({
    title: 'Incident',
    paragraphs: [
      `${i.title} (exercise ${i.exerciseId}, advisory ${i.advisoryId}, ${i.tlp}), threat actor "${i.threatActor}".`,
      `Carriers: ${i.carriers.join(', ')}. Data: ${i.dataCategories.join(', ')}. Exposure window ${i.window.start} to ${i.window.end}.`,
      `Determined ${i.determinedAt}; ${i.regime} regime; deadlines counted in ${t.timeZone}.`,
    ],
    tables: [],
  });
  out.push({
    title: 'Deadlines',
    paragraphs: [
      t.missed.length === 0 ? 'No deadline missed.' : `Missed: ${t.missed.map((m) => m.label).join('; ')}.`,
      `Customer notices: ${
        t.customerNotices.suppressed
          ? 'suppressed (no-harm determination)'
          : t.customerNotices.allowedNow
            ? 'allowed'
            : `blocked (${t.customerNotices.blockedReasons.map((b) => b.code).join(', ')})`
      }; first sent ${t.customerNotices.firstSentAt ?? 'never'}.`,
    ],
    tables: [
      {
        head: ['deadline', 'due', 'status', 'completed', 'rule'],
        rows: t.deadlines.map((x) => [x.label, x.dueAt, x.status, x.completedAt ?? '', x.rule]),
      },
    ],
  });
  out.push({
    title: 'Law enforcement, holds and determinations',
    paragraphs: [
      t.lawEnforcementReport
        ? `Report sent ${t.lawEnforcementReport.sentAt} by ${t.lawEnforcementReport.carrier} to ${t.lawEnforcementReport.recipient}.`
        : 'Law-enforcement report not sent.',
      t.noHarmDetermination
        ? `No-harm determination ${t.noHarmDetermination.at}: ${t.noHarmDetermination.basis}`
        : 'No harm-based determination recorded.',
      t.urgentNeedOverride
        ? `Urgent-need override ${t.urgentNeedOverride.at} (${t.urgentNeedOverride.agencyConsulted}): ${t.urgentNeedOverride.basis}`
        : 'No urgent-need override recorded.',
    ],
    tables:
      t.holds.length === 0
        ? []
        : [
            {
              head: [
                'hold',
                'agency',
                'directed',
                'until',
                'extensions',
                'released',
                'basis',
                'release basis',
              ],
              rows: t.holds.map((h) => [
                String(h.id),
                h.agency,
                h.directedAt,
                h.until,
                String(h.extensions.length),
                h.releasedAt ?? (h.active ? 'active' : 'lapsed'),
                h.basis,
                h.releaseBasis ?? '',
              ]),
            },
          ],
  });
  const rateRows: string[][] = [];
  for (const c of d.campaigns) {
    for (const r of c.rates) {
      const failed = TERMINAL_FAIL.reduce((n, s) => n + (r.byState[s] ?? 0), 0);
      rateRows.push([
        String(c.id),
        c.kind,
        r.carrier,
        r.channel,
        String(r.total),
        String(r.byState.delivered ?? 0),
        String(failed),
        String(r.byState.suppressed ?? 0),
        String(r.byState.cancelled ?? 0),
        pct(r.byState.delivered ?? 0, r.total),
        pct(failed, r.total),
      ]);
    }
  }
  out.push({
    title: 'Campaigns',
    paragraphs: d.campaigns.length === 0 ? ['No campaign.'] : [],
    tables: [
      {
        head: [
          'campaign',
          'kind',
          'state',
          'channels',
          'created by',
          'approved by',
          'triggered',
          'completed',
        ],
        rows: d.campaigns.map((c) => [
          String(c.id),
          c.kind + (c.corrects_campaign_id ? ` of ${c.corrects_campaign_id}` : ''),
          c.state + (c.suppressed_reason ? ' (suppressed)' : ''),
          c.channels.join(', '),
          c.created_by ?? '',
          c.approved_by ?? (c.kind === 'correction' ? 'exempt (ENDEX)' : ''),
          isoOrNull(c.triggered_at) ?? '',
          isoOrNull(c.completed_at) ?? '',
        ]),
      },
    ],
  });
  out.push({
    title: 'Delivery and failure rates by carrier and channel',
    paragraphs: rateRows.length === 0 ? ['Nothing was queued.'] : [],
    tables:
      rateRows.length === 0
        ? []
        : [
            {
              head: [
                'campaign',
                'kind',
                'carrier',
                'channel',
                'total',
                'delivered',
                'failed',
                'suppressed',
                'cancelled',
                'delivery rate',
                'failure rate',
              ],
              rows: rateRows,
            },
          ],
  });
  out.push({
    title: 'Faults injected and their effect',
    paragraphs: [
      d.faults.length === 0
        ? 'No carrier or SMTP error was observed.'
        : 'Errors returned by the (simulated) carrier network, by code: transient ones were retried, permanent ones failed the notification.',
    ],
    tables: [
      ...(d.faults.length === 0
        ? []
        : [
            {
              head: ['campaign', 'carrier', 'channel', 'event', 'code', 'count'],
              rows: d.faults.map((f) => [
                String(f.campaign_id),
                f.carrier ?? '',
                f.channel ?? '',
                f.type.replace('notification.', ''),
                f.code ?? '',
                String(f.n),
              ]),
            },
          ]),
      ...(d.retries.length === 0
        ? []
        : [
            {
              head: ['campaign', 'carrier', 'channel', 'notifications retried', 'recovered by retry'],
              rows: d.retries.map((r) => [
                String(r.campaign_id),
                r.carrier,
                r.channel,
                String(r.retried),
                `${r.recovered} (${pct(r.recovered, r.retried)})`,
              ]),
            },
          ]),
      ...(d.reasons.length === 0
        ? []
        : [
            {
              head: ['campaign', 'final state', 'reason', 'count'],
              rows: d.reasons.map((r) => [String(r.campaign_id), r.state, r.reason, String(r.n)]),
            },
          ]),
    ],
  });
  const corrections = d.campaigns.filter((c) => c.kind === 'correction');
  out.push({
    title: 'Corrections',
    paragraphs:
      corrections.length === 0
        ? ['No correction was sent.']
        : corrections.map((c) => {
            const total = c.rates.reduce((n, r) => n + r.total, 0);
            const delivered = c.rates.reduce((n, r) => n + (r.byState.delivered ?? 0), 0);
            return `Correction ${c.id} of campaign ${c.corrects_campaign_id} (${c.state}): ${delivered} of ${total} delivered, triggered ${isoOrNull(c.triggered_at) ?? 'never'}.`;
          }),
    tables: [],
  });
  out.push({
    title: 'Timeline',
    paragraphs: [],
    tables: [{ head: ['at', 'event', 'actor'], rows: t.events.map((e) => [e.at, e.summary, e.actor]) }],
  });
  return out;
}

/** Markdown that a renderer shows as text: no raw HTML, links, code or emphasis from recorded words. */
const mdText = (s: string) => s.replace(/[\\`*_[\]<>]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
const mdCell = (s: string) => mdText(s).replace(/\|/g, '\\|');

export function renderAfterActionMarkdown(d: ReportData): string {
  const lines = [
    d.marker,
    '',
    `# After-action report: incident ${d.incident.id} (${mdText(d.incident.exerciseId)})`,
    '',
    `${TRAINING_LINE} Generated ${d.generatedAt}.`,
  ];
  for (const s of sections(d)) {
    lines.push('', `## ${s.title}`, '');
    for (const p of s.paragraphs) lines.push(mdText(p), '');
    for (const t of s.tables) {
      lines.push(`| ${t.head.join(' | ')} |`, `|${t.head.map(() => ' --- |').join('')}`);
      for (const r of t.rows) lines.push(`| ${r.map(mdCell).join(' | ')} |`);
      lines.push('');
    }
  }
  lines.push('', d.marker, '');
  return lines.join('\n');
}

export function renderAfterActionHtml(d: ReportData): string {
  const e = escapeHtml;
  const parts = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${e(`${d.marker} After-action report: incident ${d.incident.id}`)}</title>`,
    '<style>body{font:12pt Arial,sans-serif;margin:16px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #999;padding:2px 6px;font-size:11pt;text-align:left;vertical-align:top}.marker{font-weight:bold;color:#8a1c1c}</style>',
    '</head><body>',
    `<p class="marker">${e(d.marker)}</p>`,
    `<h1>${e(`After-action report: incident ${d.incident.id} (${d.incident.exerciseId})`)}</h1>`,
    `<p>${e(`${TRAINING_LINE} Generated ${d.generatedAt}.`)}</p>`,
  ];
  for (const s of sections(d)) {
    parts.push(`<h2>${e(s.title)}</h2>`);
    for (const p of s.paragraphs) parts.push(`<p>${e(p)}</p>`);
    for (const t of s.tables) {
      parts.push(
        '<table>',
        `<tr>${t.head.map((h) => `<th>${e(h)}</th>`).join('')}</tr>`,
        ...t.rows.map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`),
        '</table>',
      );
    }
  }
  parts.push(`<p class="marker">${e(d.marker)}</p>`, '</body></html>', '');
  return parts.join('\n');
}

export async function afterActionReport(
  deps: { db: Db; config: Pick<Config, 'EXERCISE_MARKER' | 'HOLIDAY_EXTRA_DATES' | 'REGULATORY_TIME_ZONE'> },
  incidentId: number,
  format: 'md' | 'html',
): Promise<string> {
  const data = await gather(deps, incidentId);
  return format === 'html' ? renderAfterActionHtml(data) : renderAfterActionMarkdown(data);
}
