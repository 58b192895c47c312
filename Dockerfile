# syntax=docker/dockerfile:1
# Multi-stage: the builder compiles every wheel at the versions of uv.lock (lightfm-next ships only
# an sdist and needs a C compiler); the runtime stage installs those wheels offline and runs as a
# non-root user. The dependency layer is built before the source is copied, so a code change
# rebuilds only the project's own wheel.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
# The locked versions (uv.lock, as `make install` uses them), runtime dependencies only: uv exports
# them as a requirements file, pip builds every wheel from it, then the project's own wheel alone.
RUN UV_VERSION="$(sed -n 's/.*"uv==\([0-9.]*\)".*/\1/p' pyproject.toml)" \
    && pip install --no-cache-dir "uv==${UV_VERSION}" \
    && uv export --frozen --no-dev --no-emit-project --no-hashes --format requirements-txt \
        --output-file /src/requirements.txt \
    && pip wheel --no-cache-dir --wheel-dir /wheels -r /src/requirements.txt
COPY domain ./domain
COPY application ./application
COPY adapters ./adapters
COPY tools ./tools
COPY entrypoints ./entrypoints
COPY protos ./protos
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . && cp /src/requirements.txt /wheels/

FROM ${PYTHON_IMAGE} AS runtime
RUN useradd --system --uid 10001 --create-home --home-dir /home/rec --shell /usr/sbin/nologin rec
COPY --from=builder /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels -r /wheels/requirements.txt \
    && pip install --no-cache-dir --no-index --no-deps --find-links=/wheels lightfm-recommender \
    # the PyPI distributions `entrypoints` and `adapters` would shadow the service's packages
    && (pip uninstall --yes entrypoints adapters 2>/dev/null || true) \
    && rm -rf /wheels
ENV PYTHONUNBUFFERED=1 \
    REC_LOG_FORMAT=json \
    REC_DATA_DIR=/var/lib/rec \
    REC_HTTP_HOST=0.0.0.0 \
    REC_HTTP_PORT=8000 \
    REC_GRPC_PORT=50051
RUN mkdir -p /var/lib/rec && chown rec:rec /var/lib/rec
USER rec
WORKDIR /home/rec
VOLUME ["/var/lib/rec"]
EXPOSE 8000 50051
# Liveness: the event loop answers (no dependency checked; readiness is /health/ready).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=2)"]
CMD ["rec-service", "serve"]
