"""The peers' virtualenvs (bench/.venvs/<peer>), made on first use and then reused.

Each peer gets its own venv made with `python3 -m venv` and pip, so its dependencies
never meet synthgen's. A stamp file records the requirements a venv was built with; a
venv whose stamp matches is reused as it is (pip's cache makes a rebuild cheap). If an
install fails, the peer is skipped with the reason and the log's path.

  python bench/venvs.py            build (or check) every peer's venv
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

VENVS = Path(__file__).resolve().parent / ".venvs"

# Versions the issue names; `requests` is imported by distilabel 1.5.3 but not declared.
PEERS: dict[str, list[str]] = {
    "distilabel": ["distilabel[openai]>=1.5,<1.6", "requests"],
    "data-designer": ["data-designer>=0.9,<0.10"],
}
# A module whose import proves the venv can run the peer.
PROBE = {"distilabel": "distilabel.pipeline", "data-designer": "data_designer.interface"}


def python_of(name: str) -> Path:
    return VENVS / name / "bin" / "python"


def ensure(name: str, log=print) -> tuple[Path | None, str]:
    """(python of the peer's venv, version) or (None, why it is skipped)."""
    reqs = PEERS[name]
    root = VENVS / name
    stamp = root / ".bench-requirements"
    want = "\n".join(reqs) + "\n"
    logfile = VENVS / f"{name}.install.log"
    if not (stamp.exists() and stamp.read_text() == want and python_of(name).exists()):
        log(f"  building the {name} venv at {root} (first time: this can take a few minutes; log {logfile})")
        start = time.monotonic()
        shutil.rmtree(root, ignore_errors=True)
        VENVS.mkdir(parents=True, exist_ok=True)
        with logfile.open("w") as fh:
            ok = subprocess.run(["python3", "-m", "venv", str(root)], stdout=fh, stderr=subprocess.STDOUT).returncode == 0
            ok = ok and subprocess.run([str(python_of(name)), "-m", "pip", "install", "-q", *reqs],
                                       stdout=fh, stderr=subprocess.STDOUT).returncode == 0
        if not ok:
            return None, f"pip install of {' '.join(reqs)} failed (see {logfile})"
        stamp.write_text(want)
        log(f"  built the {name} venv in {time.monotonic() - start:.0f}s")
    probe = subprocess.run(
        [str(python_of(name)), "-c",
         f"import importlib.metadata as m, {PROBE[name]}; print(m.version({name!r}))"],
        capture_output=True, text=True, timeout=300)
    if probe.returncode != 0:
        tail = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"the {name} venv does not import {PROBE[name]}: {tail}"
    return python_of(name), probe.stdout.strip()


def main() -> None:
    for name in PEERS:
        py, info = ensure(name)
        print(f"{name}: {'ok ' + info if py else 'SKIPPED: ' + info}")


if __name__ == "__main__":
    sys.exit(main())
