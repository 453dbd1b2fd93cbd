import type { LoadtestReport } from './run-loadtest';

export interface ComparisonRow {
  metric: string;
  previous: number | null;
  current: number | null;
  /** (current − previous) ÷ previous, in %, one decimal */
  change: number | null;
}

export interface Comparison {
  previous: string;
  rows: ComparisonRow[];
}

type Metric = [string, (r: LoadtestReport) => number | null | undefined];

const METRICS: Metric[] = [
  ['notifications', (r) => r.ledger.throughput.overall.notifications],
  ['delivered per s (all)', (r) => r.ledger.throughput.overall.perSec],
  ['email delivered per s', (r) => r.ledger.throughput.byChannel.email?.perSec],
  ['sms delivered per s', (r) => r.ledger.throughput.byChannel.sms?.perSec],
  ['first delivery ms', (r) => r.ledger.throughput.overall.firstDeliveryMs],
  ['completion s', (r) => r.ledger.completionSeconds],
  ['email trigger→delivered p95 ms', (r) => r.ledger.latency.email?.['trigger→delivered']?.p95],
  ['sms trigger→delivered p95 ms', (r) => r.ledger.latency.sms?.['trigger→delivered']?.p95],
  ['retries', (r) => r.ledger.retries.total],
  ['lost', (r) => r.groundTruth.lost],
  ['duplicated', (r) => r.groundTruth.duplicated],
  ['unexpected', (r) => r.groundTruth.unexpected],
  ['Redis used_memory peak MB', (r) => r.resources.redis.peakUsedMb],
  ['database MB', (r) => r.ledger.database.totalMb],
];

/** The difference between an earlier report (`--compare previous.json`) and this one. */
export function compareReports(previous: LoadtestReport, current: LoadtestReport, label: string): Comparison {
  const rows: ComparisonRow[] = METRICS.map(([metric, get]) => {
    const p = get(previous) ?? null;
    const c = get(current) ?? null;
    const change = p !== null && c !== null && p !== 0 ? Math.round(((c - p) / p) * 1000) / 10 : null;
    return { metric, previous: p, current: c, change };
  });
  const processes = new Set([
    ...Object.keys(previous.resources.peakRssMb),
    ...Object.keys(current.resources.peakRssMb),
  ]);
  for (const name of processes) {
    const p = previous.resources.peakRssMb[name] ?? null;
    const c = current.resources.peakRssMb[name] ?? null;
    rows.push({
      metric: `peak RSS MB ${name}`,
      previous: p,
      current: c,
      change: p !== null && c !== null && p !== 0 ? Math.round(((c - p) / p) * 1000) / 10 : null,
    });
  }
  return { previous: label, rows };
}

/** Reads and sanity-checks a report written by an earlier run. */
export function parseReport(json: string, label: string): LoadtestReport {
  const r = JSON.parse(json) as Partial<LoadtestReport>;
  if (r.kind !== 'breach-drill-loadtest' || !r.ledger || !r.groundTruth)
    throw new Error(`${label} is not a load-test report (expected kind "breach-drill-loadtest")`);
  return r as LoadtestReport;
}
