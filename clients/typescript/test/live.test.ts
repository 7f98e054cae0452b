// The client against a live synthgen API and worker. tests/test_clients.py starts them
// (real Redis, an RQ worker process, the fake provider) and runs this file with
// SYNTHGEN_TEST_URL and SYNTHGEN_TEST_KEY set; without them these tests are skipped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConflictError, InvalidRequestError, NotFoundError, SynthgenClient, type Job, type Line } from "../src/index.js";

const url = process.env.SYNTHGEN_TEST_URL;
const key = process.env.SYNTHGEN_TEST_KEY;
const skip = !url || !key ? "set SYNTHGEN_TEST_URL and SYNTHGEN_TEST_KEY (tests/test_clients.py does)" : false;
const client = () => new SynthgenClient({ baseUrl: url!, apiKey: key! });

const prompts = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `TS ${tag} question ${i}: explain topic ${i} in detail.`);

test("submit, wait with progress, and read every record across cursors", { skip }, async () => {
  const c = client();
  const job = await c.submit({ recipe: "responses", generator: { provider: "fake" }, params: { prompts: prompts(23, "wait") } } as never);
  assert.equal(job.status, "queued");
  const seen: Job[] = [];
  const done = await c.wait(job.id, { intervalSeconds: 0.2, timeoutSeconds: 60, onProgress: (j) => seen.push(j) });
  assert.equal(done.status, "succeeded");
  assert.ok(seen.length >= 1 && seen.at(-1)!.id === job.id);
  const records: Line[] = [];
  for await (const r of c.records(job.id, { limit: 5 })) records.push(r);
  assert.equal(records.length, done.progress.kept);
  assert.equal(records.length, 23);
  assert.equal(new Set(records.map((r) => r.id)).size, records.length);
  // The same ids the API serves in one page.
  const raw = await fetch(`${url}/v1/jobs/${job.id}/records?limit=1000`, { headers: { Authorization: `Bearer ${key}` } });
  const ids = (await raw.text()).trim().split("\n").map((l) => JSON.parse(l).id);
  assert.deepEqual(records.map((r) => r.id), ids);
  const listed: string[] = [];
  for await (const j of c.jobs({ limit: 1 })) listed.push(j.id);
  assert.ok(listed.includes(job.id));
});

test("cancel a running job; cancelling it again is a ConflictError", { skip }, async () => {
  const c = client();
  const job = await c.submit({ recipe: "responses", generator: { provider: "fake" }, concurrency: 1,
    params: { prompts: prompts(400, "cancel") } } as never);
  const cancelled = await c.cancel(job.id);
  assert.ok(["cancelling", "cancelled"].includes(cancelled.status), cancelled.status);
  const done = await c.wait(job.id, { intervalSeconds: 0.2, timeoutSeconds: 60 });
  assert.equal(done.status, "cancelled");
  assert.ok(done.progress.kept < 400);
  await assert.rejects(c.cancel(job.id), (e: unknown) => e instanceof ConflictError && e.problem.job_status === "cancelled");
});

test("an invalid spec is an InvalidRequestError naming the field; an unknown job is NotFound", { skip }, async () => {
  const c = client();
  await assert.rejects(
    c.submit({ recipe: "responses", target: 0, generator: { provider: "fake" }, params: { prompts: ["x"] } } as never),
    (e: unknown) => e instanceof InvalidRequestError && e.status === 422 && e.errors.some((f) => f.field === "target"),
  );
  await assert.rejects(c.get("no-such-job"), NotFoundError);
});
