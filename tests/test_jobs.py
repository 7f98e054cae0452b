"""Jobs end to end: API -> Redis -> RQ worker processes -> fake provider -> records."""

from __future__ import annotations

import time

from support import Api, Fake, LocalApi, Workers, responses_spec, scrape_metrics, wait_for

SEED_COPY = "Classify the sentiment of this product review as Positive, Negative, or Neutral."
NOVEL = [
    "Explain how a bicycle gear system trades speed for climbing effort.",
    "Suggest three names for a bakery that specialises in sourdough bread.",
    "Compare the advantages of renting versus buying a home for a young family.",
    "Describe the water cycle to a class of nine year old students.",
    "Outline a weekly exercise routine for someone who works night shifts.",
    "Summarize the main arguments for and against a four day work week.",
    "Translate the following polite request into formal Spanish.",
    "Recommend a strategy for learning the capitals of all European countries.",
    "Identify the logical fallacy in the following argument about taxes.",
    "Propose a fair way for four roommates to share household chores.",
]


def bootstrap_replies() -> list[str]:
    """Each reply continues the numbered list: one novel task plus one of each reject kind."""
    junk = [
        "Draw a map of your neighbourhood showing every bus stop.",  # blacklist
        "Sort these numbers",  # length (3 words)
        SEED_COPY,  # rouge (copy of a seed task)
        "Write a program that prints the first hundred prime numbers.",  # prefix
    ]
    return [f" {task}\n10. {junk[i % 4]}\n11. {junk[(i + 1) % 4]}" for i, task in enumerate(NOVEL)]


def script_self_instruct(fake: Fake) -> None:
    fake.configure(scripts=[
        {"match": "Is it classification\\?$", "replies": [" No"]},
        {"match": "Write examples for each task", "replies": [
            "Input: A short sample input about the task.\nOutput: A helpful and complete answer to it.\n\n"
            "Example 2\nInput: Another realistic input.\nOutput: Another correct answer."]},
        {"match": "Come up with a list of varied tasks", "endpoint": "completions", "replies": bootstrap_replies()},
    ])


