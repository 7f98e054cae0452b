/**
 * A fetch that retries 429 and 503 answers (and connection failures), waiting what
 * Retry-After says (seconds or an HTTP date), else a capped exponential backoff.
 * POSTs are retried too: the client sends an Idempotency-Key with every submit, so a
 * retried submit returns the original job instead of creating a second one.
 */

export interface RetryOptions {
  /** Attempts after the first; 0 disables retries. */
  retries?: number;
  /** Backoff base when the server sends no Retry-After, in seconds. */
  backoffSeconds?: number;
  /** Longest single wait, in seconds (an answer asking for longer, e.g. a daily quota, is returned at once). */
  maxWaitSeconds?: number;
}

const RETRY_STATUSES = new Set([429, 503]);

/** Seconds to wait from a Retry-After header value, or null when absent/unparsable. */
export function retryAfterSeconds(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(0, n);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, (at - now) / 1000);
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

export function retryingFetch(opts: RetryOptions = {}, inner: typeof fetch = globalThis.fetch): typeof fetch {
  const retries = opts.retries ?? 5;
  const base = opts.backoffSeconds ?? 0.5;
  const cap = opts.maxWaitSeconds ?? 30;
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    // A Request's body can be read once: keep a pristine copy to clone per attempt.
    const original = input instanceof Request ? input : new Request(input, init);
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await inner(original.clone());
      } catch (err) {
        if (attempt >= retries) throw err;
        await sleep(Math.min(cap, base * 2 ** attempt));
        continue;
      }
      if (!RETRY_STATUSES.has(res.status) || attempt >= retries) return res;
      const told = retryAfterSeconds(res.headers.get("retry-after"));
      if (told !== null && told > cap) return res;
      const wait = told ?? base * 2 ** attempt;
      await res.body?.cancel();
      await sleep(Math.min(cap, wait));
    }
  };
}
