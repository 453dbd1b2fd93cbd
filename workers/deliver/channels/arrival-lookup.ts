import { Pool } from 'undici';

export interface ArrivalLookup {
  hasArrived(key: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Asks the carrier-sim (the receiving side) whether a message with this idempotency key or
 * Message-ID arrived; used before resending a notification whose sender crashed mid-send.
 */
export function createArrivalLookup(baseUrl: string, timeoutMs: number): ArrivalLookup {
  const pool = new Pool(baseUrl, { connections: 2, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  return {
    async hasArrived(key) {
      const res = await pool.request({ method: 'GET', path: `/arrivals/${encodeURIComponent(key)}` });
      await res.body.dump();
      if (res.statusCode === 200) return true;
      if (res.statusCode === 404) return false;
      throw new Error(`arrival lookup answered ${res.statusCode}`);
    },
    close: () => pool.close(),
  };
}
