# syntax=docker/dockerfile:1
# The kedars image: one static-ish binary (`kedars operator`, `kedars metrics-server`, ...) on a
# distroless base with glibc, running as the unprivileged user 65532.
#   docker build -t ghcr.io/kedars/kedars:0.1.0 .   (publishing it: charts/kedars/README.md)
# tests/chart/test_dockerfile.py checks on every test run that this build is the one the tests
# make (same command, toolchain, inputs and libraries) and that the chart runs the image as it
# expects; with KEDARS_TEST_DOCKER_BUILD=1 it also runs the `cargo build` below.

ARG RUST_VERSION=1.95

FROM docker.io/library/rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY . .
# The registry and target caches survive between builds; the binary is copied out of the cache.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin kedars \
    && install -D -m 0755 target/release/kedars /out/kedars

# glibc, libgcc and CA certificates, no shell, no package manager; `nonroot` is UID/GID 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/kedars /usr/local/bin/kedars
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/kedars"]
