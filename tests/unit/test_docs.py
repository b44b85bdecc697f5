"""The repository documents itself: docs/ agrees with the code, and cites nothing outside it."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path
from types import ModuleType

from matching.jsonio import problem_from_json, result_to_dict
from matching.solver import solve

ROOT = Path(__file__).resolve().parents[2]
# spelled in parts, so that this file does not cite them itself
OUTSIDE = (b"../" + b"shared", b"CONTRACT" + b".md", b"DESIGN" + b".md", b"STYLE" + b".md")


def api_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_docs", ROOT / "scripts" / "api_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_api_doc_lists_every_route_of_the_openapi_document() -> None:
    script = api_docs()
    doc = script.document()
    text = script.API_DOC.read_text(encoding="utf-8")
    assert script.rendered(text, doc) == text, "docs/api.md is out of date: run scripts/api_docs.py"
    listed = set(re.findall(r"^\| (GET|POST|PUT|PATCH|DELETE) `([^`]+)` \|", text, re.M))
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert listed == documented


def test_nothing_cites_a_file_outside_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    this = Path(__file__).resolve()
    citing = []
    for name in filter(None, tracked):
        path = ROOT / name.decode()
        if path.resolve() == this or not path.is_file():
            continue
        content = path.read_bytes()
        citing += [f"{name.decode()}: {s.decode()}" for s in OUTSIDE if s in content]
    assert citing == []


def _json_blocks(markdown: str) -> list[dict[str, object]]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", markdown, re.S)]


def test_the_matching_format_example_solves_to_the_result_it_shows() -> None:
    problem, shown = _json_blocks((ROOT / "docs" / "matching-format.md").read_text("utf-8"))
    result = result_to_dict(solve(problem_from_json(problem)), timings=False)
    assert {k: result[k] for k in ("status", "matches", "unmatched", "totals")} == {
        k: shown[k] for k in ("status", "matches", "unmatched", "totals")
    }
    assert isinstance(shown["stats"], dict)
    assert {k: v for k, v in shown["stats"].items() if not k.endswith("_ms")}.items() <= (
        result["stats"].items()
    )
