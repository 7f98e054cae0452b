"""What an embedder is, and what an embedder kind is.

An embedder kind is one module under service/providers/embedders/ with its `Embedder`
and its config, an `EmbedderKind` subclass tagged with the kind's name that checks and
opens itself; plus its class in the `EmbedderConfig` union (embedders/__init__.py). The
provider kinds follow the same shape (service/providers/base.py `ProviderKind`).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import msgspec
import numpy as np

# Texts per request / per encode batch unless the config says otherwise.
DEFAULT_BATCH_SIZE = 64


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors. Open one per job run; close it when the job ends."""

    name: str
    model: str
    dim: int

    async def embed(self, texts: list[str]) -> np.ndarray:
        """Shape (len(texts), dim), float32, L2-normalised rows, in input order."""
        ...

    async def aclose(self) -> None: ...


class EmbedderKind(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, tag_field="kind"):
    """Server-side embedder configuration (never taken from a job spec), of the kind its
    subclass's tag names: it checks itself when made and opens its embedder. The fields
    here are the ones every kind has.

    Configs are built in code (from settings) as often as decoded, and msgspec checks
    bounds only when decoding, so `__post_init__` checks them for both."""

    batch_size: int = DEFAULT_BATCH_SIZE

    @property
    def kind(self) -> str:
        return str(type(self).__struct_config__.tag)

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= 4096:
            raise ValueError("batch_size must be between 1 and 4096")
        self.check()

    def check(self) -> None:
        """Raise ValueError for a config that cannot work (beyond the common fields)."""

    def open(self) -> Embedder:
        """The embedder this config describes. Cheap: models load on their first `embed`."""
        raise NotImplementedError


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Float32 copy of `matrix` with unit rows; a zero or non-finite row is an error."""
    out = np.array(matrix, dtype=np.float32, copy=True, ndmin=2)
    norms = np.linalg.norm(out, axis=1)
    bad = ~np.isfinite(norms) | (norms == 0.0)
    if bad.any():
        raise ValueError(f"row {int(np.argmax(bad))} is zero or not finite; it has no direction")
    out /= norms[:, None]
    return out
