/**
 * The synthgen TypeScript client: request and response types generated from
 * openapi/openapi.json by openapi-typescript (src/schema.d.ts, `make clients`), calls
 * through openapi-fetch, and the small layer a caller would otherwise write by hand:
 * wait for a job with progress, iterate every record across NDJSON cursors, retries on
 * 429/503 honouring Retry-After, problem+json as typed errors.
 *
 * The layer names only paths and the `Job`/`JobPage` schemas, so regenerating the
 * types after a schema change breaks compilation only where the API really changed.
 * Operational routes (/metrics, /healthz, /readyz, /review) are not part of the SDK.
 */
import { randomUUID } from "node:crypto";
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";
import { errorFor, SynthgenError } from "./errors.js";
import { retryingFetch, type RetryOptions } from "./retry.js";

export * from "./errors.js";
export { retryAfterSeconds, retryingFetch, type RetryOptions } from "./retry.js";
export type { components, paths } from "./schema.js";

export type Job = components["schemas"]["Job"];
export type JobPage = components["schemas"]["JobPage"];
export type JobStatus = Job["status"];
export type JobSpec = NonNullable<paths["/v1/jobs"]["post"]["requestBody"]>["content"]["application/json"];
/** One NDJSON line of /records or /rejects: a JSON object with a stable `id`. */
export type Line = { id: string; [key: string]: unknown };

export const FINAL_STATUSES: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled"]);

export interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  retry?: RetryOptions;
  /** Underlying fetch (tests, proxies); retries wrap it. */
  fetch?: typeof fetch;
}

export interface WaitOptions {
  /** Called with the job each time it is polled. */
  onProgress?: (job: Job) => void;
  intervalSeconds?: number;
  /** Give up (throw) after this long; default: wait forever. */
  timeoutSeconds?: number;
}

export interface StreamOptions {
  /** Lines per page (server bounds: 1..10000). */
  limit?: number;
  /** While the job runs and nothing new exists, wait this long before asking again. */
  pollSeconds?: number;
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

type Result<T> = { data?: T; error?: unknown; response: Response };

function unwrap<T>(r: Result<T>): T {
  if (r.response.ok) return r.data as T;
  const body = typeof r.error === "string" ? r.error : JSON.stringify(r.error ?? "");
  throw errorFor(r.response.status, body, r.response.statusText);
}

export class SynthgenClient {
  /** The generated openapi-fetch client, for calls the layer does not wrap. */
  readonly api: ReturnType<typeof createClient<paths>>;

  constructor(opts: ClientOptions) {
    this.api = createClient<paths>({
      baseUrl: opts.baseUrl.replace(/\/+$/, ""),
      headers: { Authorization: `Bearer ${opts.apiKey}` },
      fetch: retryingFetch(opts.retry, opts.fetch ?? globalThis.fetch),
    });
  }

  /** Submit a job spec. An Idempotency-Key is always sent, so retries never make two jobs. */
  async submit(spec: JobSpec, opts: { idempotencyKey?: string } = {}): Promise<Job> {
    const key = opts.idempotencyKey ?? randomUUID();
    return unwrap(await this.api.POST("/v1/jobs", { body: spec, params: { header: { "Idempotency-Key": key } } }));
  }

  async get(jobId: string): Promise<Job> {
    return unwrap(await this.api.GET("/v1/jobs/{job_id}", { params: { path: { job_id: jobId } } }));
  }

  async cancel(jobId: string): Promise<Job> {
    return unwrap(await this.api.POST("/v1/jobs/{job_id}/cancel", { params: { path: { job_id: jobId } } }));
  }

  /** One page of the tenant's jobs, newest first. */
  async list(query: { status?: JobStatus; limit?: number; cursor?: string } = {}): Promise<JobPage> {
    return unwrap(await this.api.GET("/v1/jobs", { params: { query } }));
  }

  /** Every job of the tenant across pages. */
  async *jobs(query: { status?: JobStatus; limit?: number } = {}): AsyncGenerator<Job> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...query, cursor });
      yield* page.data;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  /** Poll until the job is final; returns the final job (whatever its status). */
  async wait(jobId: string, opts: WaitOptions = {}): Promise<Job> {
    const deadline = opts.timeoutSeconds != null ? Date.now() + opts.timeoutSeconds * 1000 : Infinity;
    for (;;) {
      const job = await this.get(jobId);
      opts.onProgress?.(job);
      if (FINAL_STATUSES.has(job.status)) return job;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} after ${opts.timeoutSeconds}s`);
      await sleep(opts.intervalSeconds ?? 1);
    }
  }

  /** Every kept record, following X-Next-Cursor until the job is final and all was read. */
  records(jobId: string, opts: StreamOptions = {}): AsyncGenerator<Line> {
    return this.stream("/v1/jobs/{job_id}/records", jobId, opts);
  }

  /** Every reject (with its stage and reason), the same way. */
  rejects(jobId: string, opts: StreamOptions = {}): AsyncGenerator<Line> {
    return this.stream("/v1/jobs/{job_id}/rejects", jobId, opts);
  }

  private async *stream(path: "/v1/jobs/{job_id}/records" | "/v1/jobs/{job_id}/rejects", jobId: string,
                        opts: StreamOptions): AsyncGenerator<Line> {
    let cursor: string | undefined;
    for (;;) {
      const r = await this.api.GET(path, {
        params: { path: { job_id: jobId }, query: { cursor, limit: opts.limit } },
        parseAs: "text",
      });
      const text = unwrap(r as Result<string>);
      let n = 0;
      for (const line of text.split("\n")) {
        if (line.trim()) {
          n++;
          yield JSON.parse(line) as Line;
        }
      }
      // The server sends an empty cursor once the job is final and nothing is left.
      const next = r.response.headers.get("x-next-cursor");
      if (!next) return;
      if (n === 0) await sleep(opts.pollSeconds ?? 1);
      cursor = next;
    }
  }

  async recipes(): Promise<components["schemas"]["RecipeList"]> {
    return unwrap(await this.api.GET("/v1/recipes"));
  }

  async providers(): Promise<components["schemas"]["ProviderList"]> {
    return unwrap(await this.api.GET("/v1/providers"));
  }

  /** The job's report (lengths, diversity, rates, model identity). */
  async report(jobId: string): Promise<components["schemas"]["JobReport"]> {
    return unwrap(await this.api.GET("/v1/jobs/{job_id}/report", { params: { path: { job_id: jobId } } }));
  }

  /** Two jobs' reports side by side with their differences and flags (b against a). */
  async compare(a: string, b: string): Promise<components["schemas"]["JobComparison"]> {
    return unwrap(await this.api.GET("/v1/jobs/compare", { params: { query: { a, b } } }));
  }
}

export { SynthgenError };
