# syntax=docker/dockerfile:1.7
# kiln's container image: the `kiln` binary, the built-in plugins and their
# compiled form, on a small non-root runtime image.
#
#   docker build -t kiln .
#   docker run -p 8080:8080 kiln            # kiln serve on SQLite and local files in /var/lib/kiln

# --- build: plugins for wasm32-wasip2, then the host --------------------------
FROM rust:1.95-slim-bookworm AS build
RUN rustup target add wasm32-wasip2
WORKDIR /src
COPY . .
# The registry and target caches survive between builds; the results are
# copied out of the cache mount, which is not part of the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    scripts/build-plugins \
 && cargo build --locked --profile dist --bin kiln \
 && mkdir -p /out/plugins \
 && cp target/dist/kiln /out/kiln \
 && cp target/release/plugins/*.wasm /out/plugins/

# Compile every plugin once into the image's cache, so the first job does
# not wait for compilation. `kiln plugin check` also runs each plugin's
# examples, so a broken plugin fails the build.
RUN for plugin in /out/plugins/*.wasm; do \
      /out/kiln --cache-dir /out/cache plugin check "$plugin" || exit 1; \
    done

# --- runtime ------------------------------------------------------------------
FROM debian:bookworm-slim
# ca-certificates for S3 and webhooks over TLS; curl for the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/kiln --create-home kiln
COPY --from=build /out/kiln /usr/local/bin/kiln
COPY --from=build /out/plugins /usr/lib/kiln/plugins
COPY --from=build --chown=10001:10001 /out/cache /var/cache/kiln
ENV KILN_PLUGIN_DIR=/usr/lib/kiln/plugins \
    KILN_CACHE_DIR=/var/cache/kiln \
    KILN_DATA_DIR=/var/lib/kiln \
    KILN_LISTEN=0.0.0.0:8080 \
    KILN_LOG=info \
    KILN_LOG_FORMAT=json
USER 10001:10001
WORKDIR /var/lib/kiln
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["kiln"]
CMD ["serve"]
