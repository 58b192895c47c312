# The README names these targets; `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install lock lock-upgrade run test lint format serve-http serve-grpc protos screenshots clean

UV := $(BIN)/uv
UV_VERSION := $(shell sed -n 's/.*"uv==\([0-9.]*\)".*/\1/p' pyproject.toml)
# uv finds the project's venv and never downloads an interpreter of its own.
UV_ENV := UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON=$(BIN)/python UV_PYTHON_DOWNLOADS=never

$(UV):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"

# Exactly what uv.lock pins (packages it does not hold are removed); `--locked` fails when
# pyproject.toml changed without `make lock`. The PyPI distributions `entrypoints` and `adapters`
# would shadow this repo's packages: nothing in the lock pulls them in, and the check says so.
$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV_ENV) $(UV) sync --locked --extra dev
	$(BIN)/python -I -c 'import adapters, entrypoints; assert "site-packages" not in entrypoints.__file__ + adapters.__file__'
	touch $(STAMP)

lock: $(UV)  ## re-resolve uv.lock after editing pyproject.toml (keeps the pinned versions that still fit)
	$(UV_ENV) $(UV) lock

lock-upgrade: $(UV)  ## move every pin in uv.lock to the newest version pyproject.toml allows
	$(UV_ENV) $(UV) lock --upgrade

install: $(STAMP)

run: install  ## demo: embedded SQLite source, in-process cache, REST :8000 and gRPC :50051 in one process
	$(BIN)/python -m entrypoints.cli demo-data --if-absent
	$(BIN)/python -m entrypoints.cli serve

test: install  ## the whole suite (integration tests need MariaDB and Redis; under CI=true they must not skip)
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy domain application adapters tools entrypoints bench
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

serve-http: install  ## production REST server, configured only by the environment
	@# the head limits (entrypoints/http/head_limits.py): the app refuses past them with 431 and the
	@# error body; Granian's own buffer (twice the limit) stops anything far larger unread
	$(BIN)/granian --interface asgi --factory --workers 1 --http1-buffer-size 131072 \
		--host "$${REC_HTTP_HOST:-0.0.0.0}" --port "$${REC_HTTP_PORT:-8000}" \
		entrypoints.http.head_limits:create_limited_app_from_env

serve-grpc: install  ## production gRPC server (REC_GRPC_PORT), configured only by the environment
	$(BIN)/python -m entrypoints.cli serve-grpc

screenshots: install  ## the dashboard's pictures in docs/dashboard/, taken by its browser tests (needs chromium)
	REC_DASHBOARD_SCREENSHOTS=docs/dashboard $(BIN)/python -m pytest -q tests/e2e/test_dashboard_browser.py

protos: install  ## regenerate the committed gRPC modules from protos/*.proto (run from the repo root)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grpc_tools.protoc -I. --python_out=. \
		--grpc_python_out=. --mypy_out=. --mypy_grpc_out=. protos/*.proto

.PHONY: bench-quality bench-serve bench-serve-steps bench-train bench-train-10m bench-training-latency bench-seen-index bench-soak bench-replicas

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	@# the bench-only extra (implicit for the ALS baseline), locked too; without it the ALS row is skipped
	$(UV_ENV) $(UV) sync --locked --extra dev --extra bench || echo "bench extra not installed: the ALS row will be skipped"
	touch $(BENCH_STAMP)

bench-quality: $(BENCH_STAMP)  ## MovieLens 100k: popularity, ALS, the service's defaults and tuned (P@10, R@10, AUC)
	$(BIN)/python -m bench.quality

bench-serve: install  ## REST and gRPC throughput/latency vs bare ceilings and a naive floor (needs MariaDB, Redis, wrk)
	$(BIN)/python -m bench.serve

bench-serve-steps: install  ## CPU per request of a cache miss, whole and without each database read / the cache write (in-process)
	$(BIN)/python -m bench.serve_inprocess --without ';put;hot;seen;seen,hot;seen,hot,put' --rounds 2

bench-train: install  ## 1M synthetic interactions in MariaDB (database rec_bench), one timed training
	$(BIN)/python -m bench.train_scale --interactions 1000000

bench-train-10m: install  ## the same at 10M interactions (database rec_bench_10m; hours; EPOCHS=1 for a quick pass)
	$(BIN)/python -m bench.train_scale --interactions 10000000 --database rec_bench_10m $(if $(EPOCHS),--epochs $(EPOCHS))

bench-seen-index: install  ## the in-memory seen index at 1M and 10M synthetic pairs: build, bytes per pair, lookups
	$(BIN)/python -m bench.seen_index

SOAK_SECONDS ?= 1800
SOAK_WINDOW ?= 300
bench-soak: install  ## mixed valid + hostile REST/gRPC load on MariaDB + Redis, a training every 5 min: 5xx, RSS, p99 per window
	$(BIN)/python -m bench.soak --seconds $(SOAK_SECONDS) --window $(SOAK_WINDOW) --train-every $(SOAK_WINDOW)

bench-replicas: install  ## three replicas on MariaDB, Redis and S3 (moto): one trainer, SIGKILL takeover, activations under load, hot events, tune-workers
	$(BIN)/python -m bench.replicas

bench-training-latency: install  ## p50/p99 of recommendations with and without a training in the process
	$(BIN)/python -m bench.latency_during_training

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
