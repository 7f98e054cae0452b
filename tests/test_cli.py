"""The `synthgen` client commands against a live API and worker: the live bar under a
pty, export to Parquet/JSONL read back with pyarrow, exit codes and --json; and the
examples/ specs (one per recipe)."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from support import KEYS, ROOT, Api, Workers, responses_spec

pytest.importorskip("synthgen_client", reason="clients/python is not installed (make install does)")
pytest.importorskip("rich", reason="the synthgen[cli] extra is not installed (make install does)")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def cli(api_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SYNTHGEN_URL=api_url, SYNTHGEN_KEY=KEYS["alice"])
    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def run_in_pty(argv: list[str], env: dict[str, str], timeout: float = 90) -> tuple[int, str]:
    """Run argv with a pseudo-terminal as stdout/stderr; return its exit code and output."""
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.chdir(ROOT)
        os.execve(argv[0], argv, env)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def test_submit_wait_shows_a_live_bar_ending_in_a_summary(api_url: str, fake, worker: Workers) -> None:
    fake.configure(latency=0.15)
    env = dict(os.environ, SYNTHGEN_URL=api_url, SYNTHGEN_KEY=KEYS["alice"], TERM="xterm-256color",
               COLUMNS="160", LINES="40")
    code, out = run_in_pty(
        [sys.executable, "-m", "service.cli", "submit", "examples/evol-instruct.yaml",
         "--set", "generator.provider=fake", "--set", "params.judge.provider=fake", "--set", "target=12",
         "--wait", "--interval", "0.2"], env)
    text = ANSI.sub("", out).replace("\r", "\n")
    assert code == 0, text
    assert "\x1b[" in out  # drawn as a terminal bar (cursor control), not as plain lines
    kept = [int(m) for m in re.findall(r"\b(\d+)/12\b", text)]
    assert len(set(kept)) >= 3, f"the bar did not update: {kept}\n{text}"  # several distinct renders
    assert kept == sorted(kept) and kept[-1] == 12
    assert re.search(r"req/s", text) and re.search(r"\d+ tok", text) and "ETA" in text
    last = [line for line in text.splitlines() if line.strip()][-1]
    assert re.match(r"job \S+ succeeded: kept 12/12, rejected \d+", last), last


def test_export_parquet_and_jsonl_read_back(api_url: str, alice: Api, worker: Workers, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    job_id = alice.submit(responses_spec(42)).json()["id"]
    done = alice.wait(job_id)
    assert done["status"] == "succeeded"
    r = cli(api_url, "export", job_id, "--format", "parquet", "-o", str(tmp_path / "out.parquet"), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["records"] == 42
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.num_rows == done["progress"]["kept"] == 42
    assert table.column("id").to_pylist() == [rec["id"] for rec in alice.lines(job_id)]
    assert {"prompt", "response", "messages", "meta"} <= set(table.column_names)
    r = cli(api_url, "export", job_id, "--format", "jsonl", "-o", str(tmp_path / "out.jsonl"))
    assert r.returncode == 0 and "wrote 42 records" in r.stdout, r.stderr
    assert [json.loads(line)["id"] for line in (tmp_path / "out.jsonl").read_text().splitlines()] == \
        table.column("id").to_pylist()
    assert not list(tmp_path.glob(".*partial"))


def test_exit_codes_and_json(api_url: str, alice: Api, worker: Workers, tmp_path: Path) -> None:
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps(responses_spec(2, target=0)))
    r = cli(api_url, "submit", str(spec))
    assert r.returncode == 2 and "target" in r.stderr, r.stderr
    r = cli(api_url, "submit", str(tmp_path / "missing.yaml"))
    assert r.returncode == 2 and "missing.yaml" in r.stderr
    r = cli(api_url, "status", "no-such-job")
    assert r.returncode == 4, r.stderr
    r = cli(api_url, "status", "x", "--key", "wrong-key-000000")
    assert r.returncode == 6, r.stderr
    assert cli("http://127.0.0.1:9", "status", "x").returncode == 5

    r = cli(api_url, "submit", "-", "--json", "--wait", "--interval", "0.1",
            stdin=json.dumps(responses_spec(3)))
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["status"] == "succeeded" and job["progress"]["kept"] == 3
    assert json.loads(cli(api_url, "status", job["id"], "--json").stdout)["id"] == job["id"]
    r = cli(api_url, "cancel", job["id"])
    assert r.returncode == 7, r.stderr
    lines = cli(api_url, "tail", job["id"]).stdout.splitlines()
    assert [json.loads(x)["id"] for x in lines] == [x["id"] for x in alice.lines(job["id"])]
    assert job["id"] in {j["id"] for j in json.loads(cli(api_url, "list", "--json").stdout)["data"]}
    assert "responses" in cli(api_url, "recipes").stdout
    assert "fake" in {p["name"] for p in json.loads(cli(api_url, "providers", "--json").stdout)["data"]}


def test_compare_prints_the_differences_and_flags(api_url: str, alice: Api, worker: Workers) -> None:
    a = alice.wait(alice.submit(responses_spec(3)).json()["id"])
    b = alice.wait(alice.submit(responses_spec(3)).json()["id"])
    r = cli(api_url, "compare", a["id"], b["id"], "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["object"] == "job.comparison" and data["a"]["job_id"] == a["id"] and data["b"]["job_id"] == b["id"]
    text = cli(api_url, "compare", a["id"], b["id"]).stdout
    assert "response_words.mean" in text and text.rstrip().splitlines()[-1].startswith("flags: ")
    assert cli(api_url, "compare", a["id"], "job_nosuchjob").returncode == 4


def test_one_runnable_example_per_recipe() -> None:
    import msgspec
    import yaml

    from service.recipes import RECIPES, decode_spec

    examples = {p.stem: p for p in (ROOT / "examples").glob("*.yaml")}
    assert set(examples) == set(RECIPES)
    for name, path in examples.items():
        spec: Any = decode_spec(msgspec.json.encode(yaml.safe_load(path.read_text())))
        assert spec.recipe == name


def test_export_hf_layout_and_delete(api_url: str, alice: Api, worker: Workers, tmp_path: Path) -> None:
    import tarfile

    job_id = alice.submit(responses_spec(5)).json()["id"]
    assert alice.wait(job_id)["status"] == "succeeded"
    r = cli(api_url, "export", job_id, "--format", "hf", "-o", str(tmp_path / "ds.tar"), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["records"] == 5
    with tarfile.open(tmp_path / "ds.tar") as tar:
        assert sorted(tar.getnames()) == ["README.md", "data/train-00000-of-00001.parquet"]
    r = cli(api_url, "export", job_id, "--output-format", "openai", "-o", str(tmp_path / "chat.jsonl"))
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in (tmp_path / "chat.jsonl").read_text().splitlines()]
    assert len(lines) == 5 and all(x["messages"][0]["role"] == "user" for x in lines)
    r = cli(api_url, "delete", job_id)
    assert r.returncode == 0 and "deleted" in r.stdout, r.stderr
    assert alice.client.get(f"/v1/jobs/{job_id}").status_code == 404
    assert cli(api_url, "delete", job_id).returncode == 4
