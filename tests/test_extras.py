"""An installation without the heavy extras (synthgen[local], synthgen[minilm]) serves
and runs jobs on remote providers, and a job that needs a missing extra fails with an
error naming it.

The API and a worker run as real processes whose interpreter cannot import the heavy
modules (a sitecustomize on PYTHONPATH refuses them), which is what an image built
without the extras looks like to the code. deploy/README.md shows the real slim install.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from typing import Iterator

import httpx
import pytest

from service.extras import EXTRAS

from support import KEYS, ROOT, free_port, responses_spec, wait_for, wait_http_ok

HEAVY = EXTRAS["local"] + EXTRAS["minilm"]

BLOCKER = f'''
import sys

class _NoHeavy:
    """This interpreter has no synthgen[local] / synthgen[minilm] extras."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {set(HEAVY)!r}:
            raise ImportError(f"No module named {{name!r}} (blocked: slim image)", name=name)
        return None

sys.meta_path.insert(0, _NoHeavy())
'''


@pytest.fixture(scope="module")
def slim(service_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    site = tmp_path_factory.mktemp("slim-site")
    (site / "sitecustomize.py").write_text(BLOCKER)
    port = free_port()
    env = dict(service_env, PYTHONPATH=str(site), SYNTHGEN_PORT=str(port))
    logs = tmp_path_factory.mktemp("slim-logs")
    api = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--workers", "0"], cwd=ROOT, env=env,
                           stdout=open(logs / "api.log", "wb"), stderr=subprocess.STDOUT)
    worker = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], cwd=ROOT, env=env,
                              stdout=open(logs / "worker.log", "wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http_ok(f"{url}/readyz")
        yield url, env
    finally:
        for p in (api, worker):
            p.send_signal(signal.SIGTERM)
        for p in (api, worker):
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()


def test_the_blocker_really_hides_the_heavy_modules(slim: tuple[str, dict[str, str]]) -> None:
    _, env = slim
    r = subprocess.run([sys.executable, "-c", "import llama_cpp"], env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "blocked: slim image" in r.stderr
    r = subprocess.run([sys.executable, "-c", "import service.api.app, service.worker.process, sys;"
                        f"print(sorted(set(sys.modules) & {set(HEAVY)!r}))"], env=env, cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stderr


def test_slim_install_runs_a_job_on_the_fake_provider(slim: tuple[str, dict[str, str]]) -> None:
    url, _ = slim
    h = {"Authorization": f"Bearer {KEYS['alice']}"}
    job = httpx.post(f"{url}/v1/jobs", json=responses_spec(5), headers=h).json()
    done = wait_for(lambda: (j := httpx.get(f"{url}/v1/jobs/{job['id']}", headers=h).json())["status"]
                    in ("succeeded", "failed") and j, timeout=60, what="the slim job")
    assert done["status"] == "succeeded" and done["progress"]["kept"] == 5, done


def test_a_job_needing_a_missing_extra_fails_naming_it(slim: tuple[str, dict[str, str]]) -> None:
    url, env = slim
    spec = responses_spec(1, generator={"provider": "local"})
    r = subprocess.run([sys.executable, "-m", "service.cli", "submit", "-", "--json", "--wait", "--interval", "0.2"],
                       cwd=ROOT, input=json.dumps(spec), capture_output=True, text=True, timeout=120,
                       env=dict(env, SYNTHGEN_URL=url, SYNTHGEN_KEY=KEYS["alice"]))
    assert r.returncode == 1, r.stdout + r.stderr  # the documented exit code of a failed job
    job = json.loads(r.stdout)
    assert job["status"] == "failed"
    assert "synthgen[local]" in job["error"]["detail"], job["error"]
    # The text summary shows it too (brackets are not eaten as terminal markup).
    r = subprocess.run([sys.executable, "-m", "service.cli", "submit", "-", "--wait", "--interval", "0.2"],
                       cwd=ROOT, input=json.dumps(spec), capture_output=True, text=True, timeout=120,
                       env=dict(env, SYNTHGEN_URL=url, SYNTHGEN_KEY=KEYS["alice"]))
    assert r.returncode == 1 and "install the synthgen[local] extra" in r.stdout, r.stdout + r.stderr
