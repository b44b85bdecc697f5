"""The seals' Ed25519 signatures, checked on another core while the chains are walked.

One signature takes about 0.1 ms and the library holds the interpreter lock while it checks, so
at a hundred times the demo (41,000 seals) the signatures alone take four seconds in one thread.
From `PARALLEL_FROM` seals on, `start` hands them to a child Python process (only
`market.seals` is imported there: the same `signature_holds`) and the caller collects the answer
when it needs it; below that, or if the child cannot run, they are checked here. A signature
found to hold is remembered for the life of the process (`_held`), so a second check, in a
server or a worker, verifies only the seals it has not seen byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from market.seals import public_pem, signature_holds

PARALLEL_FROM = 10_000
REMEMBERED_MAX = 2_000_000

_held: set[bytes] = set()
"""Digests of (public key, statement, signature) whose signature was found to hold in this
process. A signature that held once holds for ever, and a row's digest only matches what was
verified if the row is byte for byte what was verified: a later check skips the work, never the
proof. Nothing outside the process can add to it."""

SealRow = tuple[int, int, str, int, str, str, str]
"""(id, site_id, period, version, statement, signature, key_id) of a seal."""

_CHILD = """
import json, sys
sys.path[:0] = json.loads(sys.argv[1])
from market.seals import load_public, signature_holds
job = json.load(sys.stdin)
keys = {kid: load_public(pem) for kid, pem in job["keys"].items()}
bad = [sid for sid, kid, text, sig in job["seals"] if not signature_holds(keys[kid], text, sig)]
json.dump(bad, sys.stdout)
"""


def _memo(key_pem: str, statement: str, signature: str) -> bytes:
    return hashlib.sha256(
        b"\0".join((key_pem.encode(), statement.encode(), signature.encode()))
    ).digest()


def _remember(memos: Sequence[bytes]) -> None:
    if len(_held) + len(memos) > REMEMBERED_MAX:
        _held.clear()
    _held.update(memos)


def check(public_keys: Mapping[str, Any], seals: Sequence[SealRow]) -> dict[int, bool]:
    """Seal id → whether its signature holds, for the seals whose key is known."""
    out: dict[int, bool] = {}
    pems = {kid: public_pem(key) for kid, key in public_keys.items()}
    held = []
    for seal_id, _site, _period, _version, statement, signature, key_id in seals:
        key = public_keys.get(key_id)
        if key is None:
            continue
        memo = _memo(pems[key_id], statement, signature)
        out[seal_id] = memo in _held or signature_holds(key, statement, signature)
        if out[seal_id]:
            held.append(memo)
    _remember(held)
    return out


def start(
    public_keys: Mapping[str, Any], seals: Sequence[SealRow]
) -> Callable[[], dict[int, bool]]:
    """Begin checking; the function returned waits for the answer (what `check` returns)."""
    pems = {kid: public_pem(key) for kid, key in public_keys.items()}
    memos = {s[0]: _memo(pems[s[6]], s[4], s[5]) for s in seals if s[6] in public_keys}
    known = [s for s in seals if s[0] in memos and memos[s[0]] not in _held]
    already = {seal_id: True for seal_id, memo in memos.items() if memo in _held}
    if len(known) < PARALLEL_FROM:
        return lambda: already | check(public_keys, known)
    job = json.dumps(
        {
            "keys": pems,
            "seals": [[s[0], s[6], s[4], s[5]] for s in known],
        }
    ).encode()
    try:
        child = subprocess.Popen(
            [sys.executable, "-I", "-c", _CHILD, json.dumps([p for p in sys.path if p])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError:
        return lambda: already | check(public_keys, known)
    answer: dict[str, Any] = {}

    def talk() -> None:
        try:
            answer["out"], answer["err"] = child.communicate(job)
        except OSError as exc:  # the child died before reading its job
            answer["error"] = exc

    talker = threading.Thread(target=talk, name="seal-signatures", daemon=True)
    talker.start()

    def result() -> dict[int, bool]:
        talker.join()
        if child.returncode != 0 or "error" in answer:
            # the child failed: check here, slower but sure
            return already | check(public_keys, known)
        try:
            bad = set(json.loads(answer["out"]))
        except ValueError:
            return already | check(public_keys, known)
        _remember([memos[s[0]] for s in known if s[0] not in bad])
        return already | {s[0]: s[0] not in bad for s in known}

    return result
