from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from matching.command import run
from tests.support.problems import contract_example

CONSOLE_SCRIPT = Path(sys.executable).parent / "wastematch"


def _write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _run(input_path: Path | str, output_path: Path | str) -> tuple[int, str, str]:
    err, out = io.StringIO(), io.StringIO()
    code = run(str(input_path), str(output_path), err, out)
    return code, out.getvalue(), err.getvalue()


def test_match_writes_the_result_and_exits_zero(tmp_path: Path) -> None:
    source = _write(tmp_path / "problem.json", contract_example())
    target = tmp_path / "result.json"
    code, out, err = _run(source, target)
    assert (code, out, err) == (0, "", "")
    result = json.loads(target.read_text(encoding="utf-8"))
    assert result["status"] == "optimal"
    assert result["matches"][0]["tonnes"] == 40000
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_match_output_dash_writes_to_stdout(tmp_path: Path) -> None:
    source = _write(tmp_path / "problem.json", contract_example())
    code, out, err = _run(source, "-")
    assert code == 0 and err == ""
    assert json.loads(out)["totals"]["matched_t"] == 40000


def test_match_replaces_an_existing_result(tmp_path: Path) -> None:
    source = _write(tmp_path / "problem.json", contract_example())
    target = tmp_path / "result.json"
    target.write_text("old", encoding="utf-8")
    assert _run(source, target)[0] == 0
    assert json.loads(target.read_text(encoding="utf-8"))["status"] == "optimal"


def _bad(tmp_path: Path, content: bytes | None) -> tuple[int, str, Path]:
    source = tmp_path / "problem.json"
    if content is not None:
        source.write_bytes(content)
    target = tmp_path / "result.json"
    code, out, err = _run(source, target)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert not target.exists()
    assert list(tmp_path.iterdir()) == ([source] if content is not None else [])
    return code, err, target


def test_unreadable_input_exits_two_with_one_line(tmp_path: Path) -> None:
    code, err, _ = _bad(tmp_path, None)
    assert code == 2
    assert err.startswith("wastematch match: cannot read ")


def test_invalid_json_exits_two_with_one_line(tmp_path: Path) -> None:
    code, err, _ = _bad(tmp_path, b'{"lots": [,]}')
    assert code == 2
    assert "invalid JSON" in err and "line 1 column" in err


def test_text_that_is_not_utf8_exits_two(tmp_path: Path) -> None:
    code, err, _ = _bad(tmp_path, '{"lots": "磷石膏"}'.encode("gbk"))
    assert code == 2
    assert "not UTF-8" in err


def test_a_problem_error_exits_two_naming_the_path(tmp_path: Path) -> None:
    doc = contract_example()
    doc["lots"][0]["tonnes"] = -5
    code, err, _ = _bad(tmp_path, json.dumps(doc).encode())
    assert code == 2
    assert err.rstrip("\n").endswith("lots[0].tonnes: -5 is negative")


def test_a_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    source = tmp_path / "problem.json"
    source.write_bytes(b"\xef\xbb\xbf" + json.dumps(contract_example()).encode())
    assert _run(source, "-")[0] == 0


def test_unwritable_output_exits_two_and_leaves_nothing(tmp_path: Path) -> None:
    source = _write(tmp_path / "problem.json", contract_example())
    code, out, err = _run(source, tmp_path / "missing-dir" / "result.json")
    assert code == 2 and out == ""
    assert err.startswith("wastematch match: cannot write ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["problem.json"]


@pytest.mark.skipif(not CONSOLE_SCRIPT.exists(), reason="console script not installed")
def test_the_wastematch_console_command_runs_a_match(tmp_path: Path) -> None:
    source = _write(tmp_path / "problem.json", contract_example())
    target = tmp_path / "result.json"
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "match", "--input", str(source), "--output", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(target.read_text(encoding="utf-8"))["matches"][0]["lot"] == "L1"

    doc = contract_example()
    doc["lots"][0]["lat"] = 95
    bad = _write(tmp_path / "bad.json", doc)
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "match", "--input", str(bad), "--output", str(tmp_path / "x.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "lots[0].lat: 95 is out of range" in done.stderr
    assert not (tmp_path / "x.json").exists()

    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "match", "--input", str(source), "--output", "-"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["status"] == "optimal"
