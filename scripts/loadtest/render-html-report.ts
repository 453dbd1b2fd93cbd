import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAGES } from './collect-ledger-stats';
import type { Comparison } from './compare-reports';
import type { LoadtestReport } from './run-loadtest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Chart.js's browser build, when the package is installed (its file name changed across 4.x). */
const CHART_JS_CANDIDATES = [
  'node_modules/chart.js/dist/chart.umd.js',
  'node_modules/chart.js/dist/chart.umd.min.js',
];

export function findChartLibrary(root = ROOT): { file: string; source: string } | null {
  for (const rel of CHART_JS_CANDIDATES) {
    const file = path.join(root, rel);
    if (existsSync(file)) return { file: rel, source: readFileSync(file, 'utf8') };
  }
  return null;
}

const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
/** Text safe inside a <script> element. */
const scriptSafe = (s: string) => s.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');
const num = (n: number | null | undefined) =>
  n === null || n === undefined ? '-' : n.toLocaleString('en-US');

interface ChartSpec {
  id: string;
  title: string;
  type: 'line' | 'bar';
  /** line: x values are numbers (seconds); bar: labels */
  labels?: string[];
  xTitle?: string;
  yTitle?: string;
  datasets: { label: string; data: (number | { x: number; y: number })[]; dashed?: boolean }[];
}

function charts(r: LoadtestReport): ChartSpec[] {
  const l = r.ledger;
  const channels = [...new Set(l.timeline.map((t) => t.channel))].sort();
  const out: ChartSpec[] = [];
  out.push({
    id: 'throughput',
    title: 'Throughput over time (notifications per second after the trigger)',
    type: 'line',
    xTitle: 's after trigger',
    yTitle: 'per second',
    datasets: channels.flatMap((ch) => [
      {
        label: `${ch} delivered/s`,
        data: l.timeline.filter((t) => t.channel === ch).map((t) => ({ x: t.second, y: t.delivered })),
      },
      {
        label: `${ch} accepted/s`,
        data: l.timeline.filter((t) => t.channel === ch).map((t) => ({ x: t.second, y: t.sent })),
        dashed: true,
      },
    ]),
  });
  const progressChannels = [...new Set(r.progress.flatMap((p) => Object.keys(p.byChannel)))].sort();
  out.push({
    id: 'progress',
    title: 'Progress (notifications terminal, delivered, failed)',
    type: 'line',
    xTitle: 's after trigger',
    yTitle: 'notifications',
    datasets: progressChannels.flatMap((ch) => [
      {
        label: `${ch} terminal`,
        data: r.progress.map((p) => ({ x: p.t / 1000, y: p.byChannel[ch]?.terminal ?? 0 })),
      },
      {
        label: `${ch} failed`,
        data: r.progress.map((p) => ({ x: p.t / 1000, y: p.byChannel[ch]?.failed ?? 0 })),
        dashed: true,
      },
    ]),
  });
  const carriers = [...new Set(l.throughput.byCarrier.map((c) => c.carrier))].sort();
  out.push({
    id: 'carriers',
    title: 'Delivered per second, per carrier and channel',
    type: 'bar',
    labels: carriers,
    yTitle: 'per second',
    datasets: channels.map((ch) => ({
      label: ch,
      data: carriers.map(
        (c) => l.throughput.byCarrier.find((x) => x.carrier === c && x.channel === ch)?.perSec ?? 0,
      ),
    })),
  });
  for (const ch of Object.keys(l.latency).sort()) {
    const stages = STAGES.filter((s) => l.latency[ch]![s]);
    out.push({
      id: `latency-${ch}`,
      title: `Latency per stage, ${ch} (ms)`,
      type: 'bar',
      labels: [...stages],
      yTitle: 'ms',
      datasets: (['p50', 'p95', 'p99'] as const).map((p) => ({
        label: p,
        data: stages.map((s) => l.latency[ch]![s]![p]),
      })),
    });
  }
  const names = [...new Set(r.resources.samples.flatMap((s) => Object.keys(s.rssMb)))];
  out.push({
    id: 'memory',
    title: 'Memory: RSS per process and Redis used_memory (MB)',
    type: 'line',
    xTitle: 's',
    yTitle: 'MB',
    datasets: [
      ...names.map((n) => ({
        label: `${n} RSS`,
        data: r.resources.samples
          .filter((s) => s.rssMb[n] !== undefined)
          .map((s) => ({ x: s.t / 1000, y: s.rssMb[n]! })),
      })),
      {
        label: 'Redis used_memory',
        data: r.resources.samples
          .filter((s) => s.redisUsedMb !== null)
          .map((s) => ({ x: s.t / 1000, y: s.redisUsedMb! })),
        dashed: true,
      },
    ],
  });
  if (l.retries.byReason.length > 0) {
    out.push({
      id: 'retries',
      title: 'Retries by reason',
      type: 'bar',
      labels: l.retries.byReason.slice(0, 15).map((x) => `${x.channel} ${x.reason}`),
      yTitle: 'retries',
      datasets: [{ label: 'retries', data: l.retries.byReason.slice(0, 15).map((x) => x.count) }],
    });
  }
  return out;
}

