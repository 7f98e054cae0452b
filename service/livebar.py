"""The live progress display of `synthgen submit --wait` (rich).

One line, redrawn on every poll: status, a bar of kept/target, reject reasons (the
three commonest), requests/s over the last polls, tokens in+out and an ETA from the kept
rate. When the job ends the bar stays as drawn and one summary line follows it, so a
terminal's scrollback (and a CI log) ends with the outcome. On a non-terminal rich
draws nothing live; the summary line is printed all the same.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any

from service.extras import require

if TYPE_CHECKING:
    from rich.console import Console

RATE_WINDOW = 10  # polls the requests/s figure averages over: steady, yet follows a change


def reasons(by_reason: dict[str, int], top: int = 3) -> str:
    items = sorted(by_reason.items(), key=lambda kv: -kv[1])
    text = ", ".join(f"{k} {v}" for k, v in items[:top])
    return text + (f", +{len(items) - top} more" if len(items) > top else "")


def shown_status(job: dict[str, Any]) -> str:
    """The job's status, and the provider models it waits on while their circuit is open."""
    waits = job.get("waiting_for_provider") or []
    if not waits:
        return str(job["status"])
    return f"{job['status']}, waiting for " + ", ".join(
        f"{w['provider']}/{w['model']} (circuit {w['circuit']}, last failure {w['reason']})" for w in waits)


def summary(job: dict[str, Any], elapsed: float) -> str:
    """The closing line: `job ID succeeded: kept 20/20, rejected 3 (empty 2), ...`."""
    p = job["progress"]
    target = p.get("target")
    why = f" ({reasons(p['rejected_by_reason'], top=8)})" if p["rejected_by_reason"] else ""
    err = job.get("error") or {}
    tail = f" - {err.get('detail') or err.get('title')}" if err else ""
    return (f"job {job['id']} {job['status']}: kept {p['kept']}/{target if target is not None else '?'}, "
            f"rejected {p['rejected']}{why}, {p['requests']} requests, "
            f"{p['tokens_in']}+{p['tokens_out']} tokens in {elapsed:.1f}s{tail}")


class LiveBar:
    """`on_progress` callback for SynthgenClient.wait; a context manager around it."""

    def __init__(self, console: Console | None = None):
        rp = require("cli", "rich", "the live progress bar").progress
        self.console = console or require("cli", "rich", "the live progress bar").console.Console()
        self.progress = rp.Progress(
            rp.TextColumn("[bold]{task.fields[status]:<10}"), rp.BarColumn(), rp.MofNCompleteColumn(),
            rp.TextColumn("rejected {task.fields[rejected]}{task.fields[reasons]}"),
            rp.TextColumn("{task.fields[rps]:.1f} req/s"), rp.TextColumn("{task.fields[tokens]} tok"),
            rp.TextColumn("ETA"), rp.TimeRemainingColumn(),
            console=self.console, refresh_per_second=8,
        )
        self.task: Any = None
        self.started = time.monotonic()
        self._samples: deque[tuple[float, int]] = deque(maxlen=RATE_WINDOW)

    def __enter__(self) -> "LiveBar":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, job: dict[str, Any]) -> None:
        p = job["progress"]
        now = time.monotonic()
        self._samples.append((now, p["requests"]))
        (t0, r0), (t1, r1) = self._samples[0], self._samples[-1]
        fields = dict(
            status=shown_status(job), rejected=p["rejected"], rps=(r1 - r0) / (t1 - t0) if t1 > t0 else 0.0,
            reasons=f" ({reasons(p['rejected_by_reason'])})" if p["rejected_by_reason"] else "",
            tokens=p["tokens_in"] + p["tokens_out"],
        )
        if self.task is None:
            self.task = self.progress.add_task(job["id"], total=p.get("target"), completed=p["kept"], **fields)
        else:
            self.progress.update(self.task, total=p.get("target"), completed=p["kept"], **fields)
        self.progress.refresh()

    def finish(self, job: dict[str, Any]) -> None:
        self.progress.stop()
        self.console.print(summary(job, time.monotonic() - self.started), markup=False, highlight=False, soft_wrap=True)
