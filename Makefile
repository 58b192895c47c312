# The README names these targets; `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format serve-http serve-grpc protos clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# the PyPI distributions `entrypoints` and `adapters` would shadow this repo's packages
	$(BIN)/python -m pip uninstall --quiet --yes entrypoints adapters 2>/dev/null || true
	touch $(STAMP)

install: $(STAMP)

run: install  ## demo: embedded SQLite source, in-process cache, REST :8000 and gRPC :50051 in one process
	$(BIN)/python -m entrypoints.cli demo-data --if-absent
	$(BIN)/python -m entrypoints.cli serve

test: install  ## the whole suite (integration tests need MariaDB and Redis; under CI=true they must not skip)
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy domain application adapters entrypoints bench
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

serve-http: install  ## production REST server, configured only by the environment
	$(BIN)/granian --interface asgi --factory --workers 1 \
		--host "$${REC_HTTP_HOST:-0.0.0.0}" --port "$${REC_HTTP_PORT:-8000}" \
		entrypoints.http.app:create_app_from_env

serve-grpc: install  ## production gRPC server (REC_GRPC_PORT), configured only by the environment
	$(BIN)/python -m entrypoints.cli serve-grpc

protos: install  ## regenerate the committed gRPC modules from protos/*.proto (run from the repo root)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grpc_tools.protoc -I. --python_out=. \
		--grpc_python_out=. --mypy_out=. --mypy_grpc_out=. protos/*.proto

.PHONY: bench-quality bench-serve bench-serve-steps bench-train bench-train-10m bench-training-latency bench-seen-index

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	@# the bench-only extra (implicit for the ALS baseline); without it the ALS row is skipped with a note
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]' || echo "bench extra not installed: the ALS row will be skipped"
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

bench-training-latency: install  ## p50/p99 of recommendations with and without a training in the process
	$(BIN)/python -m bench.latency_during_training

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
