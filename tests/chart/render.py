"""Renders charts/kedars with Helm's own engine (helm-python-sdk, no helm binary).

Used by the pytest tests here and, as a command, by the Rust tests tests/chart_*.rs:

    python3 tests/chart/render.py OUT_DIR [--only VARIANT] [--extra-values FILE.json]
                                          [--kubeconfig FILE [--upgrade]]

writes OUT_DIR/<variant>.yaml for every values file in tests/chart/values/ (or only one): the
chart's CRDs and every rendered template as one YAML stream, each document preceded by a
`# Source: <path>` comment, as `helm template` prints them, and OUT_DIR/<variant>.values.json,
the values the templates saw (the chart's defaults merged with the variant's). --extra-values
merges a JSON object over each variant's values (the Rust tests pick free ports this way).
--kubeconfig renders as `helm install` (or, with --upgrade, `helm upgrade`) would against that
cluster: `lookup` reads live objects.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

# How Helm splits a template's output into documents: a line holding only `---`.
DOCUMENT_SEPARATOR = re.compile(r"^---[ \t]*$", re.MULTILINE)

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kedars"
VALUES_DIR = Path(__file__).resolve().parent / "values"
RELEASE = "kedars"
NAMESPACE = "keda"


def helm():
    try:
        import helm_python
    except ImportError as e:  # pragma: no cover - the message is the point
        raise SystemExit(
            f"helm-python-sdk is missing ({e}): pip install -r tests/chart/requirements.txt"
        ) from e
    return helm_python


def variants() -> dict[str, dict[str, Any]]:
    """Every values file under tests/chart/values/, by name."""
    out = {}
    for path in sorted(VALUES_DIR.glob("*.yaml")):
        out[path.stem] = yaml.safe_load(path.read_text()) or {}
    return out


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def render(values: dict[str, Any], *, config=None, is_upgrade: bool = False) -> dict[str, str]:
    """Template path -> rendered text (NOTES.txt included), offline unless `config` is given."""
    h = helm()
    with h.Chart.load(CHART) as chart:
        options = dict(name=RELEASE, namespace=NAMESPACE)
        if is_upgrade:
            options.update(is_upgrade=True, is_install=False, revision=2)
        else:
            options.update(is_install=True, is_upgrade=False, revision=1)
        if config is not None:
            return config.render(chart, values, **options)
        return chart.render(values, **options)


def crds() -> list[tuple[str, str]]:
    h = helm()
    with h.Chart.load(CHART) as chart:
        return [(c["filename"], c["data"]) for c in chart.crds]


def documents(rendered: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """(template path, object) for every non-empty document of the manifests."""
    out = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                out.append((path, doc))
    return out


def stream(rendered: dict[str, str], with_crds: bool = True) -> str:
    parts = []
    if with_crds:
        for filename, data in crds():
            parts.append(f"# Source: {filename}\n{data.strip()}\n")
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        for doc in DOCUMENT_SEPARATOR.split(text):
            if yaml.safe_load(doc):
                parts.append(f"# Source: {path}\n{doc.strip()}\n")
    return "---\n".join(parts)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--only", help="render only this variant (a tests/chart/values/ name)")
    parser.add_argument("--extra-values", type=Path, help="JSON merged over every variant")
    parser.add_argument("--kubeconfig", type=Path, help="render against this cluster (lookup)")
    parser.add_argument("--upgrade", action="store_true", help="render as an upgrade")
    args = parser.parse_args(argv)
    extra = json.loads(args.extra_values.read_text()) if args.extra_values else {}
    all_variants = variants()
    if args.only and args.only not in all_variants:
        parser.error(f"no variant {args.only!r}; known: {', '.join(all_variants)}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    config = helm().Config(kubeconfig_path=args.kubeconfig) if args.kubeconfig else None
    try:
        for name, values in all_variants.items():
            if args.only and name != args.only:
                continue
            values = merge(values, extra)
            rendered = render(values, config=config, is_upgrade=args.upgrade)
            (args.out_dir / f"{name}.yaml").write_text(stream(rendered))
            with helm().Chart.load(CHART) as chart:
                merged = chart.merge_values(values)
            (args.out_dir / f"{name}.values.json").write_text(json.dumps(merged, indent=1))
    finally:
        if config is not None:
            config.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
