# synthgen: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-slow test-all lint openapi bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# llama-cpp-python compiles from source the first time (~6 min); pip caches the wheel.
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Start the service on the embedded defaults (redis-server, a worker, SmolLM2) and run a sample job.
run: install
	$(VENV)/bin/synthgen serve --demo

## Fast suite: real Redis, real worker processes, fake OpenAI-compatible server on loopback.
test: install
	$(PY) -m pytest

## The gates CI runs before the tests: ruff (lint + import order) and mypy (service/).
lint: install
	$(VENV)/bin/ruff check service tests bench
	$(VENV)/bin/mypy

## Tests that run the embedded SmolLM2 model.
test-slow: install
	$(PY) -m pytest -m slow

test-all: test test-slow

## Regenerate openapi/openapi.json from the app (a test fails when it drifts).
openapi: install
	$(VENV)/bin/synthgen openapi --output openapi/openapi.json

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
