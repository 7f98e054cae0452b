"""The results table (Markdown), from a results JSON written by bench/run.py.

  python -m bench.report bench/results/<time>.json
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _f(x: Any, spec: str = ",.1f", suffix: str = "") -> str:
    return "-" if x is None else f"{x:{spec}}{suffix}"


def _aim(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "MISSED")


def table(res: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str, str]] = []  # (figure, value, aim, verdict)
    s = res.get("sections", {})
    tp = s.get("throughput")
    if tp:
        for c, r in tp["by_concurrency"].items():
            peers = r["peers"]

            def peer_cell(name: str) -> str:
                p = peers.get(name)
                if p is None:
                    return "skipped: " + tp["skipped"].get(name, "not run") if name in tp.get("skipped", {}) else "not run"
                if "error" in p:
                    return "failed: " + p["error"]
                return f"{p['rate']:,.1f} rec/s (in flight {p['meter']['mean_inflight']:.0f}, peak {p['meter']['peak_inflight']})"

            sg_m = r["synthgen"]["runs"][-1]["meter"]
            bare_m = r["bare"]["runs"][-1]["meter"]
            rows += [
                (f"c={c}: a. bare aiohttp loop", f"{r['bare']['rate']:,.1f} rec/s (in flight {bare_m['mean_inflight']:.0f})", "", ""),
                (f"c={c}: b. synthgen end to end", f"{r['synthgen']['rate']:,.1f} rec/s (in flight {sg_m['mean_inflight']:.0f})", "", ""),
                (f"c={c}: c. distilabel", peer_cell("distilabel"), "", ""),
                (f"c={c}: d. Data Designer", peer_cell("data-designer"), "", ""),
                (f"c={c}: b/a", _f(r["ratio_b_a"], ".3f"), ">= 0.9", _aim(r["ratio_b_a"] >= 0.9)),
                (f"c={c}: b/c", _f(r["ratio_b_c"], ".2f", "x"), ">= 4x at c=256" if c == "256" else "",
                 _aim(r["ratio_b_c"] >= 4) if c == "256" and r["ratio_b_c"] is not None else ""),
                (f"c={c}: b/d", _f(r["ratio_b_d"], ".2f", "x"), ">= 4x at c=256" if c == "256" else "",
                 _aim(r["ratio_b_d"] >= 4) if c == "256" and r["ratio_b_d"] is not None else ""),
            ]
        for c, r in tp["by_concurrency"].items():
            cpu = r["synthgen"]["cpu_ms_per_record"]
            rows += [
                (f"CPU per record, c={c}: worker", f"{cpu['worker']:.3f} ms", "<= 1 ms", _aim(cpu["worker"] <= 1.0)),
                (f"CPU per record, c={c}: API", f"{cpu['api']:.3f} ms", "", ""),
            ]
        lr = tp.get("long_replies")
        if lr:
            cpu = lr["cpu_ms_per_record"]
            rows.append((f"CPU per record, {lr['words']}-word replies, c={lr['concurrency']}",
                         f"worker {cpu['worker']:.3f} ms, API {cpu['api']:.3f} ms ({lr['rate']:,.0f} rec/s)", "(<= 1 ms)",
                         "within" if cpu["worker"] <= 1.0 else "over"))
    mem = s.get("memory")
    if mem:
        for n, r in mem["by_size"].items():
            rows.append((f"peak RSS at {int(n):,} records", f"API {r['peak_rss_mib']['api']:.0f} MiB, worker "
                         f"{r['peak_rss_mib']['worker']:.0f} MiB ({r['rate']:,.0f} rec/s{'' if r['ok'] else ', NOT OK'})", "", ""))
        sizes = list(mem["by_size"])
        for k in ("worker", "api"):
            rows.append((f"peak RSS {int(sizes[-1]):,} / {int(sizes[0]):,}: {'API' if k == 'api' else k}", f"{mem['ratio'][k]:.2f}x", "<= 1.2x",
                         _aim(mem["ratio"][k] <= 1.2)))
    api = s.get("api")
    if api:
        rows += [
            ("GET /v1/jobs/{id}: bare Litestar", f"{api['bare']['rps']:,.0f} req/s, p50 {api['bare']['p50_ms']:.2f} ms, "
             f"p99 {api['bare']['p99_ms']:.2f} ms", "", ""),
            ("GET /v1/jobs/{id}: synthgen", f"{api['synthgen']['rps']:,.0f} req/s, p50 {api['synthgen']['p50_ms']:.2f} ms, "
             f"p99 {api['synthgen']['p99_ms']:.2f} ms", "", ""),
            ("GET job status: synthgen / bare", f"{api['ratio']:.2f}", ">= 0.5", _aim(api["ratio"] >= 0.5)),
        ]
        keys = api.get("keys")
        if keys:
            b, m = keys["bootstrap key"], keys["managed key"]
            rows.append(("GET job status: managed key (Redis lookup) / bootstrap key",
                         f"{keys['ratio']:.2f} ({m['rps']:,.0f} vs {b['rps']:,.0f} req/s, p50 {m['p50_ms']:.2f} vs "
                         f"{b['p50_ms']:.2f} ms)", "", ""))
            lk = keys.get("lookup")
            if lk:
                rows.append(("key lookup alone: managed / bootstrap",
                             f"{lk['managed key']['wall_us']:.0f} vs {lk['bootstrap key']['wall_us']:.0f} us wall, "
                             f"{lk['managed key']['cpu_us']:.0f} vs {lk['bootstrap key']['cpu_us']:.0f} us CPU", "", ""))
    ti = s.get("tenants")
    if ti:
        rows.append(("B's job under A's over-quota flood / alone",
                     f"{ti['ratio']:.2f} ({ti['flooded_records_per_s']:,.1f} vs {ti['alone_records_per_s']:,.1f} rec/s; "
                     f"A {ti['flood_submits_per_s']:,.0f} submits/s, {ti['flood_statuses']})", "", ""))
        c = ti.get("cpu")
        if c:
            rows.append(("  worker CPU per record of B's job: flooded / alone",
                         f"{c['flooded']['worker_ms_per_record']:.2f} vs {c['alone']['worker_ms_per_record']:.2f} ms; "
                         f"API {c['flooded']['api_cores']:.2f} cores, machine {c['flooded']['machine_cores']:.2f} vs "
                         f"{c['alone']['machine_cores']:.2f} cores", "", ""))
    dd = s.get("dedup")
    if dd:
        if "skipped" in dd:
            rows.append(("dedup", "skipped: " + dd["skipped"], "", ""))
        else:
            for n, r in dd["by_size"].items():
                j = r["job_dedup"]
                rows.append((f"dedup at {int(n):,}: embedder alone / job with dedup / job without",
                             f"{r['embedder_rate']:,.0f} texts/s / {j['rate']:,.0f} rec/s{' (timed out)' if j['timed_out'] else ''}"
                             f" / {r['job_no_dedup']['rate']:,.0f} rec/s" + (f" INVALID: {r['invalid']}" if r.get("invalid") else ""),
                             "", ""))
    lm = s.get("local")
    if lm:
        rows += [
            ("SmolLM2 direct llama-cpp-python", f"{lm['direct']['tokens_per_s']:.1f} tok/s", "", ""),
            ("SmolLM2 through synthgen (job wall)", f"{lm['synthgen']['tokens_per_s_job']:.1f} tok/s", "", ""),
            ("SmolLM2 through synthgen (in calls)", f"{lm['synthgen']['tokens_per_s_calls']:.1f} tok/s", "", ""),
            ("local: synthgen / direct (job wall)", f"{lm['ratio_job']:.3f}", ">= 0.9", _aim(lm["ratio_job"] >= 0.9)),
        ]
    lim = s.get("limits")
    if lim:
        for w, row in lim["by_workers"].items():
            f, p = row["fleet"], row["process"]
            rows.append((f"limit {lim['limit']}, {w} worker(s): peak in flight, fleet limit / per-process limit",
                         f"{f['peak_inflight']} / {p['peak_inflight']} ({f['rate']:,.0f} / {p['rate']:,.0f} rec/s; "
                         f"{f['calls_per_request']:.2f} Redis calls per request)",
                         f"<= {lim['limit']}", _aim(f["peak_inflight"] <= lim["limit"])))
        oo = lim["on_off"]
        if oo:
            rows.append(("shared limiter on / off, same job", f"{oo['ratio']:.3f} ({oo['rate_on']:,.1f} / "
                         f"{oo['rate_off']:,.1f} rec/s)", ">= 0.9", _aim(oo["ratio"] >= 0.9)))
    sc = s.get("scaling")
    if sc:
        for w, r in sc["ratio"].items():
            aim = ">= 1.7x" if w == "2" else ""
            c = sc.get("ceiling", {}).get(w)
            allows = (f"; CPU ms/record worker {c['w_ms']:.2f}, rest {c['o_ms']:.2f}: this machine allows "
                      f"{c['machine_ratio']:.2f}x, a core per process {c['core_per_process_ratio']:.2f}x") if c else ""
            rows.append((f"scaling, CPU-bound ({sc['words']}-word replies): {w} worker(s)",
                         f"{r['rate_median']:,.0f} rec/s ({r['median']:.2f}x one worker{allows})", aim,
                         _aim(r["median"] >= 1.7) if w == "2" else ""))
    ca = s.get("cache")
    if ca:
        rows.append((f"cache: second run of a {ca['n']}-prompt job vs the first (wall time)",
                     f"{ca['second_over_first']:.3f} ({ca['second_seconds']:.2f} s / {ca['first_seconds']:.2f} s)",
                     "", ""))
        rows.append(("cache: provider requests, first / second run",
                     f"{ca['first_requests']:.0f} / {ca['second_requests']:.0f}", "0 on the second",
                     _aim(ca["second_requests"] == 0)))
        rows.append(("cache: first run (writing the cache) vs no cache", f"{ca['first_over_baseline']:.3f}", "", ""))
    ba = s.get("batch")
    if ba:
        rows.append((f"batch: time per record, batched vs online (slope {ba['n'][0]} -> {ba['n'][1]} records)",
                     f"{ba['batched_ms_per_record']:.2f} ms vs {ba['online_ms_per_record']:.2f} ms", "", ""))
        rows.append((f"batch: a {ba['n'][0]}-record job's wall time, batched vs online (fixed waits: collect "
                     f"{ba['collect_seconds']} s + poll <= {ba['poll_seconds']} s)",
                     f"{ba['batched_small_seconds']:.2f} s vs {ba['online_small_seconds']:.2f} s", "", ""))
    ds = s.get("datasets")
    if ds:
        for n, r in ds["by_size"].items():
            rows.append((f"datasets: {int(n):,} records ({ds['words']}-word replies)",
                         f"{r['seconds']:,.0f} s; Redis job keys peak {r['redis_job_keys_peak_mib']:.1f} MiB; RSS API "
                         f"{r['peak_rss_mib']['api']:.0f} / worker {r['peak_rss_mib']['worker']:.0f} MiB; sealed "
                         f"{r['sealed_bytes'] / 1048576:.1f} MiB", "", "" if r["ok"] else "NOT OK"))
        rt = ds["ratio"]
        a, b = ds.get("ratio_between", [0, 0])
        for k, v in rt.items():
            rows.append((f"datasets: {k} {b:,} / {a:,} records", f"{v:.2f}x", "<= 1.2x", _aim(v <= 1.2)))
    for name, err in res.get("errors", {}).items():
        rows.append((f"{name}", f"ERROR: {err}", "", ""))
    out = ["| figure | value | aim | |", "|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(out)


def main() -> None:
    print(table(json.loads(open(sys.argv[1]).read())))


if __name__ == "__main__":
    main()
