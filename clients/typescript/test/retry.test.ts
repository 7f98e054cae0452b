// Retries and typed errors against a real HTTP server on loopback (no live app needed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ForbiddenError, InvalidRequestError, RateLimitedError, retryAfterSeconds, SynthgenClient,
} from "../src/index.js";

async function server(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; close: () => void }> {
  const s = createServer(handler);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => s.close() };
}

test("Retry-After parses seconds and HTTP dates", () => {
  assert.equal(retryAfterSeconds("3"), 3);
  assert.equal(retryAfterSeconds(null), null);
  assert.equal(retryAfterSeconds(new Date(10_000).toUTCString(), 8_000), 2);
});

test("a 429 with Retry-After is retried after the wait, with the same body and idempotency key", async () => {
  const seen: { at: number; body: string; key: string | undefined }[] = [];
  const srv = await server((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ at: Date.now(), body, key: req.headers["idempotency-key"] as string | undefined });
      if (seen.length === 1) {
        res.writeHead(429, { "Retry-After": "1", "Content-Type": "application/problem+json" });
        res.end(JSON.stringify({ type: "x/rate-limited", title: "Too many requests", status: 429 }));
        return;
      }
      res.writeHead(202, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ id: "j1", status: "queued" }));
    });
  });
  try {
    const c = new SynthgenClient({ baseUrl: srv.url, apiKey: "k" });
    const job = await c.submit({ recipe: "responses", params: { prompts: ["a"] } } as never);
    assert.equal(job.id, "j1");
    assert.equal(seen.length, 2);
    assert.ok(seen[1].at - seen[0].at >= 950, `waited ${seen[1].at - seen[0].at} ms`);
    assert.equal(seen[1].body, seen[0].body);
    assert.ok(seen[0].key && seen[0].key === seen[1].key);
  } finally {
    srv.close();
  }
});

test("retries run out into a RateLimitedError; a 422 is an InvalidRequestError naming the field", async () => {
  let calls = 0;
  const srv = await server((req, res) => {
    calls++;
    if (req.url?.startsWith("/v1/jobs/x")) {
      res.writeHead(429, { "Retry-After": "0", "Content-Type": "application/problem+json" });
      res.end(JSON.stringify({ type: "x/rate-limited", title: "Too many requests", status: 429 }));
      return;
    }
    res.writeHead(422, { "Content-Type": "application/problem+json" });
    res.end(JSON.stringify({ type: "x/invalid-spec", title: "Invalid job spec", status: 422,
      errors: [{ field: "target", message: "must be >= 1", value: 0 }] }));
  });
  try {
    const c = new SynthgenClient({ baseUrl: srv.url, apiKey: "k", retry: { retries: 2 } });
    await assert.rejects(c.get("x"), RateLimitedError);
    assert.equal(calls, 3);
    await assert.rejects(c.submit({} as never), (e: unknown) =>
      e instanceof InvalidRequestError && e.errors[0].field === "target" && e.kind === "invalid-spec");
  } finally {
    srv.close();
  }
});

test("a 429 asking for longer than the longest wait is returned at once; a 403 is a ForbiddenError", async () => {
  let calls = 0;
  const srv = await server((req, res) => {
    calls++;
    if (req.method === "POST") {
      res.writeHead(429, { "Retry-After": "36000", "Content-Type": "application/problem+json" });
      res.end(JSON.stringify({ type: "x/quota-exceeded", title: "Quota exceeded", status: 429,
        quota: { name: "records_per_day", limit: 10, unit: "records", used: 10, retry_after: 36000 } }));
      return;
    }
    res.writeHead(403, { "Content-Type": "application/problem+json" });
    res.end(JSON.stringify({ type: "x/forbidden", title: "Forbidden", status: 403, detail: "a read key may not" }));
  });
  try {
    const c = new SynthgenClient({ baseUrl: srv.url, apiKey: "k" });
    const began = Date.now();
    await assert.rejects(c.submit({ recipe: "responses", params: { prompts: ["a"] } } as never), (e: unknown) =>
      e instanceof RateLimitedError && (e.problem.quota as { name: string }).name === "records_per_day");
    assert.ok(Date.now() - began < 2000 && calls === 1, `${calls} calls in ${Date.now() - began} ms`);
    await assert.rejects(c.get("x"), (e: unknown) => e instanceof ForbiddenError && e.status === 403);
  } finally {
    srv.close();
  }
});
