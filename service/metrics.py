"""Prometheus metrics that add up across every API and worker process.

Each process accumulates increments in memory (`Buffer`) and pushes them to two Redis
hashes with HINCRBYFLOAT (workers every second and at the end of each job); /metrics
reads the hashes at scrape time. So a worker that exits, or runs on another machine,
still counts, and there is no multiprocess directory to share.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from typing import Any, Iterable

import msgspec
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from service import __version__, defaults

COUNTERS_KEY = f"{defaults.KEY_PREFIX}:metrics:c"
HISTOGRAMS_KEY = f"{defaults.KEY_PREFIX}:metrics:h"

# name -> (help, label names); counters are exposed with the _total suffix.
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "synthgen_jobs_submitted": ("Jobs accepted by the API.", ("recipe",)),
    "synthgen_jobs_finished": ("Jobs that reached a final status.", ("recipe", "status")),
    "synthgen_records_kept": ("Records kept.", ("recipe",)),
    "synthgen_records_rejected": ("Records rejected.", ("recipe", "stage", "reason")),
    "synthgen_provider_requests": ("Requests to providers.", ("provider", "model", "outcome")),
    "synthgen_provider_retries": ("Provider requests retried.", ("provider",)),
    "synthgen_provider_tokens": ("Tokens by direction.", ("provider", "model", "direction")),
    "synthgen_provider_cost_usd": ("US dollars spent at the providers file's prices, by stage (generation, judge).",
                                   ("provider", "model", "stage")),
    "synthgen_cache_lookups": ("Response cache lookups of jobs with `cache`, by result (hit, miss).",
                               ("provider", "model", "result")),
    "synthgen_cache_saved_usd": ("US dollars the response cache's hits saved, at the providers file's prices.",
                                 ("provider", "model")),
    "synthgen_provider_throttled": (
        "Provider requests the fleet limiter held back before sending, by the limit that first held each "
        "(concurrency, fair_share, rpm, tpm, paused, circuit).", ("provider", "model", "reason")),
    "synthgen_provider_limiter_calls": ("Redis round trips of the fleet limiter (EXCHANGE calls).",
                                        ("provider", "model")),
}
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
HISTOGRAMS: dict[str, tuple[str, tuple[str, ...], tuple[float, ...]]] = {
    "synthgen_provider_request_duration_seconds": (
        "Provider request latency.", ("provider", "model"), LATENCY_BUCKETS,
    ),
    "synthgen_job_duration_seconds": (
        "Wall time from start to final status.", ("recipe", "status"),
        (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 24 * 3600.0),
    ),
}

_enc = msgspec.json.Encoder()


class Buffer:
    """Increments not yet pushed to Redis. Thread-safe; cheap on the hot path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._c: dict[tuple, float] = defaultdict(float)
        self._h: dict[tuple, list[float]] = {}

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        key = (name, *labels.values())
        with self._lock:
            self._c[key] += value

    def observe(self, name: str, value: float, **labels: str) -> None:
        buckets = HISTOGRAMS[name][2]
        key = (name, *labels.values())
        with self._lock:
            h = self._h.get(key)
            if h is None:
                h = self._h[key] = [0.0] * (len(buckets) + 3)
            h[bisect.bisect_left(buckets, value)] += 1
            h[-2] += value
            h[-1] += 1

    def drain(self) -> tuple[dict[tuple, float], dict[tuple, list[float]]]:
        with self._lock:
            c, h = self._c, self._h
            self._c, self._h = defaultdict(float), {}
        return c, h

    def commands(self) -> list[tuple[str, bytes, float]]:
        """(hash key, field, increment) for everything buffered, draining the buffer."""
        c, h = self.drain()
        out = [(COUNTERS_KEY, _enc.encode(list(k)), v) for k, v in c.items()]
        for key, values in h.items():
            buckets = HISTOGRAMS[key[0]][2]
            for i, v in enumerate(values[: len(buckets) + 1]):
                if v:
                    out.append((HISTOGRAMS_KEY, _enc.encode([*key, "b", i]), v))
            out.append((HISTOGRAMS_KEY, _enc.encode([*key, "sum"]), values[-2]))
            out.append((HISTOGRAMS_KEY, _enc.encode([*key, "count"]), values[-1]))
        return out

    def flush_sync(self, client: Any) -> None:
        cmds = self.commands()
        if cmds:
            p = client.pipeline(transaction=False)
            for key, field, v in cmds:
                p.hincrbyfloat(key, field, v)
            p.execute()

    async def flush(self, client: Any) -> None:
        cmds = self.commands()
        if cmds:
            async with client.pipeline(transaction=False) as p:
                for key, field, v in cmds:
                    p.hincrbyfloat(key, field, v)
                await p.execute()


