"""The Dockerfile, checked without a docker engine and, by default, without its release build
(5-11 minutes cold on two cores, which the test command cannot spend on every run).

Every run checks, in about a second, that the image is built the way the tests build:
- the build stage runs exactly `cargo build --release --locked --bin kedars` on the whole build
  context, with a pinned Rust no older than the workspace's `rust-version` and of the same minor
  version as the rustc the test suite builds with;
- the build context (the tree filtered by .dockerignore, as `docker build .` sends it) holds
  every input of that build: cargo loads the workspace from it with Cargo.lock as it is
  (`cargo metadata --locked`), and every file cargo's dep-info lists for the last build of the
  `kedars` binary (sources of both crates, build.rs, proto/) is in it;
- that binary needs no shared library the distroless runtime image lacks (`ldd`; the release
  profile links the same crates with the same features, hence the same libraries);
- the runtime stage runs as the UID/GID the chart's pods demand, and its entrypoint is the
  binary, whose subcommand and flags the chart's containers give as `args` (no `command`).

KEDARS_TEST_DOCKER_BUILD=1 also runs the Dockerfile's build command itself on a copy of the build
context and checks the binary it makes (later runs reuse target/docker-build/):

    KEDARS_TEST_DOCKER_BUILD=1 target/test-venv/bin/python -m pytest tests/chart/test_dockerfile.py
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

import render

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
TARGET_DIR = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
CONTEXT = ROOT / "target" / "docker-context"
DOCKER_TARGET = ROOT / "target" / "docker-build"
BUILD_COMMAND = ["cargo", "build", "--release", "--locked", "--bin", "kedars"]
# Where the build stage leaves the binary, and where the runtime stage runs it from.
BUILT = "/out/kedars"
ENTRYPOINT = "/usr/local/bin/kedars"
# What gcr.io/distroless/cc-debian12 provides: glibc and libgcc (no OpenSSL, no libstdc++ needed).
RUNTIME_LIBRARIES = {
    "linux-vdso.so.1", "libc.so.6", "libm.so.6", "libgcc_s.so.1", "libpthread.so.0",
    "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2",
}
SUBCOMMANDS = {"operator", "metrics-server"}


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            word, _, rest = current.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            current = ""
    return out


def stages() -> list[list[tuple[str, str]]]:
    """The instructions of each stage, its FROM first."""
    out: list[list[tuple[str, str]]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            out.append([])
        if out:
            out[-1].append(instruction)
    return out


def build_commands() -> list[list[str]]:
    """Every `cargo ...` command the RUN instructions execute."""
    commands = []
    for word, rest in instructions():
        if word != "RUN":
            continue
        rest = re.sub(r"--mount=\S+\s*", "", rest)
        for part in rest.split("&&"):
            tokens = part.split()
            if tokens and tokens[0] == "cargo":
                commands.append(tokens)
    return commands


def cargo_env() -> dict[str, str]:
    """The environment without the test command's CARGO_* settings: the image's build has none."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CARGO_") or k == "CARGO_HOME"}


def test_the_build_runs_exactly_one_locked_release_build_of_kedars():
    assert build_commands() == [BUILD_COMMAND]
    build = stages()[0]
    assert build[0][1].endswith(" AS build"), build[0]
    # The whole context is compiled, from its root, and the binary leaves the stage at BUILT.
    assert ("WORKDIR", "/src") in build
    assert ("COPY", ". .") in build
    (run,) = [rest for word, rest in build if word == "RUN"]
    assert f"install -D -m 0755 target/release/kedars {BUILT}" in run


def minor(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:2])


def test_the_pinned_rust_is_the_toolchain_this_test_suite_builds_with():
    (arg,) = [rest for word, rest in instructions() if word == "ARG" and rest.startswith("RUST_VERSION=")]
    pinned = arg.split("=", 1)[1]
    assert re.fullmatch(r"\d+\.\d+", pinned), f"pin a minor version, not {pinned!r}"
    workspace = tomllib.loads((ROOT / "Cargo.toml").read_text())
    minimum = workspace["workspace"]["package"]["rust-version"]
    assert minor(pinned) >= minor(minimum), f"Rust {pinned} < rust-version {minimum}"
    version = subprocess.run(["rustc", "--version"], capture_output=True, text=True, check=True).stdout
    assert version.split()[1].startswith(pinned + "."), (
        f"Dockerfile pins Rust {pinned}, this machine builds with {version.strip()}: bump RUST_VERSION"
    )


def test_the_runtime_image_runs_kedars_as_the_user_the_chart_demands():
    build, runtime = stages()[0], stages()[-1]
    assert re.fullmatch(r"docker\.io/library/rust:\$\{RUST_VERSION\}-slim-bookworm AS build", build[0][1])
    # glibc of the same Debian release as the build stage's.
    assert runtime[0] == ("FROM", "gcr.io/distroless/cc-debian12:nonroot")
    assert ("COPY", f"--from=build {BUILT} {ENTRYPOINT}") in runtime
    assert ("ENTRYPOINT", json.dumps([ENTRYPOINT])) in runtime
    (user,) = [rest for word, rest in runtime if word == "USER"]
    for variant in ("default", "all-in-one"):
        docs = render.documents(render.render(render.variants()[variant]))
        deployments = [d for _, d in docs if d["kind"] == "Deployment"]
        assert deployments
        for deployment in deployments:
            pod = deployment["spec"]["template"]["spec"]
            assert user == f"{pod['securityContext']['runAsUser']}:{pod['securityContext']['runAsGroup']}"
            (c,) = pod["containers"]
            # The image's ENTRYPOINT runs: the chart gives the subcommand and flags only.
            assert "command" not in c, (variant, c["name"])
            assert c["args"][0] in SUBCOMMANDS, (variant, c["args"])


