"""The fake server's OpenAI Files and Batch API, for batch mode's tests (docs/costs.md,
service/providers/openai_batch.py).

Following the public contract (platform.openai.com, Batch API):
- `POST /v1/files` (multipart: `file`, `purpose=batch`) -> a `file` object;
  `GET /v1/files/{id}/content` -> its bytes;
- `POST /v1/batches` (`input_file_id`, `endpoint` "/v1/chat/completions",
  `completion_window` "24h", `metadata`) -> a `batch` object, `status` "validating";
  `GET /v1/batches/{id}`; `POST /v1/batches/{id}/cancel` -> "cancelling", then "cancelled";
- the input is JSONL, one request a line: `custom_id` (unique in the file), `method`
  "POST", `url` "/v1/chat/completions", `body`; a file with a bad line fails
  validation (`status` "failed", `errors`);
- the batch goes "in_progress", answers its lines (each as the chat endpoint would,
  with the server's replies and scripts, `batch_seconds` in all), "finalizing", then
  "completed" with `output_file_id` (lines `{"id", "custom_id", "response":
  {"status_code", "request_id", "body"}, "error": null}`) and, when some lines failed,
  `error_file_id`; `request_counts` {total, completed, failed} as it goes;
- `GET /_control/stats` carries `batches`: files uploaded, request lines uploaded and
  their distinct custom_ids (a request uploaded twice shows as requests > distinct);
- a line that draws one of the server's faults fails: a 500 in the error file;
- with `batch_expire` set, it stops half-way: "expired", the output of the lines done;
  a cancel also keeps the output of the lines done.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any, Callable

import msgspec
from aiohttp import web

MAX_REQUESTS = 50_000
MAX_BYTES = 200 * 1024 * 1024


class Batches:
    """Files and batches of one fake server, in memory."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.file_objects: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        # every request line uploaded in a batch input file, by custom_id (the tests check a
        # request is not uploaded twice)
        self.uploaded: list[str] = []
        self.uploads = 0
        self.sizes: list[int] = []  # request lines per uploaded file

    def stats(self) -> dict[str, Any]:
        return {"files": self.uploads, "requests": len(self.uploaded), "distinct": len(set(self.uploaded)),
                "batches": len(self.batches), "ids": list(self.batches), "sizes": self.sizes}

    def add_file(self, data: bytes, filename: str, purpose: str) -> dict[str, Any]:
        fid = f"file-{os.urandom(12).hex()}"
        self.files[fid] = data
        obj = {"id": fid, "object": "file", "bytes": len(data), "created_at": int(time.time()),
               "filename": filename, "purpose": purpose}
        self.file_objects[fid] = obj
        return obj


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"message": message, "type": "invalid_request_error", "param": None,
                                         "code": None}}, status=status)


