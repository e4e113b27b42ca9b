"""The Dockerfile, without a docker engine: its build command is run on a copy of the build
context (the tree filtered by .dockerignore), and the binary it makes must need nothing the
distroless runtime image lacks. The image's user is the one the chart runs as.

The release build takes minutes the first time; later runs reuse target/docker-build/.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
CONTEXT = ROOT / "target" / "docker-context"
TARGET = ROOT / "target" / "docker-build"
BUILD_COMMAND = ["cargo", "build", "--release", "--locked", "--bin", "kedars"]
# What gcr.io/distroless/cc-debian12 provides: glibc and libgcc (no OpenSSL, no libstdc++ needed).
RUNTIME_LIBRARIES = {
    "linux-vdso.so.1", "libc.so.6", "libm.so.6", "libgcc_s.so.1", "libpthread.so.0",
    "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2",
}


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


def test_the_build_runs_exactly_one_locked_release_build_of_kedars():
    assert build_commands() == [BUILD_COMMAND]


def test_runtime_stage_is_distroless_nonroot_as_the_chart_expects():
    stages = [rest for word, rest in instructions() if word == "FROM"]
    assert re.match(r"docker\.io/library/rust:\$\{RUST_VERSION\}-slim-bookworm AS build", stages[0])
    assert stages[-1] == "gcr.io/distroless/cc-debian12:nonroot"
    final = instructions()[[i for i, (w, _) in enumerate(instructions()) if w == "FROM"][-1]:]
    user = [rest for word, rest in final if word == "USER"]
    values = yaml.safe_load((ROOT / "charts" / "kedars" / "values.yaml").read_text())
    pod = values["podSecurityContext"]
    assert user == [f"{pod['runAsUser']}:{pod['runAsGroup']}"]
    assert ("ENTRYPOINT", '["/usr/local/bin/kedars"]') in final
    assert ("COPY", "--from=build /out/kedars /usr/local/bin/kedars") in final


def test_the_pinned_rust_is_the_toolchain_this_test_builds_with():
    (arg,) = [rest for word, rest in instructions() if word == "ARG" and rest.startswith("RUST_VERSION=")]
    pinned = arg.split("=", 1)[1]
    version = subprocess.run(["rustc", "--version"], capture_output=True, text=True, check=True).stdout
    assert version.split()[1].startswith(pinned + "."), (
        f"Dockerfile pins Rust {pinned}, this machine builds with {version.strip()}: bump RUST_VERSION"
    )


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


def make_context() -> None:
    """The build context as `docker build .` sends it (mtimes kept, so rebuilds are incremental)."""
    patterns = ignore_patterns()
    if CONTEXT.exists():
        shutil.rmtree(CONTEXT)
    for directory, dirs, files in os.walk(ROOT):
        relative_dir = os.path.relpath(directory, ROOT)
        relative_dir = "" if relative_dir == "." else relative_dir + "/"
        dirs[:] = [d for d in dirs if not ignored(relative_dir + d, patterns)]
        for name in files:
            relative = relative_dir + name
            if not ignored(relative, patterns):
                (CONTEXT / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / relative, CONTEXT / relative)


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="RUNTIME_LIBRARIES are x86_64 names")
def test_the_dockerfile_build_makes_a_binary_the_runtime_image_can_run():
    make_context()
    assert not (CONTEXT / "target").exists() and not (CONTEXT / ".git").exists()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARGO_") or k == "CARGO_HOME"}
    env["CARGO_TARGET_DIR"] = str(TARGET)
    (command,) = build_commands()
    subprocess.run(command, cwd=CONTEXT, env=env, check=True)
    binary = TARGET / "release" / "kedars"
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("kedars "), version.stdout
    linked = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libraries = {Path(line.split()[0]).name for line in linked.splitlines() if line.strip()}
    assert libraries <= RUNTIME_LIBRARIES, f"not in the runtime image: {libraries - RUNTIME_LIBRARIES}"
