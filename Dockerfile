# syntax=docker/dockerfile:1
#
# DoxIn's image: one binary that runs `doxin serve` (the API, default), `doxin worker`,
# `doxin monitor` or `doxin migrate`, chosen by the container's command:
#
#   docker build -t doxin .
#   docker run --rm -p 8000:8000 doxin                     # serve (SQLite in /var/lib/doxin/data)
#   docker run --rm doxin worker                           # a worker (needs DATABASE_URL, REDIS_URL)
#   docker run --rm doxin migrate                          # apply migrations and exit
#
# Stages: `chef` (the toolchain + cargo-chef), `planner` (the dependency recipe),
# `builder` (dependencies in their own cached layer, then DoxIn), `runtime` (Debian slim with
# Tesseract and its English and German data, a non-root user). See docs/deployment.md.

ARG RUST_VERSION=1.95
ARG DEBIAN_SUITE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_SUITE} AS chef
# g++: tokenizers' esaxx-rs is C++; make and pkg-config for the other build scripts (ring,
# libsqlite3-sys build C). Versions follow the Debian suite, hence no pins (DL3008).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ make pkg-config \
    && rm -rf /var/lib/apt/lists/*
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# The dependency layer: rebuilt only when Cargo.toml / Cargo.lock change, not on every source edit.
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin doxin
COPY . .
RUN cargo build --release --locked --bin doxin \
    && install -m 0755 target/release/doxin /usr/local/bin/doxin

FROM debian:${DEBIAN_SUITE}-slim AS runtime
# tesseract-ocr + eng/deu: OCR of scans and photos (OCR_LANGUAGES=eng+deu; the libtesseract5 it
# brings is what OCR_ENGINE=library loads). No poppler: PDFs are read and rendered in Rust.
# curl: the health checks. tini: PID 1 that reaps orphaned OCR and sandbox children and forwards
# SIGTERM (doxin finishes or returns its jobs on SIGTERM).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates curl tini \
        tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 doxin \
    && useradd --system --uid 10001 --gid doxin --home-dir /var/lib/doxin --shell /usr/sbin/nologin doxin \
    && mkdir -p /var/lib/doxin/data \
    && chown -R doxin:doxin /var/lib/doxin
COPY --from=builder /usr/local/bin/doxin /usr/local/bin/doxin
COPY deploy/docker/doxin-require-tls /usr/local/bin/doxin-require-tls

ENV DATA_DIR=/var/lib/doxin/data \
    HOST=0.0.0.0 \
    PORT=8000 \
    LOG_FORMAT=json \
    OCR_LANGUAGES=eng+deu
WORKDIR /var/lib/doxin
USER 10001:10001
# 8000: API (serve); 5555: worker monitor (monitor); 9464: worker metrics (worker).
EXPOSE 8000 5555 9464
# For `serve`. Compose and Kubernetes set their own check for worker/monitor containers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/bin/sh", "-c", "curl -fsS \"http://127.0.0.1:${PORT}/api/health\" > /dev/null || exit 1"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/doxin"]
CMD ["serve"]
