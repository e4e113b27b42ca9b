# syntax=docker/dockerfile:1
# The kedars image: one static-ish binary (`kedars operator`, `kedars metrics-server`, ...) on a
# distroless base with glibc, running as the unprivileged user 65532.
#   docker build -t kedars .
# tests/chart/test_dockerfile.py runs this file's `cargo build` command and checks the binary it
# makes needs nothing the runtime image lacks.

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