def test_self_instruct_reaches_exactly_target_with_reasoned_rejects(local: LocalApi, fake: Fake) -> None:
    script_self_instruct(fake)
    fake.configure(served_model="fake-model-2026-01", system_fingerprint="fp_si")
    r = local.submit({"recipe": "self-instruct", "target": 6, "concurrency": 3, "seed": 1,
                      "generator": {"provider": "fake"}})
    assert r.status_code == 202, r.text
    job = local.wait(r.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["progress"]["kept"] == 6
    records = local.lines(job["id"])
    assert len(records) == 6 and len({r["id"] for r in records}) == 6
    assert {r["instruction"] for r in records} <= set(NOVEL)
    for rec in records:
        assert rec["input"] and rec["output"] and len(rec["instances"]) == 2
        assert rec["is_classification"] is False
        assert rec["meta"]["provider"] == "fake" and rec["meta"]["model"] == "fake-model"
        assert rec["meta"]["licence"] == "test-only" and rec["meta"]["spec_hash"] == job["spec_hash"]
        # the identity the provider reported for the instance call
        assert rec["meta"]["served"] == {"model": "fake-model-2026-01", "system_fingerprint": "fp_si"}
    rejects = local.lines(job["id"], "rejects")
    reasons = {x["reason"] for x in rejects}
    assert {"blacklist", "length", "rouge", "prefix"} <= reasons, reasons
    assert job["progress"]["rejected_by_reason"]["rouge"] >= 1
    rouge = {x["instruction"]: x for x in rejects if x["reason"] == "rouge"}
    assert SEED_COPY in rouge and rouge[SEED_COPY]["stage"] == "novelty"
    assert rouge[SEED_COPY]["most_similar_instructions"][SEED_COPY] == 1.0
    # The bootstrap prompt is a raw completion of a numbered list with 8 demos.
    sent = [q["body"] for q in fake.requests(500) if q["endpoint"] == "completions"
            and "Come up with a list" in q["body"]["prompt"]]
    assert sent and all(b["prompt"].rstrip().endswith("9.") for b in sent)
    assert all(b["stop"] == ["\n\n", "\n16", "16.", "16 ."] for b in sent)


def test_alpaca_job_parses_instruction_input_output(local: LocalApi, fake: Fake) -> None:
    chunks = [
        " {task}\n4. Input:\n<noinput>\n4. Output:\nA concise and useful answer.\n###\n"
        "5. Instruction: Create a flowchart of the hiring process.\n5. Input:\n<noinput>\n5. Output:\nSteps.\n###\n"
        "6. Instruction: Missing its other fields entirely\n###\n"
    ]
    fake.configure(scripts=[{"match": "List of 20 tasks", "replies": [chunks[0].replace("{task}", t) for t in NOVEL]}])
    job = local.wait(local.submit({"recipe": "alpaca", "target": 4, "concurrency": 2,
                                   "generator": {"provider": "fake"}}).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 4, job
    records = local.lines(job["id"])
    assert all(r["input"] == "" and r["output"] == "A concise and useful answer." for r in records)
    reasons = job["progress"]["rejected_by_reason"]
    assert reasons.get("blacklist", 0) >= 1 and reasons.get("parse", 0) >= 1, reasons
    prompt = next(q["body"]["prompt"] for q in fake.requests() if "List of 20 tasks" in q["body"].get("prompt", ""))
    assert prompt.count("###\n") == 4 and prompt.endswith("###\n4. Instruction:")


def test_responses_job_filters_and_streams_with_cursor(local: LocalApi, fake: Fake) -> None:
    fake.configure(scripts=[
        {"match": "topic 3 ", "replies": ["I'm sorry, but as an AI language model I cannot help with that."]},
        {"match": "topic 5 ", "replies": ["Too long " * 50], "finish_reason": "length"},
    ])
    job = local.wait(local.submit(responses_spec(20, filters={"max_words": 200})).json()["id"])
    assert job["status"] == "succeeded"
    assert job["progress"]["kept"] == 18 and job["progress"]["rejected"] == 2
    assert job["progress"]["rejected_by_reason"] == {"refusal": 1, "truncated": 1}
    assert job["progress"]["requests"] == 20 and job["progress"]["tokens_out"] > 0
    paged = local.lines(job["id"], limit=7)
    assert len(paged) == 18 and paged == local.lines(job["id"])
    rejects = local.lines(job["id"], "rejects")
    assert {(x["reason"], x["prompt"].split(":")[0]) for x in rejects} == {
        ("refusal", "Question number 3"), ("truncated", "Question number 5")}
    r = local.client.get(f"/v1/jobs/{job['id']}/records", params={"limit": 5})
    assert r.headers["x-next-cursor"]
    r = local.client.get(f"/v1/jobs/{job['id']}/records", params={"limit": 18})
    assert r.headers["x-next-cursor"] == ""


def test_provider_retries_on_429_and_5xx(local: LocalApi, fake: Fake) -> None:
    fake.configure(rate_limit_first=3, fail_first=0, retry_after=0.05)
    job = local.wait(local.submit(responses_spec(4, concurrency=1)).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 4
    assert job["progress"]["retries"] == 3 and job["progress"]["requests"] == 7
    fake.configure(fail_first=2)
    job = local.wait(local.submit(responses_spec(3, concurrency=1)).json()["id"])
    assert job["progress"]["kept"] == 3 and job["progress"]["retries"] == 2


def test_unreachable_or_refusing_provider_fails_the_job_with_a_reason(local: LocalApi, fake: Fake) -> None:
    fake.configure(fail_rate=1.0)
    job = local.wait(local.submit(responses_spec(2, concurrency=1)).json()["id"], timeout=90)
    # The first call lost after retries exceeds a 2-prompt job's error budget: failed, not
    # "succeeded with nothing"; the problem names the provider and the dominant reason.
    assert job["status"] == "failed" and job["progress"]["kept"] == 0
    assert job["progress"]["rejected_by_reason"] == {"provider_error": 1}
    assert job["error"]["type"].endswith("/provider-errors")
    assert "'fake'" in job["error"]["detail"] and "most rejects: provider_error" in job["error"]["detail"]


def test_sigkill_mid_job_then_restart_loses_and_duplicates_nothing(alice: Api, fake: Fake, workers: Workers) -> None:
    fake.configure(latency=0.05)
    n = 600
    (first,) = workers.start(1)
    job_id = alice.submit(responses_spec(n, concurrency=8)).json()["id"]
    wait_for(lambda: alice.job(job_id)["progress"]["kept"] >= 100, what="progress before the kill")
    workers.kill(first)
    kept_at_kill = alice.job(job_id)["progress"]["kept"]
    assert 100 <= kept_at_kill < n
    # With no live worker the job says so instead of claiming to run.
    wait_for(lambda: alice.job(job_id)["status"] == "waiting_for_worker", timeout=10, what="waiting_for_worker")
    workers.start(1)
    job = alice.wait(job_id, timeout=90)
    assert job["status"] == "succeeded", job
    records = alice.lines(job_id)
    assert job["progress"]["kept"] == n == len(records)
    assert len({r["id"] for r in records}) == n
    assert {r["prompt"] for r in records} == set(responses_spec(n)["params"]["prompts"])
    assert job["progress"]["requests"] >= n


def test_cancel_stops_a_running_job_and_keeps_its_records(alice: Api, fake: Fake, worker: Workers) -> None:
    fake.configure(latency=0.1)
    job_id = alice.submit(responses_spec(2000, concurrency=4)).json()["id"]
    wait_for(lambda: alice.job(job_id)["progress"]["kept"] >= 10, what="some records")
    r = alice.client.post(f"/v1/jobs/{job_id}/cancel")
    assert r.status_code == 200 and r.json()["status"] in ("cancelling", "cancelled")
    job = alice.wait(job_id, timeout=30)
    assert job["status"] == "cancelled" and job["finished_at"]
    kept = job["progress"]["kept"]
    assert 10 <= kept < 2000
    time.sleep(0.5)
    assert alice.job(job_id)["progress"]["kept"] == kept
    assert len(alice.lines(job_id)) == kept
    assert alice.client.post(f"/v1/jobs/{job_id}/cancel").status_code == 409


def test_metrics_add_up_across_worker_processes(api_url: str, alice: Api, fake: Fake, workers: Workers) -> None:
    def scrape() -> dict[str, float]:
        return scrape_metrics(api_url)

    def total(m: dict[str, float], prefix: str) -> float:
        return sum(v for k, v in m.items() if k.startswith(prefix))

    before = scrape()
    workers.start(2)
    ids = [alice.submit(responses_spec(30, concurrency=2)).json()["id"] for _ in range(4)]
    jobs = [alice.wait(i) for i in ids]
    time.sleep(1.5)  # workers push metrics every second and at each job's end
    after = scrape()
    kept = sum(j["progress"]["kept"] for j in jobs)
    assert kept == 120
    assert total(after, "synthgen_records_kept_total") - total(before, "synthgen_records_kept_total") == kept
    assert after['synthgen_jobs_submitted_total{recipe="responses"}'] - before.get('synthgen_jobs_submitted_total{recipe="responses"}', 0) == 4
    assert after['synthgen_jobs_finished_total{recipe="responses",status="succeeded"}'] - before.get(
        'synthgen_jobs_finished_total{recipe="responses",status="succeeded"}', 0) == 4
    ok = 'synthgen_provider_requests_total{model="fake-model",outcome="ok",provider="fake"}'
    assert after[ok] - before.get(ok, 0) == 120
    count = 'synthgen_provider_request_duration_seconds_count{model="fake-model",provider="fake"}'
    assert after[count] - before.get(count, 0) >= 120
    assert total(after, 'synthgen_provider_tokens_total{direction="out"') > 0
    assert after['synthgen_build_info{version="0.1.0"}'] == 1
    assert 'synthgen_queue_jobs{queue="synthgen",state="queued"}' in after
    assert after["synthgen_workers"] >= 2
    busy = [p for p in workers.procs]
    assert all(p.poll() is None for p in busy)


def test_registered_prompt_file_and_seed_file(local: LocalApi, fake: Fake) -> None:
    job = local.wait(local.submit({"recipe": "responses", "generator": {"provider": "fake", "model": "fake-model-2"},
                                   "params": {"prompt_file": "eval-prompts", "system_prompt": "Be brief."}}).json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["target"] == 5 and job["progress"]["kept"] == 5
    records = local.lines(job["id"])
    assert {r["prompt"] for r in records} == {f"Registered prompt {i}" for i in range(5)}
    assert all(r["messages"][0] == {"role": "system", "content": "Be brief."} for r in records)
    assert all(r["meta"]["model"] == "fake-model-2" for r in records)
    fake.configure(scripts=[{"match": "Come up with a list", "replies": bootstrap_replies()},
                            {"match": "Is it classification", "replies": [" No"]},
                            {"match": "Write examples", "replies": ["Input: x\nOutput: y"]}])
    job = local.wait(local.submit({"recipe": "self-instruct", "target": 2, "generator": {"provider": "fake"},
                                   "params": {"seed_file": "tiny", "demos": 4}}).json()["id"])
    assert job["status"] == "succeeded", job
    prompts = [q["body"]["prompt"] for q in fake.requests() if "Come up with a list" in q["body"].get("prompt", "")]
    assert prompts and all("Seed task number" in p for p in prompts)
    inline = [{"instruction": f"Inline seed {w} task for testing purposes."} for w in ("alpha", "beta", "gamma")]
    job = local.wait(local.submit({"recipe": "self-instruct", "target": 1, "generator": {"provider": "fake"},
                                   "params": {"seeds": inline, "demos": 3, "instances": False}}).json()["id"])
    assert job["status"] == "succeeded", job
    last = [q["body"]["prompt"] for q in fake.requests(5) if "Come up with a list" in q["body"].get("prompt", "")]
    assert last and "Inline seed alpha" in last[-1]


def test_a_job_the_worker_cannot_run_fails_instead_of_looping(alice: Api, redis_url: str, worker: Workers) -> None:
    import redis as sync_redis

    from service.store.queue import enqueue

    job_id = alice.submit(responses_spec(1)).json()["id"]
    alice.client.post(f"/v1/jobs/{job_id}/cancel")
    # A job whose stored spec this code cannot decode (say, written by a newer release).
    r = sync_redis.Redis.from_url(redis_url)
    r.hset(f"sg:job:{job_id}", mapping={"status": "queued", "spec": b'{"recipe": "from-the-future"}'})
    r.sadd("sg:jobs:active", job_id)
    enqueue(r, "synthgen", job_id)
    job = alice.wait(job_id, timeout=30)
    assert job["status"] == "failed" and "from-the-future" in job["error"]["detail"]
