import type { CampaignReport, LatencyRow } from '../../../../shared/api/report.schema';
import { REPORT_TABLES } from '../../../../shared/api/report.schema';
import { NOTIFICATION_STATES } from '../../../../shared/domain';
import { escapeHtml } from '../../../../shared/notices/escape-markup';

const h = (v: unknown): string => escapeHtml(v === null || v === undefined ? '' : String(v));
const num = (v: number | null) => (v === null ? '–' : v.toLocaleString('en-US'));

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f}
.banner{background:#ffd60a;padding:8px 16px;font-weight:700;letter-spacing:.05em}
main{padding:16px 24px;max-width:1200px}h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f2f2f2}td.l,th.l{text-align:left}.muted{color:#666}code{font-size:12px}
details summary{cursor:pointer}svg{background:#fafafa;border:1px solid #ddd}`;

function table(head: string[], rows: (string | number | null)[][], leftCols = 1): string {
  const th = head.map((c, i) => `<th${i < leftCols ? ' class="l"' : ''}>${h(c)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${i < leftCols ? ' class="l"' : ''}>${typeof c === 'number' ? num(c) : h(c)}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body || `<tr><td class="l" colspan="${head.length}">none</td></tr>`}</tbody></table>`;
}

function latencyTable(rows: LatencyRow[]): string {
  return table(
    ['channel', 'carrier', 'n', 'p50 ms', 'p90 ms', 'p95 ms', 'p99 ms', 'max ms'],
    rows.map((l) => [l.channel ?? 'all', l.carrier ?? 'all', l.n, l.p50, l.p90, l.p95, l.p99, l.max]),
    2,
  );
}

function throughputSvg(t: CampaignReport['throughput']): string {
  if (t.buckets.length === 0) return '<p class="muted">Nothing sent yet.</p>';
  const W = 960;
  const H = 200;
  const max = Math.max(1, ...t.buckets.map((b) => Math.max(b.sent, b.delivered)));
  const bw = W / t.buckets.length;
  const bars = t.buckets
    .map((b, i) => {
      const sh = (b.sent / max) * (H - 20);
      const fh = (b.failed / max) * (H - 20);
      return (
        `<rect x="${(i * bw).toFixed(1)}" y="${(H - sh).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${sh.toFixed(1)}" fill="#4a90d9"><title>${h(b.start)}: ${b.sent} sent, ${b.delivered} delivered, ${b.failed} failed</title></rect>` +
        (fh > 0
          ? `<rect x="${(i * bw).toFixed(1)}" y="${(H - fh).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${fh.toFixed(1)}" fill="#d0021b"/>`
          : '')
      );
    })
    .join('');
  const line = t.buckets
    .map((b, i) => `${(i * bw + bw / 2).toFixed(1)},${(H - (b.delivered / max) * (H - 20)).toFixed(1)}`)
    .join(' ');
  return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="throughput">${bars}<polyline points="${line}" fill="none" stroke="#2e7d32" stroke-width="2"/></svg>
<p class="muted">Bars: sent per ${t.bucketSeconds} s (red: failed or undeliverable). Line: delivered. Peak ${t.peakSentPerSec.toLocaleString('en-US')} sent/s.</p>`;
}

function countsPivot(report: CampaignReport): string {
  const states = NOTIFICATION_STATES.filter((s) => report.totals.byState[s] !== undefined);
  const keys = [...new Set(report.counts.map((c) => `${c.channel}\u0000${c.carrier}`))].sort();
  const cell = new Map(report.counts.map((c) => [`${c.channel}\u0000${c.carrier}\u0000${c.state}`, c.n]));
  const rows = keys.map((k) => {
    const [channel, carrier] = k.split('\u0000') as [string, string];
    const ns = states.map((s) => cell.get(`${k}\u0000${s}`) ?? 0);
    return [channel, carrier, ...ns, ns.reduce((a, b) => a + b, 0)];
  });
  rows.push(['all', 'all', ...states.map((s) => report.totals.byState[s] ?? 0), report.totals.notifications]);
  return table(['channel', 'carrier', ...states, 'total'], rows, 2);
}

/** The report as one self-contained HTML page (no scripts, no external assets). */
export function renderCampaignReportHtml(
  report: CampaignReport,
  basePath: string,
  pageQuery: string,
): string {
  const c = report.campaign;
  const t = report.totals;
  const csvLinks = REPORT_TABLES.map(
    (tb) => `<a href="${h(`${basePath}?format=csv&table=${tb}`)}">${h(tb)}</a>`,
  ).join(' · ');
  const nd = report.notDelivered;
  const ndRows = nd.items
    .map(
      (i) => `<tr><td class="l">${i.notificationId}</td><td class="l"><code>${h(i.subscriberHash)}</code></td>
<td class="l">${h(i.contact ?? i.contactMasked)}</td><td class="l">${h(i.channel)}</td><td class="l">${h(i.carrier)}</td>
<td class="l">${h(i.state)}</td><td class="l">${h(i.why)}</td><td>${i.attempts}</td>
<td class="l"><details><summary>${i.trail.length} events</summary>${i.trail
        .map(
          (e) =>
            `<div><code>#${e.seq}</code> ${h(e.at)} ${h(e.type)}${e.attempt !== null ? ` (attempt ${e.attempt})` : ''} ${h(e.outcome ?? '')} <span class="muted">${h(e.detail ?? '')}</span></div>`,
        )
        .join('')}</details></td></tr>`,
    )
    .join('');
  const next =
    nd.nextCursor !== null
      ? `<p><a href="${h(`${basePath}?format=html&after=${nd.nextCursor}${pageQuery}`)}">next ${nd.items.length} recipients →</a></p>`
      : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>EXERCISE – campaign ${c.id} report</title><style>${STYLE}</style></head>
<body><div class="banner">EXERCISE EXERCISE EXERCISE – simulated notification campaign, no real breach occurred</div><main>
<h1>Campaign ${c.id} report</h1>
<p>Incident ${c.incidentId} · ${h(c.kind)} · ${h(c.channels.join(', '))} · state <b>${h(c.state)}</b><br>
created ${h(c.createdAt)} · triggered ${h(c.triggeredAt ?? '–')} · completed ${h(c.completedAt ?? '–')}<br>
<span class="muted">generated ${h(report.generatedAt)} from the notification ledger and the audit log ·
<a href="${h(`${basePath}?format=json`)}">JSON</a> · CSV: ${csvLinks}</span></p>
<h2>Totals</h2>
${table(
  ['notifications', 'reached a carrier', 'delivered', 'not delivered', 'still open'],
  [[t.notifications, t.reachedCarrier, t.delivered, t.notDelivered, t.open]],
  0,
)}
<h2>Counts by state × channel × carrier</h2>
${countsPivot(report)}
<h2>Latency: trigger → sent</h2>
${latencyTable(report.latencyMs.triggerToSent)}
<h2>Latency: sent → delivered</h2>
${latencyTable(report.latencyMs.sentToDelivered)}
<h2>Throughput over time</h2>
${throughputSvg(report.throughput)}
<h2>Top failure reasons</h2>
${table(
  ['state', 'channel', 'code', 'reason', 'n'],
  report.failureReasons.map((r) => [r.state, r.channel, r.carrierCode, r.reason, r.n]),
  4,
)}
<h2>Retries (attempts that did not succeed at once)</h2>
${table(
  ['channel', 'carrier', 'code', 'n'],
  report.retries.map((r) => [r.channel, r.carrier, r.code, r.n]),
  3,
)}
<h2>Why not delivered (${nd.total.toLocaleString('en-US')})</h2>
<table><thead><tr><th class="l">notification</th><th class="l">subscriber</th><th class="l">contact</th><th class="l">channel</th>
<th class="l">carrier</th><th class="l">state</th><th class="l">why</th><th>attempts</th><th class="l">audit trail</th></tr></thead>
<tbody>${ndRows || '<tr><td class="l" colspan="9">every notification was delivered</td></tr>'}</tbody></table>
${next}
</main></body></html>`;
}
