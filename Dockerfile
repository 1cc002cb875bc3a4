# plumb in a container, for scheduled jobs (deploy/cronjob.yaml runs it nightly).
#
#   docker build -t plumb .
#   docker run --rm -v "$PWD:/data" plumb scan /data/infra --store
#
# Two stages: the first compiles plumb (SQLite, zstd and mimalloc are compiled in from source,
# so the binary needs only the C library); the second holds that binary, CA certificates for
# the cloud APIs, and an unprivileged user. The toolchain stays behind.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=trixie

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin plumb \
 && strip target/release/plumb \
 && ./target/release/plumb --version

FROM debian:${DEBIAN_RELEASE}-slim
# CA certificates should be the newest the release has; a pinned version would stop building
# when the archive moves on.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --create-home plumb
COPY --from=build /src/target/release/plumb /usr/local/bin/plumb
USER 10001:10001
# The working directory holds plumb.yaml, .plumbignore and the store (.plumb/plumb.db): mount
# a volume here to keep history between runs.
WORKDIR /data
ENTRYPOINT ["/usr/local/bin/plumb"]
CMD ["--help"]
