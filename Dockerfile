# plumb in a container: for scheduled jobs (deploy/cronjob.yaml runs it nightly) and as the
# GitHub Action (action.yml).
#
#   docker build --target runtime -t plumb .      the image for jobs: runs as uid 10001
#   docker run --rm -v "$PWD:/data" plumb scan /data/infra --store
#
# Three stages: the first compiles plumb (SQLite, zstd and mimalloc are compiled in from source,
# so the binary needs only the C library); `runtime` holds that binary, CA certificates for the
# cloud APIs, and an unprivileged user; `github-action`, the last and so what a plain
# `docker build .` and GitHub's runner build, adds the action's entry point and runs as root,
# which GitHub requires of container actions (the workspace and the step's output files belong
# to the runner's user). The toolchain stays behind.
#
# The build context leaves .git out (.dockerignore), so `plumb --version` names the commit only
# when it is passed: `--build-arg PLUMB_GIT_COMMIT=$(git rev-parse HEAD)`; else "unknown".

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=trixie

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
ARG PLUMB_GIT_COMMIT
ARG SOURCE_DATE_EPOCH
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin plumb \
 && strip target/release/plumb \
 && ./target/release/plumb --version

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
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

FROM runtime AS github-action
COPY scripts/github-action /usr/local/bin/plumb-action
# hadolint ignore=DL3002
USER root
