# rnpc-radiomics runtime image. Mirrors `make setup` minus the dev/test extras.
# Smoke test: docker build -t rnpc-radiomics . && docker run --rm rnpc-radiomics rnpc --help
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    NUMBA_CACHE_DIR=/tmp/numba-cache

# libgomp1: numba's OpenMP threading layer, which may be entered from several threads at once,
# so extraction computes image types concurrently (without it numba falls back to its
# 'workqueue' layer and image types run one after another).
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/rnpc
COPY pyproject.toml README.md ./
COPY rnpc_radiomics ./rnpc_radiomics
COPY params ./params
RUN python -m pip install --upgrade pip && python -m pip install .

# Run as an unprivileged user; mount data at /data.
RUN useradd --create-home rnpc
USER rnpc
WORKDIR /data
ENTRYPOINT []
CMD ["rnpc", "--help"]