function rows(cells: (string | number | null | undefined)[][]): string {
  return cells
    .map(
      (r) =>
        `<tr>${r.map((c) => `<td>${typeof c === 'number' ? num(c) : esc(c ?? '-')}</td>`).join('')}</tr>`,
    )
    .join('\n');
}

function tables(r: LoadtestReport, comparison: Comparison | null): string {
  const l = r.ledger;
  const g = r.groundTruth;
  const parts: string[] = [];
  parts.push(`<h2>Verdict against the carrier-sim's ground truth</h2>
<p class="${g.ok ? 'pass' : 'fail'}">${g.ok ? 'PASS' : 'FAIL'}: lost ${g.lost}, duplicated ${g.duplicated}, unexpected ${g.unexpected}
(${num(g.arrivals)} arrivals for ${num(g.expected)} accepted notifications; ${num(g.notSent)} not sent by design; ${num(g.unresolved)} unresolved)</p>`);
  parts.push(`<h2>Throughput</h2><table><tr><th></th><th>delivered</th><th>of</th><th>seconds</th><th>per s</th><th>first delivery ms</th></tr>
${rows([
  [
    'all',
    l.throughput.overall.delivered,
    l.throughput.overall.notifications,
    l.throughput.overall.seconds,
    l.throughput.overall.perSec,
    l.throughput.overall.firstDeliveryMs,
  ],
  ...Object.entries(l.throughput.byChannel).map(([c, f]) => [
    c,
    f.delivered,
    f.notifications,
    f.seconds,
    f.perSec,
    f.firstDeliveryMs,
  ]),
])}</table>
<p>Rate = delivered ÷ (last delivered_at − triggered_at). Every row terminal after ${l.completionSeconds === null ? '-' : l.completionSeconds.toFixed(1)} s.</p>`);
  parts.push(`<h2>Per carrier</h2><table><tr><th>carrier</th><th>channel</th><th>delivered</th><th>of</th><th>per s</th></tr>
${rows(l.throughput.byCarrier.map((c) => [c.carrier, c.channel, c.delivered, c.notifications, c.perSec]))}</table>`);
  parts.push(`<h2>Latency per stage (ms)</h2><table><tr><th>channel</th><th>stage</th><th>n</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>
${rows(Object.entries(l.latency).flatMap(([ch, st]) => STAGES.filter((s) => st[s]).map((s) => [ch, s, st[s]!.n, st[s]!.p50, st[s]!.p95, st[s]!.p99, st[s]!.max])))}</table>
<p>queued = ledger row created by fan-out; claimed = first <code>notification.attempt_started</code> audit event; sent = accepted by the carrier or SMTP sink; delivered = receipt time (SMS) or the sink's 250 (email).</p>`);
  parts.push(`<h2>Retries (${num(l.retries.total)}) and failures</h2><table><tr><th>channel</th><th>retry reason</th><th>count</th></tr>
${rows(l.retries.byReason.map((x) => [x.channel, x.reason, x.count]))}</table>
<table><tr><th>channel</th><th>state</th><th>code</th><th>reason</th><th>count</th></tr>
${rows(l.failures.map((f) => [f.channel, f.state, f.code, f.reason, f.count]))}</table>
<table><tr><th>attempts</th><th>notifications</th></tr>${rows(l.attempts.map((a) => [a.attempts, a.count]))}</table>`);
  const cpu = r.resources.cpuSec ?? {};
  const delivered = l.throughput.overall.delivered;
  const cpuNames = [...new Set([...Object.keys(r.resources.peakRssMb), ...Object.keys(cpu)])];
  parts.push(`<h2>Resources</h2><table><tr><th>process</th><th>peak RSS MB</th><th>CPU s</th><th>CPU s per 1,000 delivered</th></tr>
${rows(
  cpuNames.map((n) => [
    n,
    r.resources.peakRssMb[n] ?? '-',
    cpu[n] ?? '-',
    cpu[n] !== undefined && delivered > 0 ? ((cpu[n] * 1000) / delivered).toFixed(2) : '-',
  ]),
)}</table>
<p>Redis used_memory: peak ${r.resources.redis.peakUsedMb ?? '-'} MB (start ${r.resources.redis.startUsedMb ?? '-'}, end ${r.resources.redis.lastUsedMb ?? '-'}).
Database: ${l.database.totalMb} MB (${Object.entries(l.database.tables)
    .map(([t, m]) => `${esc(t)} ${m}`)
    .join(', ')}).</p>`);
  if (r.faultsApplied.length > 0) {
    parts.push(`<h2>Fault steps</h2><table><tr><th>at s</th><th>progress</th><th>step</th><th>applied</th></tr>
${rows(r.faultsApplied.map((f) => [(f.atMs / 1000).toFixed(1), `${Math.round(f.progress * 100)} %`, f.label, f.ok ? 'yes' : (f.error ?? 'no')]))}</table>`);
  }
  if (r.baseline) {
    const b = r.baseline;
    parts.push(`<h2>Naive baseline</h2><p>One BullMQ job per notification, one transaction per event, ${num(b.subscribers)} subscribers.
Engine ÷ naive: ${b.ratio.overall ?? '-'}× overall. Naive ground truth: lost ${b.groundTruth.lost}, duplicated ${b.groundTruth.duplicated}, unexpected ${b.groundTruth.unexpected}.</p>
<table><tr><th>channel</th><th>naive per s</th><th>engine per s</th><th>ratio</th></tr>
${rows(Object.entries(b.throughput.byChannel).map(([ch, f]) => [ch, f.perSec, l.throughput.byChannel[ch]?.perSec, b.ratio.byChannel[ch]]))}</table>`);
  }
  if (comparison) {
    parts.push(`<h2>Compared with ${esc(comparison.previous)}</h2><table><tr><th>metric</th><th>previous</th><th>now</th><th>change %</th></tr>
${rows(comparison.rows.map((x) => [x.metric, x.previous, x.current, x.change]))}</table>`);
  }
  return parts.join('\n');
}

