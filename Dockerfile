# syntax=docker/dockerfile:1.7
# kiln's image: the kiln binary, the built-in plugins and their compiled
# form, on a small runtime image that runs as uid 10001.
#
#   docker build -t kiln .
#   docker run --rm -p 8080:8080 kiln      # kiln serve on SQLite and local files in /var/lib/kiln
#
# The same image runs every role: `serve` (the default), `worker`,
# `run-job ID`, `migrate`, `keys create ...`.

# --- build: the plugins (wasm32-wasip2), then the host ------------------------
FROM rust:1.95-slim-bookworm AS build
RUN rustup target add wasm32-wasip2
WORKDIR /src
COPY . .

# Cargo features of the kiln crate beyond its defaults (the S3 store is a
# default one). `kubernetes` is the executor k8s/ runs the workers with
# (KILN_EXECUTOR=kubernetes); build with --build-arg KILN_FEATURES= to leave
# it out.
ARG KILN_FEATURES="kubernetes"

# The registry and target directories are cache mounts: they survive between
# builds (a rebuild compiles only what changed) but are not part of any
# layer, so the results are copied out in the same step. Plugins go where
# scripts/build-plugins puts them (target/release/plugins); the host in the
# dist profile (release code, no debug info).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git/db \
    --mount=type=cache,target=/src/target,sharing=locked \
    scripts/build-plugins \
 && cargo build --locked --profile dist -p kiln --bin kiln ${KILN_FEATURES:+--features "$KILN_FEATURES"} \
 && mkdir -p /out/plugins \
 && cp target/dist/kiln /out/kiln \
 && cp target/release/plugins/*.wasm /out/plugins/ \
 && cp target/release/previewer.wasm /out/previewer.wasm

# Compile every plugin into the compile cache now, so no process of this
# image compiles on start (compiling a plugin takes seconds; loading it from
# the cache, milliseconds). `kiln plugin check` loads through the cache and
# also runs each plugin's examples, so a broken plugin fails the build.
#
# Compiled code is specific to the CPU features of the machine that compiled
# it. On a node whose CPU differs, kiln compiles there once, into a writable
# cache: the Kubernetes manifests copy this one to a volume for that reason.
RUN mkdir -p /out/cache \
 && for plugin in /out/plugins/*.wasm; do \
      /out/kiln --cache-dir /out/cache/kiln plugin check "$plugin" || exit 1; \
    done

# --- runtime ------------------------------------------------------------------
# Debian slim rather than distroless: the health check and the Kubernetes
# init container that copies the compile cache need a shell and cp.
FROM debian:bookworm-slim
# ca-certificates: S3 and webhooks over TLS. No curl: the health check speaks
# HTTP through bash.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 kiln \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/kiln --create-home --shell /usr/sbin/nologin kiln

COPY --from=build /out/kiln /usr/local/bin/kiln
COPY --from=build /out/plugins /usr/lib/kiln/plugins
# Previews: the previewer renders PDFs' first pages in the sandbox. The
# image has no LibreOffice, so other formats get no preview here (the
# endpoint says so); an image FROM this one that adds it gets them all.
COPY --from=build /out/previewer.wasm /usr/lib/kiln/previewer.wasm
# kiln loads compiled code only from a cache directory that its own user
# owns and nobody else can write (mode 0700). Copying the parent keeps the
# directory's mode; --chown makes uid 10001 its owner.
COPY --from=build --chown=10001:10001 /out/cache/ /var/cache/

ENV KILN_PLUGIN_DIR=/usr/lib/kiln/plugins \
    KILN_PREVIEWER=/usr/lib/kiln/previewer.wasm \
    KILN_CACHE_DIR=/var/cache/kiln \
    KILN_DATA_DIR=/var/lib/kiln \
    KILN_LISTEN=0.0.0.0:8080 \
    KILN_LOG=info \
    KILN_LOG_FORMAT=json

USER 10001:10001
WORKDIR /var/lib/kiln

# Fail the build unless kiln, as its runtime user, finds the compiled
# plugins in the cache (the smallest one is enough to prove it).
RUN kiln plugin check /usr/lib/kiln/plugins/cloudformation.wasm | grep -q 'from the compile cache'

EXPOSE 8080
# GET /healthz over bash's /dev/tcp, on the port of KILN_LISTEN. Only
# `kiln serve` answers HTTP: run other roles with the health check disabled
# (docker run --no-healthcheck; docker-compose.yaml does). Kubernetes ignores
# it and uses the probes of k8s/.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${KILN_LISTEN##*:} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && read -r status <&3 && [[ $status == HTTP/1.?' 200'* ]]"]

ENTRYPOINT ["kiln"]
CMD ["serve"]
