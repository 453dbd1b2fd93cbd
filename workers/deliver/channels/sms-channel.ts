import { Pool } from 'undici';
import { getCarrier } from '../../../shared/carriers';
import type { SendOutcome } from '../../../shared/ledger/ledger-types';
import type { BatchOutcome, ChannelAdapter } from './channel-adapter';
import type { ArrivalLookup } from './arrival-lookup';

export interface SmsChannelOptions {
  /** Base URL of the carriers' SMS gateways (the carrier-sim). */
  baseUrl: string;
  timeoutMs: number;
  connections: number;
  lookup: ArrivalLookup;
}

interface GatewayResult {
  idempotencyKey: string;
  status: 'accepted' | 'duplicate' | 'rejected';
  messageId?: string;
  errorCode?: string;
  error?: string;
}

/** Parses Retry-After (seconds or an HTTP date) into ms; 1 s when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return 1_000;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1_000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : 1_000;
}

/** SMS through the gateway's batch endpoint over a keep-alive pool, one request per chunk. */
export function createSmsChannel(opts: SmsChannelOptions): ChannelAdapter {
  const pool = new Pool(opts.baseUrl, {
    connections: opts.connections,
    pipelining: 1,
    // Retire idle sockets well before the gateway does (whatever its Keep-Alive hint), so a batch is
    // never written into a connection the server is closing (UND_ERR_SOCKET, a wasted attempt).
    keepAliveTimeout: 2_000,
    keepAliveMaxTimeout: 2_000,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });

  return {
    channel: 'sms',
    async send(carrierId, messages): Promise<BatchOutcome> {
      const carrier = getCarrier(carrierId);
      const started = performance.now();
      const allTransient = (code: string, reason: string): BatchOutcome => ({
        kind: 'results',
        outcomes: messages.map((m) => ({
          id: m.notificationId,
          result: 'transient',
          code,
          reason,
          latencyMs: Math.round(performance.now() - started),
        })),
      });
      let res;
      try {
        res = await pool.request({
          method: 'POST',
          path: `/carriers/${carrier.id}/messages/batch`,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${carrier.gatewayKey}` },
          body: JSON.stringify({
            messages: messages.map((m) => ({
              to: m.to,
              from: m.from,
              text: m.smsText,
              idempotencyKey: m.idempotencyKey,
              campaignId: m.campaignId,
            })),
          }),
        });
      } catch (err) {
        const e = err as { code?: string; message?: string };
        return allTransient(
          (e.code ?? 'network').toLowerCase(),
          (e.message ?? 'request failed').slice(0, 200),
        );
      }
      const latencyMs = Math.round(performance.now() - started);
      if (res.statusCode === 429) {
        await res.body.dump();
        return { kind: 'rate_limited', retryAfterMs: retryAfterMs(res.headers['retry-after']) };
      }
      if (res.statusCode >= 500) {
        await res.body.dump();
        return allTransient(`gateway-${res.statusCode}`, `gateway answered ${res.statusCode}`);
      }
      if (res.statusCode !== 200) {
        const text = (await res.body.text()).slice(0, 200);
        return {
          kind: 'results',
          outcomes: messages.map((m) => ({
            id: m.notificationId,
            result: 'permanent',
            code: `gateway-${res.statusCode}`,
            reason: text,
            latencyMs,
          })),
        };
      }
      const body = (await res.body.json()) as { results: GatewayResult[] };
      const byKey = new Map(body.results.map((r) => [r.idempotencyKey, r]));
      const outcomes: SendOutcome[] = messages.map((m) => {
        const r = byKey.get(m.idempotencyKey);
        if (!r)
          return {
            id: m.notificationId,
            result: 'transient',
            code: 'missing-result',
            reason: 'gateway omitted this message',
            latencyMs,
          };
        if (r.status === 'rejected') {
          return {
            id: m.notificationId,
            result: 'permanent',
            code: r.errorCode ?? 'rejected',
            reason: r.error ?? 'rejected by carrier',
            latencyMs,
          };
        }
        return {
          id: m.notificationId,
          result: 'sent',
          providerId: r.messageId ?? '',
          latencyMs,
          finalDelivery: false,
        };
      });
      return { kind: 'results', outcomes };
    },
    hasArrived: (key) => opts.lookup.hasArrived(key),
    close: () => pool.close(),
  };
}