def routes(app: web.Application, batches: Batches, config: Callable[[], Any],
           reply: Callable[[str, str, dict[str, Any]], tuple[str, str]], fault: Callable[[], str | None]) -> None:
    """Add the Files and Batch routes; `config()` is the server's live Config (its
    `batch_seconds`, `batch_expire`), `reply(prompt, last_user, body)` its chat answer,
    `fault()` the fault its config draws for a request (a line that gets one fails: it
    goes to the error file with a 500)."""

    async def upload(request: web.Request) -> web.Response:
        form = await request.post()
        purpose, file = form.get("purpose"), form.get("file")
        if purpose != "batch" or not isinstance(file, web.FileField):
            return _error(400, "a multipart `file` and `purpose` = batch are required")
        data = file.file.read()
        if len(data) > MAX_BYTES:
            return _error(400, f"the file is over {MAX_BYTES} bytes")
        batches.uploads += 1
        batches.sizes.append(len(data.splitlines()))
        for raw in data.splitlines():
            try:
                batches.uploaded.append(str(msgspec.json.decode(raw)["custom_id"]))
            except Exception:  # noqa: BLE001 - a bad line is the batch's validation's business
                pass
        return web.json_response(batches.add_file(data, file.filename, "batch"))

    async def content(request: web.Request) -> web.Response:
        data = batches.files.get(request.match_info["file_id"])
        if data is None:
            return _error(404, "No such File object")
        return web.Response(body=data, content_type="application/jsonl")

    async def create(request: web.Request) -> web.Response:
        body = await request.json()
        fid = body.get("input_file_id")
        if fid not in batches.files:
            return _error(400, "input_file_id: no such file")
        if body.get("endpoint") != "/v1/chat/completions" or body.get("completion_window") != "24h":
            return _error(400, "endpoint must be /v1/chat/completions and completion_window 24h")
        now = int(time.time())
        batch = {"id": f"batch_{os.urandom(12).hex()}", "object": "batch", "endpoint": body["endpoint"],
                 "errors": None, "input_file_id": fid, "completion_window": "24h", "status": "validating",
                 "output_file_id": None, "error_file_id": None, "created_at": now, "in_progress_at": None,
                 "expires_at": now + 86400, "finalizing_at": None, "completed_at": None, "failed_at": None,
                 "expired_at": None, "cancelling_at": None, "cancelled_at": None,
                 "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": body.get("metadata")}
        batches.batches[batch["id"]] = batch
        task = asyncio.create_task(_run(batch))
        batches.tasks.add(task)
        task.add_done_callback(batches.tasks.discard)
        return web.json_response(batch)

    async def get(request: web.Request) -> web.Response:
        batch = batches.batches.get(request.match_info["batch_id"])
        return web.json_response(batch) if batch is not None else _error(404, "No such Batch object")

    async def cancel(request: web.Request) -> web.Response:
        batch = batches.batches.get(request.match_info["batch_id"])
        if batch is None:
            return _error(404, "No such Batch object")
        if batch["status"] in ("validating", "in_progress"):
            batch["status"], batch["cancelling_at"] = "cancelling", int(time.time())
        return web.json_response(batch)

    async def _run(batch: dict[str, Any]) -> None:
        lines = batches.files[batch["input_file_id"]].splitlines()
        requests, seen, errors = [], set(), []
        for n, raw in enumerate(lines, 1):
            try:
                line = msgspec.json.decode(raw)
                cid = line["custom_id"]
                assert isinstance(cid, str) and cid not in seen and line.get("method") == "POST"
                assert line.get("url") == batch["endpoint"] and isinstance(line.get("body"), dict)
            except Exception:  # noqa: BLE001 - any bad line fails validation, as the API does
                errors.append({"code": "invalid_request", "message": "bad request line", "param": None, "line": n})
                continue
            seen.add(cid)
            requests.append(line)
        if errors or not requests or len(requests) > MAX_REQUESTS:
            batch.update(status="failed", failed_at=int(time.time()),
                         errors={"object": "list", "data": errors or [{"code": "empty_file", "message": "no requests",
                                                                       "param": None, "line": None}]})
            return
        batch.update(status="in_progress", in_progress_at=int(time.time()))
        batch["request_counts"]["total"] = len(requests)
        cfg = config()
        pause = cfg.batch_seconds / len(requests)
        out, failed = [], []
        stop_at = len(requests) // 2 if cfg.batch_expire else len(requests)
        for i, line in enumerate(requests):
            if batch["status"] == "cancelling" or i >= stop_at:
                break
            await asyncio.sleep(pause)
            if fault() is not None:
                failed.append({"id": f"batch_req_{os.urandom(8).hex()}", "custom_id": line["custom_id"],
                               "response": {"status_code": 500, "request_id": os.urandom(8).hex(),
                                            "body": {"error": {"message": "Server error (injected)",
                                                               "type": "server_error"}}}, "error": None})
                batch["request_counts"]["failed"] += 1
                continue
            body = line["body"]
            messages = body.get("messages") or []
            texts = [m.get("content") or "" for m in messages if isinstance(m, dict)]
            last_user = next((m.get("content") or "" for m in reversed(messages) if m.get("role") == "user"), "")
            prompt = "\n".join(texts)
            text, finish = reply(prompt, last_user, body)
            answer = {"id": f"chatcmpl-{os.urandom(6).hex()}", "object": "chat.completion",
                      "created": int(time.time()), "model": body.get("model"),
                      "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                   "logprobs": None, "finish_reason": finish}],
                      "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": len(text.split()),
                                "total_tokens": len(prompt.split()) + len(text.split())}}
            out.append({"id": f"batch_req_{os.urandom(8).hex()}", "custom_id": line["custom_id"],
                        "response": {"status_code": 200, "request_id": os.urandom(8).hex(), "body": answer},
                        "error": None})
            batch["request_counts"]["completed"] += 1
        now = int(time.time())
        if out:
            batch["output_file_id"] = batches.add_file(b"".join(msgspec.json.encode(o) + b"\n" for o in out),
                                                       "batch_output.jsonl", "batch_output")["id"]
        if failed:
            batch["error_file_id"] = batches.add_file(b"".join(msgspec.json.encode(o) + b"\n" for o in failed),
                                                      "batch_errors.jsonl", "batch_output")["id"]
        if batch["status"] == "cancelling":
            batch.update(status="cancelled", cancelled_at=now)
        elif len(out) + len(failed) < len(requests):
            batch.update(status="expired", expired_at=now)
        else:
            batch.update(status="finalizing", finalizing_at=now)
            await asyncio.sleep(min(0.05, cfg.batch_seconds))
            batch.update(status="completed", completed_at=int(time.time()))

    app.router.add_post("/v1/files", upload)
    app.router.add_get("/v1/files/{file_id}/content", content)
    app.router.add_post("/v1/batches", create)
    app.router.add_get("/v1/batches/{batch_id}", get)
    app.router.add_post("/v1/batches/{batch_id}/cancel", cancel)
