# SyncBit container image.
#   docker build -t syncbit:0.1.0 .
#   docker run --rm -it --env-file .env -v "$PWD/data:/app/data" -p 8080:8080 syncbit:0.1.0 --authorize --listen-all
#   docker run -d --name syncbit --env-file .env -v "$PWD/data:/app/data" -p 9877:9877 syncbit:0.1.0
# The data directory must be writable by uid 10001 (e.g. sudo chown 10001:10001 data).
# No secret is baked in: credentials come from the environment, tokens from the volume.

# ---- build: the same Debian packages as tests/deps.sh (build part), then make
FROM debian:12 AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential pkg-config libcurl4-openssl-dev libcjson-dev \
      libmicrohttpd-dev libprotobuf-c-dev protobuf-c-compiler libsnappy-dev \
      libxml2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY proto/ proto/
COPY exporter/ exporter/
RUN make -j"$(nproc)" \
 && make install DESTDIR=/out \
 && strip /out/usr/local/bin/syncbit \
 && /out/usr/local/bin/syncbit --version

# ---- runtime: shared libraries only, non-root
FROM debian:12-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libcurl4 libcjson1 libmicrohttpd12 libprotobuf-c1 libsnappy1v5 libxml2 \
      ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 syncbit \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin syncbit \
 && mkdir -p /app/data \
 && chown 10001:10001 /app/data \
 && chmod 0700 /app/data
COPY --from=build /out/usr/local/bin/syncbit /usr/local/bin/syncbit
LABEL org.opencontainers.image.title="syncbit" \
      org.opencontainers.image.description="Fitbit data to VictoriaMetrics (scrape + remote write)" \
      org.opencontainers.image.licenses="MIT"
WORKDIR /app
ENV DATA_DIR=/app/data \
    LISTEN_ADDRESS=0.0.0.0:9877
USER 10001:10001
VOLUME /app/data
# 9877: /metrics /healthz /readyz; 8080: OAuth callback of --authorize (--listen-all)
EXPOSE 9877 8080
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/syncbit", "--healthcheck"]
ENTRYPOINT ["/usr/local/bin/syncbit"]
