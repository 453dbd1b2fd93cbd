import { Agent, request } from 'undici';
import type { Logger } from '../../shared/logger';
import { SIGNATURE_HEADER, signBody } from '../../shared/webhook-signature';
import type { Sleeper } from './sleeper';

/**
 * Signed webhook calls to the api (receipts, inbound replies): JSON body, `X-Signature` over the raw
 * body (signed again on every attempt so the timestamp stays inside the replay window), keep-alive
 * connections, and retries with capped exponential backoff until a 2xx or until `close()`.
 */
export interface WebhookClient {
  /** POSTs `rawJson`; resolves true once acknowledged (2xx), false if the client was closed first. */
  deliver(path: string, rawJson: string, what: string): Promise<boolean>;
  close(): Promise<void>;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 10_000;
const REQUEST_TIMEOUT_MS = 10_000; // an api that takes longer is treated as down for this attempt
const CONNECTIONS = 16;

export function createWebhookClient(opts: {
  baseUrl: string;
  secret: string;
  logger: Logger;
  sleeper: Sleeper;
  onFailure?: (what: string) => void;
}): WebhookClient {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const agent = new Agent({
    connections: CONNECTIONS,
    keepAliveTimeout: 10_000,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  const aborter = new AbortController();
  let closed = false;

  async function attempt(url: string, raw: string): Promise<string | null> {
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        signal: aborter.signal,
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(opts.secret, raw) },
        body: raw,
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300 ? null : `HTTP ${res.statusCode}`;
    } catch (err) {
      return (err as Error).message;
    }
  }

  return {
    async deliver(path, raw, what) {
      const url = base + path;
      for (let n = 0; !closed; n++) {
        const problem = await attempt(url, raw);
        if (problem === null) return true;
        if (closed) break;
        opts.onFailure?.(what);
        if (n === 0 || n % 20 === 0) {
          opts.logger.warn({ what, attempt: n + 1, problem }, 'webhook not acknowledged; retrying');
        }
        const backoff = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** n);
        await opts.sleeper.sleep(backoff / 2 + Math.random() * (backoff / 2));
      }
      return false;
    },
    async close() {
      closed = true;
      aborter.abort();
      await agent.destroy().catch(() => {});
    },
  };
}
