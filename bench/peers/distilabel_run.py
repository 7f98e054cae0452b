"""distilabel peer: TextGeneration over OpenAILLM against the fake provider.

Run with the distilabel venv's python (made by bench/venvs.py):
  bench/.venvs/distilabel/bin/python bench/peers/distilabel_run.py --base-url URL/v1 --n 3000 --concurrency 256

Concurrency: distilabel's AsyncLLM sends every input of one batch at once
(asyncio.gather over the batch) and waits for the whole batch before the next, so
the step's `input_batch_size` is the number of requests in flight. The loader hands
batches of the same size, there is one replica of the step, and the cache is off.
Prints one JSON line: records, seconds (Pipeline.run wall time), settings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--prompts", required=True, help="JSON file: a list of prompt strings")
    args = ap.parse_args()

    os.environ.setdefault("DISTILABEL_LOG_LEVEL", "WARNING")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("DISTILABEL_CACHE_DIR", tempfile.mkdtemp(prefix="distilabel-cache-"))
    from distilabel.models.llms import OpenAILLM
    from distilabel.pipeline import Pipeline
    from distilabel.steps import LoadDataFromDicts
    from distilabel.steps.tasks import TextGeneration

    with open(args.prompts) as fh:
        prompts = json.load(fh)[: args.n]
    c = args.concurrency
    with Pipeline(name=f"bench-{c}", cache_dir=os.environ["DISTILABEL_CACHE_DIR"]) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": p} for p in prompts], batch_size=c)
        gen = TextGeneration(
            llm=OpenAILLM(model="fake-model", base_url=args.base_url, api_key="bench", max_retries=6, timeout=120,
                          generation_kwargs={"max_new_tokens": 1024, "temperature": 0.7}),
            input_batch_size=c, use_cache=False,
        )
        load >> gen
    start = time.perf_counter()
    distiset = pipeline.run(use_cache=False)
    elapsed = time.perf_counter() - start
    rows = distiset["default"]["train"]
    ok = sum(1 for g in rows["generation"] if g)
    print(json.dumps({"records": ok, "rows": len(rows), "seconds": elapsed,
                      "setting": f"TextGeneration(input_batch_size={c}) <- LoadDataFromDicts(batch_size={c}), "
                                 "1 replica, use_cache=False"}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
