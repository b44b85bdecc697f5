"""`wastematch match --input PROBLEM.json --output RESULT.json` as a function.

The JSON it reads and writes is described in docs/matching-format.md.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TextIO

from matching.errors import ProblemError, WrongType
from matching.jsonio import problem_from_json, result_to_json, unique_keys
from matching.solver import solve

BAD_INPUT = 2
MAX_INPUT_BYTES = 200_000_000
"""A national problem (tens of thousands of lots and plants) is tens of megabytes; a file past
this is refused before it is parsed, so a stray multi-gigabyte file cannot exhaust memory."""


def run(input_path: str, output_path: str, stderr: TextIO, stdout: TextIO) -> int:
    """Solve the problem in `input_path` and write the result to `output_path` ("-": stdout).

    Returns 0 on success; 2 with one line on `stderr` for input that cannot be read, is not
    JSON or breaks the contract, and then no output file exists, not even a partial one.
    """
    try:
        with open(input_path, "rb") as f:
            raw = f.read(MAX_INPUT_BYTES + 1)
    except OSError as e:
        return _fail(stderr, f"cannot read {input_path}: {e.strerror or e}")
    if len(raw) > MAX_INPUT_BYTES:
        return _fail(stderr, f"{input_path}: larger than the {MAX_INPUT_BYTES:,} bytes allowed")
    try:
        data = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=unique_keys)
    except UnicodeDecodeError as e:
        return _fail(stderr, f"{input_path}: not UTF-8 text ({e.reason} at byte {e.start})")
    except json.JSONDecodeError as e:
        where = f"line {e.lineno} column {e.colno}"
        return _fail(stderr, f"{input_path}: invalid JSON: {e.msg} at {where}")
    except ProblemError as e:  # a duplicate key
        return _fail(stderr, f"{input_path}: invalid JSON: {e}")
    except ValueError:  # the only other: an integer past Python's 4,300-digit limit
        return _fail(stderr, f"{input_path}: invalid JSON: a number with too many digits")
    except RecursionError:
        return _fail(stderr, f"{input_path}: invalid JSON: nested too deeply")
    if not isinstance(data, dict):
        # a bare JSON string would otherwise be taken for JSON text and parsed again
        return _fail(stderr, f"{input_path}: {WrongType('problem', data, 'an object')}")
    try:
        problem = problem_from_json(data)
        text = result_to_json(solve(problem))
    except ProblemError as e:
        return _fail(stderr, f"{input_path}: {e}")
    if output_path == "-":
        stdout.write(text)
        stdout.flush()
        return 0
    try:
        _write_atomically(Path(output_path), text)
    except OSError as e:
        return _fail(stderr, f"cannot write {output_path}: {e.strerror or e}")
    return 0


def _fail(stderr: TextIO, message: str) -> int:
    stderr.write("wastematch match: " + " ".join(message.split()) + "\n")
    stderr.flush()
    return BAD_INPUT


def _write_atomically(path: Path, text: str) -> None:
    """Write beside the target and rename over it, so readers see all of it or nothing."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
