"""Where generated code runs: the `Sandbox` protocol and its default, a subprocess under
bubblewrap.

The code verifier (pipeline/verifiers.py) hands a sandbox a set of files and a command;
the sandbox runs it and says how it ended (`SandboxResult`). The default,
`BubblewrapSandbox`, runs the command as a child of the worker under bubblewrap
(Debian's `bubblewrap` package, `bwrap`; .ci/run and deploy/Dockerfile install it):

- every namespace unshared (`--unshare-all`): no network at all (only a loopback with
  nothing listening), its own PID, IPC, UTS and cgroup namespaces;
- a user namespace mapping the child to uid/gid 65534 (nobody), so it is not root
  inside, and holds no capability outside;
- a read-only root holding read-only binds of the interpreter's directories (/usr, and
  the interpreter's prefix when it lives elsewhere), a fresh /proc, a minimal /dev, an
  empty read-only /tmp, and one writable directory: a fresh temporary directory on the
  host holding the files, mounted at /sandbox (also HOME and TMPDIR) and deleted
  afterwards. Nothing of the
  worker (its code, its environment, its secrets, /etc, the home directory) is visible;
- the environment cleared (`--clearenv`): no SYNTHGEN_* variable or provider key;
- rlimits set before bwrap starts, inherited by everything inside: CPU seconds,
  address space, file size, open files, processes; a wall-clock timeout kills the whole
  process group (`--die-with-parent` too, so a dead worker leaves nothing behind).

docs/verification.md has the threat model; a deployment that runs untrusted code at
scale may implement `Sandbox` against a separate sandbox service (a gVisor or
Firecracker pool, e2b, a Kubernetes job) instead.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import signal
import sys
import tempfile
from typing import Protocol

import msgspec

from service import defaults


class Limits(msgspec.Struct, frozen=True):
    """What one run may spend."""

    wall_seconds: float = defaults.SANDBOX_WALL_SECONDS
    cpu_seconds: int = defaults.SANDBOX_CPU_SECONDS
    memory_mb: int = defaults.SANDBOX_MEMORY_MB
    file_mb: int = defaults.SANDBOX_FILE_MB
    processes: int = defaults.SANDBOX_PROCESSES
    output_chars: int = defaults.SANDBOX_OUTPUT_CHARS


class SandboxResult(msgspec.Struct):
    """How a run ended: its exit code (negative: killed by that signal), whether the
    wall-clock timeout killed it, and the tails of its output."""

    exit_code: int
    timed_out: bool
    stdout: str
    stderr: str
    sandbox: str  # which sandbox ran it (provenance)


class SandboxUnavailable(RuntimeError):
    """This machine cannot run the sandbox (bwrap missing, or user namespaces refused)."""


class Sandbox(Protocol):
    """Runs `argv` (paths relative to the working directory, which holds `files`) with
    no network, no view of the host and the given limits, `stdin` on its standard input."""

    name: str

    async def run(self, files: dict[str, str], argv: list[str], limits: Limits, stdin: str = "") -> SandboxResult:
        ...


def _tail(data: bytes, n: int) -> str:
    text = data.decode("utf-8", "replace")
    return text if len(text) <= n else "..." + text[-n:]


def interpreter() -> str:
    """The base interpreter of this Python (a venv's python is a symlink into it): the
    sandbox sees the interpreter and its standard library, not the venv's packages."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


class BubblewrapSandbox:
    """The default sandbox: a bubblewrap subprocess (see the module docstring)."""

    name = "bubblewrap"
    WORKDIR = "/sandbox"

    def __init__(self, bwrap: str | None = None):
        self.bwrap = bwrap or shutil.which("bwrap")

    @property
    def available(self) -> bool:
        """bwrap is installed and can make its namespaces here (a container that refuses
        unprivileged user namespaces cannot run it): probed once per process."""
        return self.unavailable_reason() is None

    def unavailable_reason(self) -> str | None:
        """Why this machine cannot run the sandbox, or None."""
        if self.bwrap is None:
            return "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
        return _probe([self.bwrap, "--unshare-all", "--uid", "65534", "--gid", "65534", *self._mounts(),
                       "--", "/usr/bin/true"])

    def _mounts(self) -> list[str]:
        args = ["--ro-bind", "/usr", "/usr"]
        for top in ("/bin", "/lib", "/lib32", "/lib64", "/sbin"):
            if os.path.islink(top):  # merged /usr: recreate the symlink
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        prefix = os.path.realpath(sys.base_prefix)
        if not prefix.startswith("/usr"):  # an interpreter built elsewhere (/opt/python, pyenv)
            args += ["--ro-bind", prefix, prefix]
        return args

    def command(self, workdir: str, argv: list[str]) -> list[str]:
        """The bwrap command line for `argv` in `workdir` (mounted at /sandbox)."""
        assert self.bwrap is not None
        return [
            self.bwrap, "--unshare-all", "--die-with-parent", "--new-session",
            "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL",
            *self._mounts(),
            "--proc", "/proc", "--dev", "/dev", "--dir", "/tmp",
            "--bind", workdir, self.WORKDIR, "--remount-ro", "/", "--chdir", self.WORKDIR,
            "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", self.WORKDIR,
            "--setenv", "TMPDIR", self.WORKDIR,
            "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "LANG", "C.UTF-8",
            "--", *argv,
        ]

    async def run(self, files: dict[str, str], argv: list[str], limits: Limits, stdin: str = "") -> SandboxResult:
        if (why := self.unavailable_reason()) is not None:
            raise SandboxUnavailable(why)
        workdir = tempfile.mkdtemp(prefix="synthgen-sandbox-")
        try:
            os.chmod(workdir, 0o777)  # nobody (65534) inside writes here
            for name, text in files.items():
                path = os.path.join(workdir, name)
                if os.path.dirname(os.path.abspath(path)) != workdir:
                    raise ValueError(f"sandbox file name {name!r} must be a plain name")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
            return await self._exec(self.command(workdir, argv), limits, stdin.encode())
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    async def _exec(self, cmd: list[str], limits: Limits, stdin: bytes) -> SandboxResult:
        def rlimits() -> None:  # runs in the child before exec: bwrap and all it starts inherit them
            mem = limits.memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * 1024 * 1024,) * 2)
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes,) * 2)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        proc = await asyncio.create_subprocess_exec(
            *cmd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            preexec_fn=rlimits, start_new_session=True, env={"PATH": "/usr/bin:/bin"},
        )
        timed_out = False
        try:
            out, err = await asyncio.wait_for(proc.communicate(stdin), limits.wall_seconds)
        except asyncio.TimeoutError:
            timed_out = True
            out, err = b"", b""
        finally:
            if proc.returncode is None:
                try:  # the whole session: bwrap and everything the code started
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                await proc.wait()
        assert proc.returncode is not None
        return SandboxResult(exit_code=proc.returncode, timed_out=timed_out,
                             stdout=_tail(out, limits.output_chars), stderr=_tail(err, limits.output_chars),
                             sandbox=self.name)


_probes: dict[str, str | None] = {}


def _probe(cmd: list[str]) -> str | None:
    """None when the bwrap command `cmd` (running `true`) works here, else its error (cached)."""
    key = cmd[0]
    if key not in _probes:
        import subprocess

        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
            _probes[key] = None if r.returncode == 0 else f"bwrap cannot create its sandbox here: {r.stderr.strip()}"
        except (OSError, subprocess.TimeoutExpired) as exc:
            _probes[key] = f"bwrap did not run: {exc}"
    return _probes[key]


def default_sandbox() -> Sandbox:
    """The sandbox a worker runs code in when none is configured."""
    return BubblewrapSandbox()
