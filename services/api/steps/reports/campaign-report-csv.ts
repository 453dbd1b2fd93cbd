import type { Response } from 'express';
import type { Db } from '../../../../shared/store/db';
import type { CampaignReport, NotDeliveredItem, ReportTable } from '../../../../shared/api/report.schema';
import { toSafeCsv, type CsvCell } from '../../../../shared/audit/safe-csv';
import { notDeliveredPage } from './build-campaign-report';

const NOT_DELIVERED_BATCH = 1_000; // recipients per query while streaming the whole list

const NOT_DELIVERED_HEADER = [
  'notificationId',
  'subscriberHash',
  'contactMasked',
  'channel',
  'carrier',
  'state',
  'why',
  'reason',
  'carrierCode',
  'attempts',
  'trail',
];

function trailText(item: NotDeliveredItem): string {
  return item.trail
    .map(
      (e) =>
        `${e.at} ${e.type}${e.attempt !== null ? `#${e.attempt}` : ''}${e.outcome ? ` ${e.outcome}` : ''}${e.detail ? ` (${e.detail})` : ''}`,
    )
    .join(' | ');
}

function notDeliveredRow(i: NotDeliveredItem): CsvCell[] {
  return [
    i.notificationId,
    i.subscriberHash,
    i.contactMasked,
    i.channel,
    i.carrier,
    i.state,
    i.why,
    i.reason,
    i.carrierCode,
    i.attempts,
    trailText(i),
  ];
}

/** One table of the report as formula-safe CSV (everything but the recipient list, which streams). */
export function reportTableCsv(report: CampaignReport, table: Exclude<ReportTable, 'not-delivered'>): string {
  switch (table) {
    case 'counts':
      return toSafeCsv(
        report.counts.map((c) => [c.state, c.channel, c.carrier, c.n]),
        { header: ['state', 'channel', 'carrier', 'n'] },
      );
    case 'latency':
      return toSafeCsv(
        (['triggerToSent', 'sentToDelivered'] as const).flatMap((metric) =>
          report.latencyMs[metric].map((l) => [
            metric,
            l.channel ?? 'all',
            l.carrier ?? 'all',
            l.n,
            l.p50,
            l.p90,
            l.p95,
            l.p99,
            l.max,
          ]),
        ),
        { header: ['metric', 'channel', 'carrier', 'n', 'p50Ms', 'p90Ms', 'p95Ms', 'p99Ms', 'maxMs'] },
      );
    case 'throughput':
      return toSafeCsv(
        report.throughput.buckets.map((b) => [
          b.start,
          report.throughput.bucketSeconds,
          b.sent,
          b.delivered,
          b.failed,
        ]),
        { header: ['bucketStart', 'bucketSeconds', 'sent', 'delivered', 'failed'] },
      );
    case 'reasons':
      return toSafeCsv(
        report.failureReasons.map((r) => [r.state, r.channel, r.carrierCode, r.reason, r.n]),
        { header: ['state', 'channel', 'carrierCode', 'reason', 'n'] },
      );
    case 'retries':
      return toSafeCsv(
        report.retries.map((r) => [r.channel, r.carrier, r.code, r.n]),
        { header: ['channel', 'carrier', 'code', 'n'] },
      );
  }
}

/** Streams every recipient not delivered, in notification-id batches (bounded memory). */
export async function streamNotDeliveredCsv(db: Db, campaignId: number, res: Response): Promise<number> {
  let after = 0;
  let rows = 0;
  const write = async (text: string) => {
    if (res.destroyed) return false;
    if (!res.write(text)) await new Promise((r) => (res.once('drain', r), res.once('close', r)));
    return !res.destroyed;
  };
  if (!(await write(toSafeCsv([], { header: NOT_DELIVERED_HEADER })))) return rows;
  for (;;) {
    const page = await notDeliveredPage(db, campaignId, after, NOT_DELIVERED_BATCH);
    if (page.items.length === 0) break;
    rows += page.items.length;
    if (!(await write(toSafeCsv(page.items.map(notDeliveredRow))))) break;
    if (page.nextCursor === null) break;
    after = page.nextCursor;
  }
  return rows;
}