def ignore_patterns() -> list[str]:
    patterns = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            assert not line.startswith("!"), "exceptions are not supported by this test"
            patterns.append(line.rstrip("/"))
    return patterns


def ignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule: a pattern matches the path or one of its parent directories."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatchcase(p, pattern[3:]) for p in parts):
                return True
        elif any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
            return True
    return False


def stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size


def make_context() -> None:
    """The build context as `docker build .` sends it, kept in step in place: only changed files
    are copied (mtimes kept, so the opt-in build is incremental) and files no longer sent are
    removed, so that a run never pulls the tree from under another's build."""
    patterns = ignore_patterns()
    wanted = set()
    for directory, dirs, files in os.walk(ROOT):
        relative_dir = os.path.relpath(directory, ROOT)
        relative_dir = "" if relative_dir == "." else relative_dir + "/"
        dirs[:] = [d for d in dirs if not ignored(relative_dir + d, patterns)]
        for name in files:
            relative = relative_dir + name
            if ignored(relative, patterns):
                continue
            wanted.add(relative)
            source, copy = ROOT / relative, CONTEXT / relative
            if not copy.exists() or stamp(copy) != stamp(source):
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy)
    for directory, _, files in os.walk(CONTEXT):
        for name in files:
            path = Path(directory) / name
            if path.relative_to(CONTEXT).as_posix() not in wanted:
                path.unlink()
    assert not (CONTEXT / "target").exists() and not (CONTEXT / ".git").exists()


@pytest.fixture(scope="module")
def context() -> Path:
    make_context()
    return CONTEXT


def dep_info_paths(dep_info: Path) -> list[Path]:
    """The files a cargo dep-info file (`target: dep dep ...`, spaces escaped) lists."""
    _, _, deps = dep_info.read_text().partition(": ")
    return [Path(p.replace("\\ ", " ")) for p in re.split(r"(?<!\\)\s+", deps.strip()) if p]


def test_the_build_context_holds_every_input_of_the_build(context):
    host = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    (triple,) = [line.split()[1] for line in host.splitlines() if line.startswith("host:")]
    # The workspace loads from the context alone, and Cargo.lock needs no change (`--locked`).
    result = subprocess.run(
        ["cargo", "metadata", "--locked", "--format-version", "1", "--filter-platform", triple],
        cwd=context, env=cargo_env(), capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    packages = {p["name"] for p in json.loads(result.stdout)["packages"]}
    assert "kedars" in packages
    # Every file the compiler and the build script read for the binary (cargo's dep-info, which
    # only `cargo build` writes: `cargo test` builds the binary but leaves no kedars.d; after the
    # test command's `cargo test` this build only records it) is sent to the build.
    subprocess.run(["cargo", "build", "--locked", "--bin", "kedars", "--quiet"],
                   cwd=ROOT, check=True)
    dep_info = TARGET_DIR / "debug" / "kedars.d"
    assert dep_info.exists(), f"no {dep_info} after cargo build"
    sources = [
        p.relative_to(ROOT).as_posix() for p in dep_info_paths(dep_info)
        if p.is_relative_to(ROOT) and not p.is_relative_to(TARGET_DIR)
    ]
    assert {"build.rs", "src/main.rs", "proto/metrics_feed.proto"} <= set(sources), sources
    assert any(s.startswith("scalers/src/") for s in sources), sources
    missing = [s for s in sources if not (context / s).is_file()]
    assert not missing, f"the build reads files .dockerignore leaves out: {missing}"


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="RUNTIME_LIBRARIES are x86_64 names")
def test_the_binary_needs_nothing_the_runtime_image_lacks():
    binary = TARGET_DIR / "debug" / "kedars"
    assert binary.exists(), f"no {binary}: build first (cargo build --locked --bin kedars)"
    assert_runs_in_the_runtime_image(binary)


def assert_runs_in_the_runtime_image(binary: Path) -> None:
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("kedars "), version.stdout
    linked = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libraries = {Path(line.split()[0]).name for line in linked.splitlines() if line.strip()}
    assert libraries <= RUNTIME_LIBRARIES, f"not in the runtime image: {libraries - RUNTIME_LIBRARIES}"


@pytest.mark.skipif(not os.environ.get("KEDARS_TEST_DOCKER_BUILD"),
                    reason="the release build takes minutes: set KEDARS_TEST_DOCKER_BUILD=1")
@pytest.mark.skipif(os.uname().machine != "x86_64", reason="RUNTIME_LIBRARIES are x86_64 names")
def test_the_dockerfile_build_makes_a_binary_the_runtime_image_can_run(context):
    env = cargo_env()
    env["CARGO_TARGET_DIR"] = str(DOCKER_TARGET)
    (command,) = build_commands()
    subprocess.run(command, cwd=context, env=env, check=True)
    assert_runs_in_the_runtime_image(DOCKER_TARGET / "release" / "kedars")
