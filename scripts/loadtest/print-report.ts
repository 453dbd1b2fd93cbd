import { STAGES } from './collect-ledger-stats';
import type { LoadtestReport } from './run-loadtest';
import type { Comparison } from './compare-reports';

const num = (n: number | null | undefined) =>
  n === null || n === undefined ? '-' : n.toLocaleString('en-US');
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

function table(headers: string[], rows: (string | number | null)[][], widths: number[]): string[] {
  const fmt = (cells: (string | number | null)[]) =>
    '  ' +
    cells
      .map((c, i) => {
        const s = typeof c === 'number' ? num(c) : (c ?? '-');
        return i === 0 ? pad(s, widths[i]!) : lpad(s, widths[i]!);
      })
      .join(' ');
  return [fmt(headers), ...rows.map(fmt)];
}

/** The report for a terminal: throughput, latency per stage, retries, failures, resources, verdict. */
export function formatReport(r: LoadtestReport, comparison?: Comparison | null): string {
  const out: string[] = [];
  const l = r.ledger;
  out.push(
    '',
    `Load test: scenario ${r.scenario.name}, ${r.options.subscribers.toLocaleString('en-US')} subscribers, channels ${r.options.channels.join('+')}, ${r.options.workers} worker process(es)`,
  );
  out.push(
    `  ${r.ledger.campaigns.length} campaign(s), ${num(l.throughput.overall.notifications)} notifications, load average before ${r.machine.loadAverage.before.join(' ')}, after ${r.machine.loadAverage.after.join(' ')}`,
  );
  if (!r.finished) out.push('  TIMEOUT: not every campaign finished; the figures cover what did');
  for (const f of r.faultsApplied)
    out.push(
      `  fault step at ${(f.atMs / 1000).toFixed(1)} s (${Math.round(f.progress * 100)} % done): ${f.label}${f.ok ? '' : ' FAILED'}`,
    );

  out.push('', 'Throughput (delivered ÷ trigger → last delivery)');
  const o = l.throughput.overall;
  out.push(
    ...table(
      ['', 'delivered', 'of', 'seconds', 'per s', 'first ms'],
      [
        ['all', o.delivered, o.notifications, o.seconds, o.perSec, o.firstDeliveryMs],
        ...Object.entries(l.throughput.byChannel).map(([ch, f]) => [
          ch,
          f.delivered,
          f.notifications,
          f.seconds,
          f.perSec,
          f.firstDeliveryMs,
        ]),
      ],
      [12, 10, 10, 9, 8, 9],
    ),
  );
  if (l.completionSeconds !== null)
    out.push(
      `  every row terminal (campaign completed) after ${l.completionSeconds.toFixed(1)} s: ${num(Math.round(o.notifications / Math.max(0.001, l.completionSeconds)))} notifications/s`,
    );

  out.push('', 'Per carrier');
  out.push(
    ...table(
      ['carrier / channel', 'delivered', 'of', 'per s'],
      l.throughput.byCarrier.map((c) => [
        `${c.carrier} ${c.channel}`,
        c.delivered,
        c.notifications,
        c.perSec,
      ]),
      [32, 10, 10, 8],
    ),
  );

  out.push('', 'Latency per stage, ms (claimed = first attempt started)');
  for (const [ch, stages] of Object.entries(l.latency)) {
    out.push(
      ...table(
        [ch, 'p50', 'p95', 'p99', 'max'],
        STAGES.filter((s) => stages[s]).map((s) => [
          s,
          stages[s]!.p50,
          stages[s]!.p95,
          stages[s]!.p99,
          stages[s]!.max,
        ]),
        [20, 9, 9, 9, 9],
      ),
    );
  }

  out.push('', `Retries: ${num(l.retries.total)}`);
  for (const x of l.retries.byReason.slice(0, 10))
    out.push(`  ${pad(x.channel, 6)} ${pad(x.reason, 40)} ${lpad(num(x.count), 9)}`);
  const failed = l.failures.reduce((n, f) => n + f.count, 0);
  out.push(`Not delivered: ${num(failed)}`);
  for (const f of l.failures.slice(0, 10))
    out.push(
      `  ${pad(f.channel, 6)} ${pad(f.state, 12)} ${pad(f.code, 16)} ${pad(f.reason.slice(0, 50), 50)} ${lpad(num(f.count), 8)}`,
    );

  out.push('', 'Resources');
  for (const [name, mb] of Object.entries(r.resources.peakRssMb))
    out.push(`  peak RSS ${pad(name, 22)} ${lpad(mb.toFixed(0), 6)} MB`);
  const total = r.ledger.throughput.overall.delivered;
  for (const [name, sec] of Object.entries(r.resources.cpuSec ?? {}))
    out.push(
      `  CPU ${pad(name, 27)} ${lpad(sec.toFixed(1), 7)} s${total > 0 ? `  (${((sec * 1000) / total).toFixed(2)} s per 1,000 delivered)` : ''}`,
    );
  const redis = r.resources.redis;
  if (redis.peakUsedMb !== null)
    out.push(
      `  Redis used_memory peak ${redis.peakUsedMb} MB (start ${redis.startUsedMb} MB, end ${redis.lastUsedMb} MB)`,
    );
  out.push(
    `  database ${l.database.totalMb} MB (${Object.entries(l.database.tables)
      .slice(0, 4)
      .map(([t, m]) => `${t} ${m}`)
      .join(', ')})`,
  );

  const g = r.groundTruth;
  out.push(
    '',
    `Ground truth (carrier-sim arrivals): ${g.arrivals} arrivals for ${g.expected} accepted notifications, ${g.notSent} not sent by design`,
  );
  out.push(
    `  lost ${g.lost}, duplicated ${g.duplicated}, unexpected ${g.unexpected}${g.unresolved ? ` (unresolved ${g.unresolved})` : ''}`,
  );
  out.push(`  verdict: ${g.ok ? 'PASS: nothing lost, nothing duplicated, nothing unexpected' : 'FAIL'}`);

  if (r.baseline) {
    const b = r.baseline;
    out.push(
      '',
      `Naive baseline (one job per notification, one transaction per event), ${num(b.subscribers)} subscribers:`,
    );
    out.push(`  ${num(b.throughput.overall.perSec)}/s overall; engine ÷ naive = ${b.ratio.overall ?? '-'}×`);
    for (const [ch, f] of Object.entries(b.throughput.byChannel))
      out.push(
        `  ${pad(ch, 6)} naive ${lpad(num(f.perSec), 7)}/s   engine ÷ naive ${b.ratio.byChannel[ch] ?? '-'}×`,
      );
    out.push(
      `  naive ground truth: lost ${b.groundTruth.lost}, duplicated ${b.groundTruth.duplicated}, unexpected ${b.groundTruth.unexpected}`,
    );
  }
  if (comparison) {
    out.push('', `Compared with ${comparison.previous}:`);
    for (const row of comparison.rows)
      out.push(
        `  ${pad(row.metric, 40)} ${lpad(num(row.previous), 10)} → ${lpad(num(row.current), 10)}  ${row.change === null ? '' : `${row.change > 0 ? '+' : ''}${row.change} %`}`,
      );
  }
  return out.join('\n');
}
