# syntax=docker/dockerfile:1
# One image for every role: `alertfleet ingest` (default), `alertfleet worker`, `alertfleet flower`.
# Build: docker build -t alertfleet:0.1.0 .

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# --- build: wheels for alertfleet and every pinned dependency (compilers stay in this stage) ---
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY alertfleet ./alertfleet
COPY ingest ./ingest
COPY workers ./workers
COPY integrations ./integrations
RUN python -m venv /opt/alertfleet \
 && /opt/alertfleet/bin/pip install --no-compile . \
 && /opt/alertfleet/bin/python -m compileall -q /opt/alertfleet/lib

# --- runtime: the venv only, a non-root user, nothing fetched at run time ---
FROM ${PYTHON_IMAGE}
ARG UID=10001
LABEL org.opencontainers.image.title="alertfleet" \
      org.opencontainers.image.description="Alert investigation fleet: ingest, Celery workers, Flower" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid "${UID}" alertfleet \
 && useradd --system --uid "${UID}" --gid alertfleet --home-dir /app --shell /usr/sbin/nologin alertfleet
COPY --from=build /opt/alertfleet /opt/alertfleet
# LITELLM_LOCAL_MODEL_COST_MAP: litellm would otherwise download its price list at import time.
ENV PATH=/opt/alertfleet/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    TMPDIR=/tmp \
    XDG_CACHE_HOME=/tmp/.cache
WORKDIR /app
USER ${UID}:${UID}
EXPOSE 8080 5555
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["python", "-m", "alertfleet.healthcheck"]
ENTRYPOINT ["alertfleet"]
CMD ["ingest"]
