"""SynthgenClient and AsyncSynthgenClient: the hand-written layer over the generated SDK.

Both hold the generated `synthgen_api.AuthenticatedClient` (as `.api`, for any call the
layer does not wrap: `synthgen_api.api.jobs.get_job.sync(job_id, client=c.api)`) over
an httpx client whose transport retries 429/503 honouring Retry-After. The layer itself
calls paths, not generated function names, and returns the API's JSON as dicts, so a
regenerated SDK (the schema evolves) does not break it.

Streams: /records and /rejects are NDJSON pages; `X-Next-Cursor` resumes after the last
line and is empty once the job is final and everything was read. `records()` follows
it, waiting `poll` seconds whenever a running job has nothing new, so iterating while a
job runs yields every record exactly once, in the server's stable order.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator

import httpx
from synthgen_api import AuthenticatedClient

from synthgen_client.errors import raise_for_problem
from synthgen_client.exporting import FORMATS, Writer
from synthgen_client.retry import AsyncRetryTransport, RetryPolicy, RetryTransport

FINAL = frozenset({"succeeded", "failed", "cancelled"})
Job = dict[str, Any]
Progress = Callable[[Job], None]


def _headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}", "Accept": "application/json, application/x-ndjson"}


def _submit_args(spec: dict[str, Any] | str | bytes, idempotency_key: str | None) -> dict[str, Any]:
    body = spec if isinstance(spec, (str, bytes)) else json.dumps(spec)
    return {"content": body, "headers": {"Content-Type": "application/json",
                                         "Idempotency-Key": idempotency_key or str(uuid.uuid4())}}


def _query(**params: Any) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


def _lines(response: httpx.Response) -> tuple[list[dict[str, Any]], str]:
    raise_for_problem(response)
    page = [json.loads(line) for line in response.text.splitlines() if line.strip()]
    return page, response.headers.get("x-next-cursor", "")


def _check_timeout(job: Job, deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise TimeoutError(f"job {job['id']} still {job['status']} after the wait's timeout")


class SynthgenClient:
    """Blocking client. `with SynthgenClient(url, key) as c: c.wait(c.submit(spec)["id"])`."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0,
                 retry: RetryPolicy | None = None, transport: httpx.BaseTransport | None = None):
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers=_headers(api_key), timeout=timeout,
                                 transport=RetryTransport(retry, transport))
        self.api = AuthenticatedClient(base_url=base_url.rstrip("/"), token=api_key).set_httpx_client(self.http)

    def __enter__(self) -> "SynthgenClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        return raise_for_problem(self.http.request(method, path, **kw)).json()

    def submit(self, spec: dict[str, Any] | str | bytes, *, idempotency_key: str | None = None) -> Job:
        """Submit a job spec (a dict, or JSON text). Always idempotent: a retried submit
        returns the same job; pass your own key to make resubmits across runs safe too."""
        return self._json("POST", "/v1/jobs", **_submit_args(spec, idempotency_key))

    def get(self, job_id: str) -> Job:
        return self._json("GET", f"/v1/jobs/{job_id}")

    def cancel(self, job_id: str) -> Job:
        return self._json("POST", f"/v1/jobs/{job_id}/cancel")

    def delete(self, job_id: str) -> None:
        """Delete a finished job and everything it made (409 while it runs)."""
        raise_for_problem(self.http.delete(f"/v1/jobs/{job_id}"))

    def download(self, job_id: str, path: str | Path, *, format: str = "jsonl", output: str | None = None) -> int:
        """The server-side export (`jsonl`, `parquet`, or `hf`: a tar of the Hugging Face
        layout) streamed to `path`; the bytes written."""
        n = 0
        with self.http.stream("GET", f"/v1/jobs/{job_id}/export", params=_query(format=format, output=output)) as r:
            if r.status_code >= 400:
                r.read()
                raise_for_problem(r)
            with open(path, "wb") as f:
                for chunk in r.iter_bytes():
                    n += f.write(chunk)
        return n

    def push(self, job_id: str, repo_id: str, *, private: bool = True, output: str | None = None) -> dict[str, Any]:
        """Push a finished job's dataset to the Hugging Face Hub (the server's token)."""
        return self._json("POST", f"/v1/jobs/{job_id}/push", json={"repo_id": repo_id, "private": private,
                                                                      "output": output})

    def list(self, *, status: str | None = None, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
        """One page of the tenant's jobs, newest first: {"data": [...], "next_cursor": ...}."""
        return self._json("GET", "/v1/jobs", params=_query(status=status, limit=limit, cursor=cursor))

    def jobs(self, *, status: str | None = None, limit: int | None = None) -> Iterator[Job]:
        """Every job of the tenant, across pages."""
        cursor = None
        while True:
            page = self.list(status=status, limit=limit, cursor=cursor)
            yield from page["data"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def wait(self, job_id: str, *, on_progress: Progress | None = None, interval: float = 1.0,
             timeout: float | None = None) -> Job:
        """Poll until the job is final and return it (whatever its final status)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if on_progress:
                on_progress(job)
            if job["status"] in FINAL:
                return job
            _check_timeout(job, deadline)
            time.sleep(interval)

    def _stream(self, kind: str, job_id: str, limit: int | None, poll: float, follow: bool) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            page, cursor = _lines(self.http.get(f"/v1/jobs/{job_id}/{kind}", params=_query(cursor=cursor, limit=limit)))
            yield from page
            if not cursor or not (page or follow):
                return
            if not page:
                time.sleep(poll)

    def records(self, job_id: str, *, limit: int | None = None, poll: float = 1.0,
                follow: bool = True) -> Iterator[dict[str, Any]]:
        """Every kept record, across cursors, until the job is final and all was read
        (`follow=False`: only what exists now)."""
        return self._stream("records", job_id, limit, poll, follow)

    def rejects(self, job_id: str, *, limit: int | None = None, poll: float = 1.0,
                follow: bool = True) -> Iterator[dict[str, Any]]:
        """Every reject with its stage and reason, the same way."""
        return self._stream("rejects", job_id, limit, poll, follow)

    def export(self, job_id: str, path: str | Path, *, format: str = "jsonl", limit: int = 1000) -> int:
        """Write every record of the job to `path` (jsonl or parquet); returns the count.

        Client-side: reads the records stream across cursors (the server-side dataset
        export is not there yet). Parquet needs pyarrow (`synthgen-client[parquet]`)."""
        with Writer(path, format) as w:
            for rec in self.records(job_id, limit=limit):
                w.write(rec)
        return w.count

    def recipes(self) -> dict[str, Any]:
        return self._json("GET", "/v1/recipes")

    def providers(self) -> dict[str, Any]:
        return self._json("GET", "/v1/providers")

    def report(self, job_id: str) -> dict[str, Any]:
        """The job's report (lengths, diversity, rates, model identity)."""
        return self._json("GET", f"/v1/jobs/{job_id}/report")

    def compare(self, a: str, b: str) -> dict[str, Any]:
        """Two jobs' reports side by side with their differences and flags (b against a)."""
        return self._json("GET", "/v1/jobs/compare", params={"a": a, "b": b})


class AsyncSynthgenClient:
    """The same calls for asyncio: `async with AsyncSynthgenClient(url, key) as c: ...`."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0,
                 retry: RetryPolicy | None = None, transport: httpx.AsyncBaseTransport | None = None):
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/"), headers=_headers(api_key), timeout=timeout,
                                      transport=AsyncRetryTransport(retry, transport))
        self.api = AuthenticatedClient(base_url=base_url.rstrip("/"), token=api_key).set_async_httpx_client(self.http)

    async def __aenter__(self) -> "AsyncSynthgenClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _json(self, method: str, path: str, **kw: Any) -> Any:
        return raise_for_problem(await self.http.request(method, path, **kw)).json()

    async def submit(self, spec: dict[str, Any] | str | bytes, *, idempotency_key: str | None = None) -> Job:
        return await self._json("POST", "/v1/jobs", **_submit_args(spec, idempotency_key))

    async def get(self, job_id: str) -> Job:
        return await self._json("GET", f"/v1/jobs/{job_id}")

    async def cancel(self, job_id: str) -> Job:
        return await self._json("POST", f"/v1/jobs/{job_id}/cancel")

    async def delete(self, job_id: str) -> None:
        raise_for_problem(await self.http.delete(f"/v1/jobs/{job_id}"))

    async def download(self, job_id: str, path: str | Path, *, format: str = "jsonl", output: str | None = None) -> int:
        n = 0
        async with self.http.stream("GET", f"/v1/jobs/{job_id}/export",
                                    params=_query(format=format, output=output)) as r:
            if r.status_code >= 400:
                await r.aread()
                raise_for_problem(r)
            with open(path, "wb") as f:
                async for chunk in r.aiter_bytes():
                    n += f.write(chunk)
        return n

    async def push(self, job_id: str, repo_id: str, *, private: bool = True, output: str | None = None) -> dict[str, Any]:
        return await self._json("POST", f"/v1/jobs/{job_id}/push", json={"repo_id": repo_id, "private": private,
                                                                            "output": output})

    async def list(self, *, status: str | None = None, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
        return await self._json("GET", "/v1/jobs", params=_query(status=status, limit=limit, cursor=cursor))

    async def jobs(self, *, status: str | None = None, limit: int | None = None) -> AsyncIterator[Job]:
        cursor = None
        while True:
            page = await self.list(status=status, limit=limit, cursor=cursor)
            for job in page["data"]:
                yield job
            cursor = page.get("next_cursor")
            if not cursor:
                return

    async def wait(self, job_id: str, *, on_progress: Progress | None = None, interval: float = 1.0,
                   timeout: float | None = None) -> Job:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = await self.get(job_id)
            if on_progress:
                on_progress(job)
            if job["status"] in FINAL:
                return job
            _check_timeout(job, deadline)
            await asyncio.sleep(interval)

    async def _stream(self, kind: str, job_id: str, limit: int | None, poll: float,
                      follow: bool) -> AsyncIterator[dict[str, Any]]:
        cursor = None
        while True:
            response = await self.http.get(f"/v1/jobs/{job_id}/{kind}", params=_query(cursor=cursor, limit=limit))
            page, cursor = _lines(response)
            for line in page:
                yield line
            if not cursor or not (page or follow):
                return
            if not page:
                await asyncio.sleep(poll)

    def records(self, job_id: str, *, limit: int | None = None, poll: float = 1.0,
                follow: bool = True) -> AsyncIterator[dict[str, Any]]:
        return self._stream("records", job_id, limit, poll, follow)

    def rejects(self, job_id: str, *, limit: int | None = None, poll: float = 1.0,
                follow: bool = True) -> AsyncIterator[dict[str, Any]]:
        return self._stream("rejects", job_id, limit, poll, follow)

    async def export(self, job_id: str, path: str | Path, *, format: str = "jsonl", limit: int = 1000) -> int:
        with Writer(path, format) as w:
            async for rec in self.records(job_id, limit=limit):
                w.write(rec)
        return w.count

    async def recipes(self) -> dict[str, Any]:
        return await self._json("GET", "/v1/recipes")

    async def providers(self) -> dict[str, Any]:
        return await self._json("GET", "/v1/providers")

    async def report(self, job_id: str) -> dict[str, Any]:
        return await self._json("GET", f"/v1/jobs/{job_id}/report")

    async def compare(self, a: str, b: str) -> dict[str, Any]:
        return await self._json("GET", "/v1/jobs/compare", params={"a": a, "b": b})


__all__ = ["AsyncSynthgenClient", "FINAL", "FORMATS", "SynthgenClient"]
