import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessStack, type InProcessStack } from '../helpers/stack-harness';
import { authHeaders } from '../helpers/api-harness';
import { apiClient } from '../../scripts/lib/api-client';
import { runLoadtest, type LoadtestReport } from '../../scripts/loadtest/run-loadtest';
import { STAGES } from '../../scripts/loadtest/collect-ledger-stats';
import { renderHtmlReport } from '../../scripts/loadtest/render-html-report';
import { formatReport } from '../../scripts/loadtest/print-report';
import { compareReports } from '../../scripts/loadtest/compare-reports';
import { scenarioFile } from '../../scripts/loadtest/scenarios';

// A small load test (≈ 5,000 notifications) through the real api, workers, Redis, database and
// carrier-sim; it asserts the checker's verdict and the report's shape, never a time.
let stack: InProcessStack;
let report: LoadtestReport;

beforeAll(async () => {
  stack = await startInProcessStack('loadtest', { RETRY_MAX_ATTEMPTS: '20' });
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

describe('load test, small', () => {
  it(
    '2,700 subscribers × email+sms with a scheduled SMTP fault → every notice arrives once, report complete',
    { timeout: 240_000 },
    async () => {
      const scenario = scenarioFile.parse({
        name: 'small-flaky',
        description: 'SMTP answers 451 to a tenth of messages for two seconds once a fifth is done',
        steps: [
          { atProgress: 0.2, label: 'smtp 451', faults: { all: { email: { errorRates: { '451': 0.1 } } } } },
          { afterPreviousMs: 2_000, label: 'all clear', faults: {} },
        ],
      });
      report = await runLoadtest(
        {
          apiUrl: stack.apiUrl,
          simUrl: stack.simUrl,
          db: stack.testDb.db,
          operators: {
            author: apiClient(stack.apiUrl, authHeaders('operator')),
            approver: apiClient(stack.apiUrl, authHeaders('operator2')),
          },
          processes: [{ name: 'test process', pid: process.pid }],
        },
        {
          subscribers: 2_700,
          channels: ['email', 'sms'],
          seed: 7,
          scenario,
          kind: 'carrier-notice',
          timeoutMs: 100_000,
          progressBars: false,
          liftLimits: true,
          baseline: null,
          baselineSubscribers: 0,
          workers: 1,
          command: 'vitest tests/e2e/loadtest-small.test.ts',
          log: () => undefined,
        },
      );

      expect(report.finished).toBe(true);
      const total = report.ledger.throughput.overall.notifications;
      expect(total).toBeGreaterThan(4_500);
      expect(total).toBeLessThan(5_500);
      // The checker's verdict against the carrier-sim's ground truth.
      expect(report.groundTruth).toMatchObject({
        ok: true,
        lost: 0,
        duplicated: 0,
        unexpected: 0,
        unresolved: 0,
      });
      expect(report.groundTruth.rows).toBe(total);
      expect(report.groundTruth.matched).toBe(report.groundTruth.expected);
      expect(report.groundTruth.arrivals).toBe(report.groundTruth.expected);

      // The report's shape.
      expect(report.faultsApplied.map((f) => [f.label, f.ok])).toEqual([
        ['smtp 451', true],
        ['all clear', true],
      ]);
      for (const channel of ['email', 'sms']) {
        const f = report.ledger.throughput.byChannel[channel]!;
        expect(f.delivered + (report.ledger.byState.failed ?? 0)).toBeGreaterThan(0);
        expect(f.perSec).toBeGreaterThan(0);
        expect(f.firstDeliveryMs).not.toBeNull();
        for (const stage of STAGES)
          expect(report.ledger.latency[channel]?.[stage], `${channel} ${stage}`).toBeDefined();
      }
      expect(new Set(report.ledger.throughput.byCarrier.map((c) => c.carrier)).size).toBe(9);
      expect(report.ledger.timeline.length).toBeGreaterThan(0);
      expect(report.ledger.attempts.reduce((n, a) => n + a.count, 0)).toBe(total);
      expect(report.ledger.database.totalMb).toBeGreaterThan(0);
      expect(report.progress.at(-1)!.byChannel.sms!.terminal).toBe(report.expected.sms);
      expect(report.resources.samples.length).toBeGreaterThan(0);
      expect(report.resources.peakRssMb['test process']).toBeGreaterThan(0);
      expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    },
  );

  it('report → terminal text, self-contained HTML and a comparison with itself', () => {
    expect(report).toBeDefined();
    const text = formatReport(report);
    expect(text).toContain('verdict: PASS');
    expect(text).toMatch(/Latency per stage/);
    const html = renderHtmlReport(report, {
      chartLibrary: null,
      comparison: compareReports(report, report, 'same'),
    });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html.match(/<canvas /g)?.length).toBeGreaterThanOrEqual(5);
    expect(html).toContain('PASS');
    const embedded = /<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(JSON.parse(embedded).groundTruth.ok).toBe(true);
    // Chart.js, when given, is inlined as it is (and cannot close the script element early).
    const withLib = renderHtmlReport(report, {
      chartLibrary: { file: 'x.js', source: 'var Chart = 1; "</script>";' },
    });
    expect(withLib).toContain('var Chart = 1; "<\\/script>";');
    const same = compareReports(report, report, 'same');
    expect(same.rows.filter((r) => r.change !== null).every((r) => r.change === 0)).toBe(true);
  });
});