class Snapshot(Collector):
    """A collector over one read of the Redis hashes plus gauges computed by the caller."""

    def __init__(self, counters: dict[bytes, bytes], histograms: dict[bytes, bytes], gauges: dict[str, dict[tuple, float]]):
        self.counters = counters
        self.histograms = histograms
        self.gauges = gauges

    def collect(self) -> Iterable[Any]:
        yield _build_info()
        fams = {n: CounterMetricFamily(n, h, labels=list(ls)) for n, (h, ls) in COUNTERS.items()}
        for field, value in self.counters.items():
            name, *labels = msgspec.json.decode(field)
            if name in fams:
                fams[name].add_metric(labels, float(value))
        yield from fams.values()
        grouped: dict[tuple, dict[Any, float]] = defaultdict(dict)
        for field, value in self.histograms.items():
            parts = msgspec.json.decode(field)
            name = parts[0]
            if name not in HISTOGRAMS:
                continue
            n_labels = len(HISTOGRAMS[name][1])
            key = tuple(parts[: 1 + n_labels])
            rest = parts[1 + n_labels:]
            grouped[key][rest[1] if rest[0] == "b" else rest[0]] = float(value)
        hfams = {n: HistogramMetricFamily(n, h, labels=list(ls)) for n, (h, ls, _) in HISTOGRAMS.items()}
        for key, values in grouped.items():
            name, labels = key[0], list(key[1:])
            edges = HISTOGRAMS[name][2]
            cum, buckets = 0.0, []
            for i, edge in enumerate(edges):
                cum += values.get(i, 0.0)
                buckets.append((repr(edge), cum))
            cum += values.get(len(edges), 0.0)
            buckets.append(("+Inf", cum))
            hfams[name].add_metric(labels, buckets, values.get("sum", 0.0))
        yield from hfams.values()
        for name, series in self.gauges.items():
            help_text, label_names = GAUGES[name]
            g = GaugeMetricFamily(name, help_text, labels=list(label_names))
            for labels, v in series.items():
                g.add_metric(list(labels), v)
            yield g


GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "synthgen_queue_jobs": ("RQ jobs by queue and state, read at scrape time.", ("queue", "state")),
    "synthgen_jobs": ("synthgen jobs not yet final, by status, read at scrape time.", ("status",)),
    "synthgen_workers": ("Live worker processes (heartbeat within the last few seconds), read at scrape time.", ()),
    "synthgen_provider_inflight": ("Requests in flight to a provider model, fleet-wide (permits held), read at "
                                   "scrape time.", ("provider", "model")),
    "synthgen_provider_limit": ("A provider model's fleet-wide limits, read at scrape time: kind=concurrency "
                                "(configured), window (the in-flight allowance after 429s), rpm, tpm (0: none).",
                                ("provider", "model", "kind")),
    "synthgen_provider_circuit_state": ("A provider model's circuit breaker: 0 closed, 1 half-open (one probe in "
                                        "flight), 2 open.", ("provider", "model")),
}


def _build_info() -> GaugeMetricFamily:
    g = GaugeMetricFamily("synthgen_build_info", "Build information.", labels=["version"])
    g.add_metric([__version__], 1.0)
    return g
