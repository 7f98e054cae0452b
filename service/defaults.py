"""Default values, each with the reason it is what it is."""

# Port of the API when SYNTHGEN_PORT is unset; the README and `make run` use it.
PORT = 8000
# The RQ queue jobs go to; one queue keeps FIFO order across tenants.
QUEUE_NAME = "synthgen"
# Prefix of every Redis key, so synthgen can share a Redis with other apps.
KEY_PREFIX = "sg"
# A worker refreshes its lease this often; a lease older than LEASE_SECONDS is dead.
HEARTBEAT_SECONDS = 1.0
# Five missed heartbeats: rides out a GC pause or a slow Redis, and a dead worker's job
# resumes elsewhere in about LEASE + REAPER_INTERVAL (measured ~5 s, docs/operations.md).
# A Redis outage longer than this does not lose the job: the holder takes its lease back.
LEASE_SECONDS = 4.0
# How often the reapers (in every worker and API process) look for expired leases.
REAPER_INTERVAL_SECONDS = 1.0
# A worker process heartbeats (sg:workers) this often; silent for WORKER_LIVE_SECONDS is
# dead: the worker gauge drops it and its expired leases count as crashes.
WORKER_HEARTBEAT_SECONDS = 1.0
WORKER_LIVE_SECONDS = 3.0
# Worker deaths on one job before it ends failed (worker-crashed) instead of resuming:
# one death is bad luck (OOM kill, preemption), three in a row is the job.
MAX_WORKER_CRASHES = 3
# `synthgen serve` restarts a dead worker after this, doubling per quick death up to the
# cap (a worker that crashes at start must not spin); a worker up this long resets it.
WORKER_RESTART_SECONDS = 0.5
WORKER_MAX_RESTART_SECONDS = 30.0
WORKER_HEALTHY_SECONDS = 60.0
# Worker code retrying Redis during an outage: first wait, and the cap, so a run resumes
# within REDIS_MAX_RETRY_SECONDS of Redis answering again.
REDIS_RETRY_SECONDS = 0.1
REDIS_MAX_RETRY_SECONDS = 1.0
# RQ job timeout: a pipeline can legitimately run for hours on a large target.
JOB_TIMEOUT_SECONDS = 7 * 24 * 3600
# Idempotency keys are kept at least 24 h (api-conventions.md).
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
# Async Redis connections per API process (SYNTHGEN_REDIS_POOL): enough for the burst
# one event loop can keep in flight; more only adds server-side clients.
REDIS_POOL_SIZE = 64
# A request waits this long for a free pooled connection before a 503 "busy": a burst of
# 1,000 requests queues behind 64 connections in well under a second on loopback.
REDIS_POOL_WAIT_SECONDS = 10.0
# Connections of a worker's job run (its sink, watcher and stages share them).
WORKER_REDIS_POOL_SIZE = 16
# Deepest JSON nesting a request body may have: job specs need 5 or 6 levels; without a
# bound a 10,000-deep body exhausts the decoder's recursion (a 500).
MAX_JSON_DEPTH = 64
# Largest accepted request body; inline prompts beyond this belong in a registered file.
MAX_BODY_BYTES = 8 * 1024 * 1024
# Largest target a single job may ask for.
MAX_TARGET = 1_000_000
# Default in-flight requests per job toward its providers.
JOB_CONCURRENCY = 32
# Upper bound for a job's requested concurrency.
MAX_JOB_CONCURRENCY = 1024
# How many queued entries a shard looks at for a job waiting with no worker (fairness
# between jobs, store/shards.py STARVING): the head of the queue is where the next free
# worker looks.
FAIR_QUEUE_SCAN = 64
# A shard asks whether to give its worker to a starving job at most this often.
FAIR_CHECK_SECONDS = 1.0
# Shards a job runs as when its spec names none (SYNTHGEN_PARALLELISM), and the most a
# spec may ask (SYNTHGEN_MAX_PARALLELISM): a copy per shard waits on the queue, so a fleet
# of W workers works on min(W, P) shards of one job.
PARALLELISM = 4
MAX_PARALLELISM = 64
# A job gets one shard per this many records of its target at most: a small job stays
# on one worker, where sharding would only add round trips (and tail waste).
RECORDS_PER_SHARD = 200
# Inputs are handed to shards in chunks: about this many per shard (a fast shard takes
# more, a dead one leaves one chunk to redo), of MIN..MAX items each (a chunk claim is
# one round trip; a 1M-input job is 500 chunks).
CHUNKS_PER_SHARD = 8
MIN_CHUNK_ITEMS = 16
MAX_CHUNK_ITEMS = 2000
# Prompt files are read in blocks of this size: a file of a million prompts is never
# all in memory, and a block is many lines.
READ_BLOCK_BYTES = 1 << 20
# Lines per sealed Parquet segment (service/store/datasets.py): at ~2 KB a record, a
# job's Redis window stays near 20 MB per stream, and a segment is a few MB of zstd.
SEAL_RECORDS = 10_000
# A running job's lines are sealed at least this often, so a slow job's window does not
# sit in Redis for hours; a minute keeps segments few.
SEAL_SECONDS = 60.0
# The seal lock's time to live, renewed by its holder after each segment: a sealer that
# died holding it blocks the job's seals this long at most (one segment takes well
# under a second to write; ADVANCE's offset check guards a sealer slower than this).
SEAL_LOCK_SECONDS = 10.0
# The job report's distinct-value sketches (service/domain/report.py) hold this many
# hashes each: exact below it, ~0.8% relative error above, ~4 MB per sketch at most.
REPORT_SKETCH_K = 1 << 14
# The lock of a job's one report computation (SET NX): a computer that died frees it this
# long after; a request meanwhile computes the report live instead of waiting.
REPORT_LOCK_SECONDS = 600.0
# ROUGE-L to seeds in the report: a uniform sample of this many records, against at most
# REPORT_ROUGE_SEEDS seed instructions (bit-parallel LCS: ~1M pairs, a few seconds).
REPORT_ROUGE_SAMPLE = 500
REPORT_ROUGE_SEEDS = 2000
# GET /v1/jobs/compare flags a figure whose relative change reaches this (lengths,
# diversity, judge scores, cost per record: 10% is past run-to-run noise at ~1k records)...
COMPARE_FLAG_RELATIVE = 0.10
# ...and a rate (duplicates, truncations, refusals, parse failures, yield) that moved this
# many points (0.02: two in a hundred answers).
COMPARE_FLAG_POINTS = 0.02
# How often a running shard asks whether a seal is due (one LLEN per stream).
SEAL_CHECK_SECONDS = 1.0
# How often the retention sweep looks for expired jobs and unsealed finished ones.
SWEEP_SECONDS = 60.0
# Records are flushed to Redis when this many are pending or FLUSH_SECONDS pass.
FLUSH_BATCH = 256
FLUSH_SECONDS = 0.05
# Worker metrics are pushed to Redis this often (and at the end of every job).
METRICS_FLUSH_SECONDS = 1.0
# List pages (api-conventions.md).
PAGE_LIMIT = 50
MAX_PAGE_LIMIT = 500
# NDJSON stream pages: big enough to read 100k records in a few requests.
STREAM_LIMIT = 1000
MAX_STREAM_LIMIT = 10_000
# Provider calls: retries on 429/5xx/timeouts with exponential backoff from this base.
PROVIDER_MAX_RETRIES = 6
PROVIDER_BACKOFF_SECONDS = 0.5
PROVIDER_MAX_BACKOFF_SECONDS = 30.0
PROVIDER_TIMEOUT_SECONDS = 120.0
# No byte read for this long frees the lane (a hung connection); a non-streaming answer
# arrives when the model is done, so this covers ~2k tokens at 35 tokens/s.
PROVIDER_STALL_SECONDS = 60.0
# A provider that does not accept a TCP connection within this is down, not slow.
PROVIDER_CONNECT_SECONDS = 10.0
# The local model's start-up check (load + one token, ~1 s for SmolLM2) may take this
# long on a slow or busy machine before it counts as failed.
LOCAL_PROBE_TIMEOUT_SECONDS = 120.0
# Share of a job's target that may be lost to provider errors after retries before the
# job fails: small, so a provider dropping 5% of answers is a failure, not a "success".
ERROR_BUDGET = 0.02
# Without a target, an input-driven job succeeds when at least this fraction of its inputs
# gave a record: below half, the generator or the filters are wrong for the job.
MIN_YIELD = 0.5
# A failed job's detail names this many dominant reject reasons (enough to act on).
TOP_REASONS = 3
# A job gives up after this many generation requests per kept record (bad model / filters).
MAX_REQUESTS_PER_RECORD = 20
# Spot-check reject reasons offered when a sample is drawn without its own list: the
# failure kinds reviewers of SFT/preference data name most (wrong facts, unsafe content,
# needless refusals, broken formatting, low effort, near-duplicates of another record).
REVIEW_REASONS = ("wrong", "unsafe", "refusal", "formatting", "low_effort", "duplicate", "other")
# A reviewer's name on a verdict: long enough for "Firstname Lastname <email>", bounded
# because it is stored with every verdict and shown in every export.
MAX_REVIEWER_CHARS = 120
# A managed key's last use is written at most this often per key and API process: a
# write per request would double the Redis work of a GET for a date nobody reads closely.
KEY_TOUCH_SECONDS = 60.0
# A review link works a day unless asked otherwise, at most a week: it is a bearer
# credential for one job's spot-check, shared by chat or mail.
REVIEW_LINK_SECONDS = 24 * 3600
MAX_REVIEW_LINK_SECONDS = 7 * 24 * 3600
# A review page session lasts a working day; signing in again takes one key or link.
REVIEW_SESSION_SECONDS = 8 * 3600
# Webhooks: the dispatcher looks at its outbox this often (a job's end is told within
# about this long), waits this long for a receiver, retries a failure after 1, 2, 4, ...
# seconds up to the cap (about 3 hours of trying in all), then gives up.
WEBHOOK_POLL_SECONDS = 1.0
WEBHOOK_TIMEOUT_SECONDS = 10.0
WEBHOOK_BACKOFF_SECONDS = 1.0
WEBHOOK_MAX_BACKOFF_SECONDS = 3600.0
WEBHOOK_MAX_ATTEMPTS = 16
# Deliveries in flight per API process: a slow receiver holds one of these, not the loop.
WEBHOOK_CONCURRENCY = 32
# Bounds on what a job spec may list, each far above real use and low enough that one
# spec cannot make the API or a worker do unbounded work (the body's 8 MB bounds the rest):
# generators in a mix (papers mix 2-8), metadata entries, licence tags and benchmark
# names a job lists, refusal phrases and their length, examples per seed task, and
# benchmark sets given inline.
MAX_MIX_ENTRIES = 32
MAX_METADATA_ENTRIES = 64
MAX_NAMES_LISTED = 64
MAX_PHRASES = 256
MAX_PHRASE_CHARS = 512
MAX_SEED_INSTANCES = 64
MAX_INLINE_SETS = 16
MAX_INLINE_ITEMS = 100_000
# Longest text field a spec may carry (a prompt, a seed's input or output), in characters.
MAX_TEXT_CHARS = 100_000
# The API waits this long at start for the signing secret from Redis before serving;
# Redis down longer: it serves 503s until Redis answers (readiness says why).
START_SECRET_WAIT_SECONDS = 2.0
# Fleet-wide provider limits (store/limits.py, worker/limiter.py).
# A permit (one request in flight) lives this long unless its holder renews it, so the
# permits of a SIGKILLed worker free themselves within it; long enough to ride out a GC
# pause or a slow Redis. Holders renew at a third of it.
LIMIT_PERMIT_TTL_SECONDS = 15.0
# A job counts as waiting for a bucket (its fair share protected, its status showing an
# open circuit) this long after its last unmet ask; its pump re-asks well within it.
LIMIT_WAIT_TTL_SECONDS = 3.0
# rpm/tpm are paced (GCRA): the fleet may run this far ahead of the even pace, so over
# any minute it sends at most the limit plus about a second's worth.
LIMIT_BURST_SECONDS = 1.0
# A grant may carry a send time up to this far ahead (the pacing's next slot), so a
# paced request costs one round trip, not a poll per slot.
LIMIT_RESERVE_SECONDS = 1.0
# A worker re-asks after a denial with no known end (concurrency, fair share) from this,
# doubling to the cap; a local give-back re-asks at once. A known end (Retry-After, a
# circuit's cooldown, the pacing) is waited out, re-asking at least every cap seconds.
LIMIT_POLL_SECONDS = 0.02
LIMIT_MAX_POLL_SECONDS = 0.25
LIMIT_MAX_HINT_SECONDS = 1.0
# Asks one limiter call carries at most (the rest wait for the next call).
LIMIT_BATCH = 128
# A request's token estimate for tpm when it sets no max_tokens: a typical reply; the
# estimate is corrected by the usage the answer reports.
TOKENS_ESTIMATE_REPLY = 256
# Hard budgets (store/budgets.py): a request reserves its worst case before it is sent,
# its prompt counted at this many characters a token (English runs ~4; 3 leaves room for
# code and other languages) plus its max_tokens (else TOKENS_ESTIMATE_REPLY).
BUDGET_CHARS_PER_TOKEN = 3
# A request whose reservation waits on the requests in flight asks again after this.
BUDGET_WAIT_SECONDS = 0.05
# The shared response cache (store/cache.py): an answer is kept this long (a week: a
# re-run after a crash or a filter change comes within days) ...
CACHE_TTL_SECONDS = 7 * 86400.0
# ... and a scope (a tenant) keeps at most this many, the oldest dropped first (at ~2 KB
# an answer, about 2 GB of Redis).
CACHE_MAX_ENTRIES = 1_000_000
# Provider batch mode (docs/costs.md): a job batches its requests to a provider with
# `batch = true` only while its deadline is at least this far off: the OpenAI Batch
# API's completion window (24 h), the time a batch may take.
BATCH_WINDOW_SECONDS = 86400.0
# A batch's input file holds at most this many requests and bytes (OpenAI's limits).
BATCH_MAX_REQUESTS = 50_000
BATCH_MAX_BYTES = 200 * 1024 * 1024
# Requests wait this long for others to join them before their batch is sent (the
# lanes of a job send theirs within milliseconds of each other) ...
BATCH_COLLECT_SECONDS = 1.0
# ... and a batch's status is asked this often (batches take minutes to hours).
BATCH_POLL_SECONDS = 30.0
# A job's batch ids and their requests stay in Redis this long (past the window, for a
# worker restarting late).
BATCH_STATE_TTL_SECONDS = 3 * 86400
# An estimate (POST /v1/jobs/estimate) runs the spec to this many kept records: enough
# attempts for a yield interval of about +-15 points, for the cost of 20 records.
ESTIMATE_SAMPLE_RECORDS = 20
# ... and answers within this long (200, the sample finished), else 202 with what the
# sample has seen so far and its job to poll (GET /v1/jobs/{id}/estimate).
ESTIMATE_WAIT_SECONDS = 20.0
# Circuit breaker, per provider model: this many consecutive failed attempts (no answer,
# 5xx, malformed), none answered in between, over at least CIRCUIT_SECONDS open the
# circuit (the span keeps a busy provider's run of unlucky 5xx from opening it).
CIRCUIT_FAILURES = 5
CIRCUIT_SECONDS = 1.0
# An open circuit lets one probe through after this cooldown; a failed probe doubles it
# up to the cap.
CIRCUIT_COOLDOWN_SECONDS = 5.0
CIRCUIT_MAX_COOLDOWN_SECONDS = 60.0
# A request waits this long in all on an open circuit before its job fails
# (provider-unavailable): an outage of minutes is waited out, a dead provider is not.
CIRCUIT_WAIT_SECONDS = 600.0
# A lane passes a permit whose attempt succeeded straight to its job's next attempt
# (no round trip) for at most this long after the call that allowed it; the reports of
# those attempts reach Redis within it, so a Retry-After pause, a halving or a starving
# job elsewhere stops the handoffs within it.
LIMIT_HANDOFF_SECONDS = 0.1
# A permit whose attempt succeeded, with no attempt of its job waiting, is kept this long
# for the job's next attempt (a lane usually asks again at once) before it is given
# back: a permit idle for a few ms instead of two round trips per request.
LIMIT_SPARE_SECONDS = 0.005
# Verification (pipeline/verify.py): candidates per item a job may ask for; 16 covers
# the pass@k ranges the distillation papers use (OpenR1 and OpenThoughts sample 4-16).
MAX_VERIFY_SAMPLES = 16
# The code sandbox (pipeline/sandbox.py): a test run of a generated program gets this
# much wall time, CPU time, address space, file size and output; enough for the unit
# tests of a programming exercise, small enough that a fork bomb or an endless loop
# costs a worker seconds, not minutes.
SANDBOX_WALL_SECONDS = 10.0
SANDBOX_CPU_SECONDS = 8
SANDBOX_MEMORY_MB = 512
SANDBOX_FILE_MB = 16
SANDBOX_PROCESSES = 64
SANDBOX_OUTPUT_CHARS = 4000
