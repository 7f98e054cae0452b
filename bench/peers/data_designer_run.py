"""NeMo Data Designer peer: one LLM text column over the prompts, against the fake provider.

Run with the data-designer venv's python (made by bench/venvs.py):
  bench/.venvs/data-designer/bin/python bench/peers/data_designer_run.py --base-url URL/v1 --n 3000 --concurrency 256 --prompts FILE

The prompts are the seed dataset (a DataFrame, ordered sampling); the column's prompt
template is just `{{ prompt }}`. Concurrency: the model's inference parameter
`max_parallel_requests` (Data Designer's cap on in-flight requests per model), with
the AIMD admission controller at its defaults (no startup ramp; it only backs off on
429s, which the fake server does not send). Prints one JSON line: records, seconds
(DataDesigner.create wall time, profiling included), settings.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--prompts", required=True, help="JSON file: a list of prompt strings")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import data_designer.config as dd
    import pandas as pd
    from data_designer.interface import DataDesigner

    with open(args.prompts) as fh:
        prompts = json.load(fh)[: args.n]
    c = args.concurrency
    provider = dd.ModelProvider(name="fake", endpoint=args.base_url, provider_type="openai", api_key="bench")
    model = dd.ModelConfig(
        alias="fake", model="fake-model", provider="fake", skip_health_check=True,
        inference_parameters=dd.ChatCompletionInferenceParams(
            temperature=0.7, max_tokens=1024, max_parallel_requests=c, timeout=120),
    )
    builder = dd.DataDesignerConfigBuilder(model_configs=[model])
    builder.with_seed_dataset(dd.DataFrameSeedSource(df=pd.DataFrame({"prompt": prompts})))
    builder.add_column(dd.LLMTextColumnConfig(name="response", prompt="{{ prompt }}", model_alias="fake"))
    out = tempfile.mkdtemp(prefix="dd-bench-")
    designer = DataDesigner(artifact_path=out, model_providers=[provider])
    designer.set_run_config(dd.RunConfig(otel_metrics_port=None, progress_interval=60.0))
    logging.getLogger().setLevel(logging.WARNING)
    start = time.perf_counter()
    results = designer.create(builder, num_records=len(prompts), dataset_name="bench")
    elapsed = time.perf_counter() - start
    df = results.load_dataset()
    ok = int(df["response"].astype(bool).sum()) if "response" in df else 0
    print(json.dumps({"records": ok, "rows": len(df), "seconds": elapsed,
                      "setting": f"ChatCompletionInferenceParams(max_parallel_requests={c}), "
                                 "RunConfig defaults (buffer_size 1000, 3 row groups in flight)"}), flush=True)


if __name__ == "__main__":
    main()