// Draws the same chart specs on a canvas when Chart.js is not bundled: axes, lines, bars, legend.
const FALLBACK_JS = `
function drawFallback(canvas, spec) {
  var ctx = canvas.getContext('2d'), W = canvas.width, H = canvas.height, L = 60, R = 10, T = 10, B = 60;
  var colors = ['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf'];
  var ys = [], xs = [];
  spec.datasets.forEach(function (d) { d.data.forEach(function (p) { if (typeof p === 'number') ys.push(p); else { xs.push(p.x); ys.push(p.y); } }); });
  var ymax = Math.max.apply(null, ys.concat([1])), xmin = xs.length ? Math.min.apply(null, xs) : 0, xmax = xs.length ? Math.max.apply(null, xs.concat([xmin + 1])) : 1;
  var sx = function (x) { return L + (x - xmin) / (xmax - xmin) * (W - L - R); }, sy = function (y) { return H - B - y / ymax * (H - T - B); };
  ctx.font = '11px sans-serif'; ctx.strokeStyle = '#999'; ctx.fillStyle = '#333';
  ctx.beginPath(); ctx.moveTo(L, T); ctx.lineTo(L, H - B); ctx.lineTo(W - R, H - B); ctx.stroke();
  for (var i = 0; i <= 4; i++) { var v = ymax * i / 4; ctx.fillText(v >= 100 ? Math.round(v) : v.toFixed(1), 4, sy(v) + 4); }
  if (spec.type === 'line') {
    for (var j = 0; j <= 4; j++) { var xv = xmin + (xmax - xmin) * j / 4; ctx.fillText(xv.toFixed(0), sx(xv) - 8, H - B + 14); }
    spec.datasets.forEach(function (d, k) {
      ctx.strokeStyle = colors[k % colors.length]; ctx.setLineDash(d.dashed ? [5, 4] : []); ctx.beginPath();
      d.data.forEach(function (p, n) { if (n) ctx.lineTo(sx(p.x), sy(p.y)); else ctx.moveTo(sx(p.x), sy(p.y)); }); ctx.stroke();
    });
    ctx.setLineDash([]);
  } else {
    var groups = spec.labels.length, per = spec.datasets.length, gw = (W - L - R) / Math.max(1, groups), bw = gw * 0.8 / Math.max(1, per);
    spec.labels.forEach(function (lab, g) {
      spec.datasets.forEach(function (d, k) { ctx.fillStyle = colors[k % colors.length]; var y = d.data[g] || 0; ctx.fillRect(L + g * gw + gw * 0.1 + k * bw, sy(y), bw - 1, H - B - sy(y)); });
      ctx.save(); ctx.fillStyle = '#333'; ctx.translate(L + g * gw + gw / 2, H - B + 8); ctx.rotate(0.5); ctx.fillText(String(lab).slice(0, 24), 0, 0); ctx.restore();
    });
  }
  var lx = L + 4;
  spec.datasets.forEach(function (d, k) { ctx.fillStyle = colors[k % colors.length]; ctx.fillRect(lx, T, 10, 10); ctx.fillStyle = '#333'; ctx.fillText(d.label, lx + 14, T + 9); lx += 24 + ctx.measureText(d.label).width; });
}`;

