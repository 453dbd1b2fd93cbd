/** What a client finally got for a request it replayed with its Idempotency-Key. */
export interface ReplayedAnswer {
  status: number;
  body: unknown;
  /** The answer carried `Idempotent-Replayed: true`. */
  replayed: boolean;
  /** Requests sent, the answered one included. */
  attempts: number;
  /** Why each earlier attempt was replayed: `connection` (the api died or was down) or `busy` (409). */
  retries: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A client that does what the API asks of one: sends a request with an Idempotency-Key and, until it
 * gets an answer, replays it with the same key — after a dropped or refused connection (the api died
 * or is restarting), and after a 409 that says the key's earlier request is still running (its lease
 * has not yet run out). Any other answer is the answer.
 */
export async function sendUntilAnswered(
  url: string,
  init: (attempt: number) => RequestInit,
  opts: { timeoutMs: number },
): Promise<ReplayedAnswer> {
  const deadline = Date.now() + opts.timeoutMs;
  const retries: string[] = [];
  for (let attempt = 1; ; attempt++) {
    let retry: string;
    try {
      const res = await fetch(url, init(attempt));
      const text = await res.text();
      const body = text ? (JSON.parse(text) as unknown) : undefined;
      const busy = res.status === 409 && /still running/.test(JSON.stringify(body));
      if (!busy) {
        return {
          status: res.status,
          body,
          replayed: res.headers.get('idempotent-replayed') === 'true',
          attempts: attempt,
          retries,
        };
      }
      retry = 'busy';
    } catch {
      retry = 'connection';
    }
    retries.push(retry);
    if (Date.now() > deadline)
      throw new Error(`${url}: no answer within ${opts.timeoutMs} ms (${retries.join(',')})`);
    await sleep(retry === 'busy' ? 1000 : 250);
  }
}
