# rnpc-radiomics runtime image. Mirrors `make setup` minus the dev/test extras.
# Smoke test: docker build -t rnpc-radiomics . && docker run --rm rnpc-radiomics rnpc --help
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    NUMBA_CACHE_DIR=/tmp/numba-cache

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