const CHARTJS_JS = `
function drawChartJs(canvas, spec) {
  var palette = ['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf'];
  new Chart(canvas, {
    type: spec.type,
    data: {
      labels: spec.labels,
      datasets: spec.datasets.map(function (d, k) {
        return { label: d.label, data: d.data, borderColor: palette[k % palette.length], backgroundColor: palette[k % palette.length],
                 borderDash: d.dashed ? [6, 4] : [], pointRadius: 0, borderWidth: 1.5, tension: 0 };
      })
    },
    options: {
      animation: false, responsive: false, parsing: spec.type === 'bar',
      scales: spec.type === 'line'
        ? { x: { type: 'linear', title: { display: true, text: spec.xTitle || '' } }, y: { beginAtZero: true, title: { display: true, text: spec.yTitle || '' } } }
        : { y: { beginAtZero: true, title: { display: true, text: spec.yTitle || '' } } },
      plugins: { title: { display: false } }
    }
  });
}`;

/**
 * A self-contained HTML report: the figures as tables and charts, the full JSON report embedded,
 * and the charting library inlined (Chart.js when node_modules has it; otherwise a small canvas
 * renderer in the page draws the same charts). Opens without any network.
 */
export function renderHtmlReport(
  r: LoadtestReport,
  opts: { comparison?: Comparison | null; chartLibrary?: { file: string; source: string } | null } = {},
): string {
  const lib = opts.chartLibrary === undefined ? findChartLibrary() : opts.chartLibrary;
  const specs = charts(r);
  const data = JSON.stringify({ specs }).replace(/</g, '\\u003c');
  const report = JSON.stringify(r).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>breach-drill load test: ${esc(r.scenario.name)}, ${esc(r.startedAt)}</title>
<meta name="generator" content="breach-drill loadtest; charts: ${lib ? esc(lib.file) : 'built-in canvas renderer'}">
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 8px 0 16px; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; } .pass { color: #176b2c; font-weight: bold; } .fail { color: #b00020; font-weight: bold; }
figure { margin: 16px 0; } figcaption { font-weight: 600; margin-bottom: 4px; } code { background: #f3f3f3; padding: 0 3px; }
</style></head><body>
<h1>Load test: ${esc(r.scenario.name)}</h1>
<p>EXERCISE traffic only, to the mock carrier network. ${esc(r.scenario.description)}</p>
<p><code>${esc(r.command)}</code><br>${esc(r.startedAt)} → ${esc(r.finishedAt)}; ${r.machine.cpus} × ${esc(r.machine.cpuModel)}, ${r.machine.memoryGb} GB, Node ${esc(r.machine.node)};
load average ${r.machine.loadAverage.before.join(' ')} before, ${r.machine.loadAverage.after.join(' ')} after. ${r.finished ? '' : '<b>TIMEOUT: not every campaign finished.</b>'}</p>
${tables(r, opts.comparison ?? null)}
<h2>Charts</h2>
${specs.map((s) => `<figure><figcaption>${esc(s.title)}</figcaption><canvas id="chart-${esc(s.id)}" width="1000" height="320"></canvas></figure>`).join('\n')}
<details><summary>Full report (JSON)</summary><pre id="report-json"></pre></details>
${lib ? `<script>${scriptSafe(lib.source)}</script>` : '<!-- Chart.js not installed: the built-in canvas renderer draws the charts -->'}
<script id="report-data" type="application/json">${report}</script>
<script>
${FALLBACK_JS}
${CHARTJS_JS}
var DATA = ${data};
DATA.specs.forEach(function (spec) {
  var canvas = document.getElementById('chart-' + spec.id);
  if (typeof Chart !== 'undefined') drawChartJs(canvas, spec); else drawFallback(canvas, spec);
});
document.getElementById('report-json').textContent = JSON.stringify(JSON.parse(document.getElementById('report-data').textContent), null, 2);
</script>
</body></html>
`;
}
