import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { Db } from '../../shared/store/db';

export interface ChannelProgress {
  total: number;
  /** accepted by the carrier or SMTP sink (sent, delivered, undelivered) */
  sent: number;
  delivered: number;
  /** ended without reaching the handset: failed, undelivered, suppressed, cancelled */
  failed: number;
  terminal: number;
}

export interface ProgressSample {
  /** ms after the trigger */
  t: number;
  byChannel: Record<string, ChannelProgress>;
}

export interface FollowResult {
  samples: ProgressSample[];
  /** every campaign completed or cancelled before the timeout */
  finished: boolean;
  campaignStates: Record<number, string>;
  /** wall-clock ms from trigger until the follower saw every campaign finished */
  wallMs: number;
}

const TERMINAL = ['delivered', 'undelivered', 'failed', 'suppressed', 'cancelled'];
const SENT = ['sent', 'delivered', 'undelivered'];
const FAILED = ['failed', 'undelivered', 'suppressed', 'cancelled'];
const RATE_WINDOW_MS = 5_000;

async function readProgress(
  db: Db,
  campaignIds: readonly number[],
  expected: Record<string, number>,
): Promise<Record<string, ChannelProgress>> {
  const r = await db.query<{ channel: string; state: string; n: number }>(
    'SELECT channel, state, count(*)::int AS n FROM notification WHERE campaign_id = ANY($1::bigint[]) GROUP BY 1, 2',
    [campaignIds],
  );
  const out: Record<string, ChannelProgress> = {};
  for (const [channel, total] of Object.entries(expected))
    out[channel] = { total, sent: 0, delivered: 0, failed: 0, terminal: 0 };
  const rows: Record<string, number> = {};
  for (const row of r.rows) {
    const p = (out[row.channel] ??= { total: 0, sent: 0, delivered: 0, failed: 0, terminal: 0 });
    rows[row.channel] = (rows[row.channel] ?? 0) + row.n;
    if (SENT.includes(row.state)) p.sent += row.n;
    if (row.state === 'delivered') p.delivered += row.n;
    if (FAILED.includes(row.state)) p.failed += row.n;
    if (TERMINAL.includes(row.state)) p.terminal += row.n;
  }
  // Fan-out may find fewer (or more) than expected: once the ledger holds more, trust the ledger.
  for (const [channel, n] of Object.entries(rows)) out[channel]!.total = Math.max(out[channel]!.total, n);
  return out;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
}

/**
 * Follows campaigns from the ledger until every one is completed or cancelled: one progress bar per
 * channel (sent, delivered, failed, rate, ETA) on a terminal, a line every few seconds otherwise.
 * The poll is one GROUP BY over the campaigns' ledger rows; on big runs it backs off so that it
 * never takes more than a tenth of the time it follows.
 */
export async function followProgress(opts: {
  db: Db;
  campaignIds: readonly number[];
  expected: Record<string, number>;
  startedAt: number;
  timeoutMs: number;
  progressBars: boolean;
  onProgress?: (share: number) => void;
  log?: (line: string) => void;
}): Promise<FollowResult> {
  const samples: ProgressSample[] = [];
  const bars = opts.progressBars
    ? new MultiBar(
        {
          format:
            '{channel} [{bar}] {percentage}% | sent {sent} | delivered {delivered} | failed {failed} | {rate}/s | ETA {etaText}',
          hideCursor: true,
          barsize: 28,
          etaBuffer: 1,
        },
        Presets.shades_classic,
      )
    : null;
  const handles = new Map<string, SingleBar>();
  const log = opts.log ?? ((l: string) => console.log(l));
  let lastLine = 0;
  let interval = 1_000;
  let finished = false;
  let states: Record<number, string> = {};
  const deadline = opts.startedAt + opts.timeoutMs;
  try {
    while (Date.now() < deadline) {
      const polledAt = Date.now();
      const byChannel = await readProgress(opts.db, opts.campaignIds, opts.expected);
      const pollMs = Date.now() - polledAt;
      interval = Math.min(5_000, Math.max(1_000, pollMs * 10));
      const t = polledAt - opts.startedAt;
      samples.push({ t, byChannel });
      const past = samples.findLast((s) => s.t <= t - RATE_WINDOW_MS) ?? samples[0]!;
      let total = 0;
      let terminal = 0;
      const parts: string[] = [];
      for (const [channel, p] of Object.entries(byChannel)) {
        total += p.total;
        terminal += p.terminal;
        const before = past.byChannel[channel]?.terminal ?? 0;
        const rate = t > past.t ? Math.round(((p.terminal - before) * 1000) / (t - past.t)) : 0;
        const eta = rate > 0 ? (p.total - p.terminal) / rate : Infinity;
        const payload = {
          channel: channel.padEnd(5),
          sent: p.sent,
          delivered: p.delivered,
          failed: p.failed,
          rate,
          etaText: p.terminal >= p.total && p.total > 0 ? 'done' : formatEta(eta),
        };
        if (bars) {
          let h = handles.get(channel);
          if (!h) handles.set(channel, (h = bars.create(Math.max(1, p.total), 0, payload)));
          h.setTotal(Math.max(1, p.total));
          h.update(p.terminal, payload);
        }
        parts.push(
          `${channel} ${p.terminal}/${p.total} sent ${p.sent} delivered ${p.delivered} failed ${p.failed} ${rate}/s`,
        );
      }
      opts.onProgress?.(total > 0 ? terminal / total : 0);
      if (!bars && parts.length > 0 && polledAt - lastLine >= 5_000) {
        lastLine = polledAt;
        log(`  ${(t / 1000).toFixed(0).padStart(4)} s  ${parts.join(' | ')}`);
      }
      const c = await opts.db.query<{ id: number; state: string }>(
        'SELECT id, state FROM campaigns WHERE id = ANY($1::bigint[])',
        [opts.campaignIds],
      );
      states = Object.fromEntries(c.rows.map((r) => [r.id, r.state]));
      if (
        c.rows.length === opts.campaignIds.length &&
        c.rows.every((r) => ['completed', 'cancelled'].includes(r.state))
      ) {
        finished = true;
        break;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, interval - (Date.now() - polledAt))));
    }
  } finally {
    bars?.stop();
  }
  return { samples, finished, campaignStates: states, wallMs: Date.now() - opts.startedAt };
}
