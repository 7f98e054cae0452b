"""The fake server's OpenAI Files and Batch API (service/testing/fake_batches.py), the
stand-in batch mode will be tested against: upload, create, the statuses, output and
error files by custom_id, expiry and cancel keeping partial output, validation."""

from __future__ import annotations

import json
from typing import Any

import httpx

from support import Fake, wait_for


def jsonl(n: int, bad: bool = False) -> bytes:
    lines = [{"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": "fake-model", "messages": [{"role": "user", "content": f"Question {i}?"}]}}
             for i in range(n)]
    out = b"".join(json.dumps(x).encode() + b"\n" for x in lines)
    return out + (b'{"custom_id": "r0", "method": "POST"}\n' if bad else b"")


def submit(url: str, data: bytes) -> dict[str, Any]:
    f = httpx.post(f"{url}/v1/files", files={"file": ("in.jsonl", data)}, data={"purpose": "batch"}).json()
    assert f["object"] == "file" and f["purpose"] == "batch" and f["bytes"] == len(data)
    b = httpx.post(f"{url}/v1/batches", json={"input_file_id": f["id"], "endpoint": "/v1/chat/completions",
                                              "completion_window": "24h"}).json()
    assert b["object"] == "batch" and b["status"] == "validating" and b["input_file_id"] == f["id"]
    return b


def until(url: str, batch_id: str, statuses: set[str]) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def done() -> bool:
        seen.update(httpx.get(f"{url}/v1/batches/{batch_id}").json())
        return seen["status"] in statuses

    wait_for(done, timeout=30, what=f"batch {statuses}")
    return seen


def lines(url: str, file_id: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in httpx.get(f"{url}/v1/files/{file_id}/content").text.splitlines()]


def test_a_batch_answers_every_line_by_custom_id(fake_url: str, fake: Fake) -> None:
    fake.configure(batch_seconds=0.3)
    b = until(fake_url, submit(fake_url, jsonl(6))["id"], {"completed", "failed"})
    assert b["status"] == "completed" and b["request_counts"] == {"total": 6, "completed": 6, "failed": 0}
    assert b["in_progress_at"] and b["completed_at"] and b["error_file_id"] is None
    out = lines(fake_url, b["output_file_id"])
    assert sorted(o["custom_id"] for o in out) == [f"r{i}" for i in range(6)]
    first = out[0]["response"]
    assert first["status_code"] == 200 and first["body"]["choices"][0]["message"]["content"]
    assert first["body"]["usage"]["prompt_tokens"] == 2


def test_expiry_and_cancel_keep_the_lines_answered(fake_url: str, fake: Fake) -> None:
    fake.configure(batch_seconds=0.2, batch_expire=True)
    b = until(fake_url, submit(fake_url, jsonl(6))["id"], {"expired"})
    assert b["request_counts"]["completed"] == 3 and len(lines(fake_url, b["output_file_id"])) == 3
    fake.configure(batch_seconds=3.0, batch_expire=False)
    b = submit(fake_url, jsonl(30))
    until(fake_url, b["id"], {"in_progress"})
    wait_for(lambda: httpx.get(f"{fake_url}/v1/batches/{b['id']}").json()["request_counts"]["completed"] > 0,
             what="a line answered")
    assert httpx.post(f"{fake_url}/v1/batches/{b['id']}/cancel").json()["status"] == "cancelling"
    b = until(fake_url, b["id"], {"cancelled"})
    done = b["request_counts"]["completed"]
    assert 0 < done < 30 and len(lines(fake_url, b["output_file_id"])) == done


def test_a_bad_line_fails_validation_and_faulted_lines_go_to_the_error_file(fake_url: str, fake: Fake) -> None:
    b = until(fake_url, submit(fake_url, jsonl(3, bad=True))["id"], {"failed", "completed"})
    assert b["status"] == "failed" and b["errors"]["data"][0]["line"] == 4
    fake.configure(batch_seconds=0.1, fail_first=2)
    b = until(fake_url, submit(fake_url, jsonl(5))["id"], {"completed"})
    assert b["request_counts"] == {"total": 5, "completed": 3, "failed": 2}
    errors = lines(fake_url, b["error_file_id"])
    assert [e["response"]["status_code"] for e in errors] == [500, 500]
    assert httpx.get(f"{fake_url}/v1/batches/batch_nope").status_code == 404
