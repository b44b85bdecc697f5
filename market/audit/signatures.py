"""The seals' Ed25519 signatures as the tamper check checks them.

At a hundred times the demo there are 41,000 seals. With the private key at hand (the server's
and the workers' check has it) a signature is checked by making it again, a third of the cost of
verifying it (`market.seals.signature_holds`); the tamper check splits the seals, like the
chains, over two processes (`market.audit.walk`). A signature found to hold is remembered for the
life of the process (`_held`), so a second check, in a server or a worker, checks only the seals
it has not seen byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from market.seals import public_pem, signature_holds

REMEMBERED_MAX = 2_000_000

_held: set[bytes] = set()
"""Digests of (public key, statement, signature) whose signature was found to hold in this
process. A signature that held once holds for ever, and a row's digest only matches what was
verified if the row is byte for byte what was verified: a later check skips the work, never the
proof. Nothing outside the process can add to it."""

SealRow = tuple[int, int, str, int, str, str, str]
"""(id, site_id, period, version, statement, signature, key_id) of a seal."""


def _memo(key_pem: str, statement: str, signature: str) -> bytes:
    return hashlib.sha256(
        b"\0".join((key_pem.encode(), statement.encode(), signature.encode()))
    ).digest()


def _remember(memos: Sequence[bytes]) -> None:
    if len(_held) + len(memos) > REMEMBERED_MAX:
        _held.clear()
    _held.update(memos)


def check(
    public_keys: Mapping[str, Any],
    seals: Sequence[SealRow],
    signers: Mapping[str, Any] | None = None,
) -> dict[int, bool]:
    """Seal id → whether its signature holds, for the seals whose key is known; `signers`, the
    private keys the caller holds by key id, make the check cheaper (never different)."""
    out: dict[int, bool] = {}
    pems = {kid: public_pem(key) for kid, key in public_keys.items()}
    # a private key only stands in for the public key it belongs to
    signers = {
        kid: private
        for kid, private in (signers or {}).items()
        if kid in pems and public_pem(private.public_key()) == pems[kid]
    }
    held = []
    for seal_id, _site, _period, _version, statement, signature, key_id in seals:
        key = public_keys.get(key_id)
        if key is None:
            continue
        memo = _memo(pems[key_id], statement, signature)
        out[seal_id] = memo in _held or signature_holds(
            key, statement, signature, signers.get(key_id)
        )
        if out[seal_id]:
            held.append(memo)
    _remember(held)
    return out


def remember(
    public_keys: Mapping[str, Any], seals: Sequence[SealRow], held: Mapping[int, bool]
) -> None:
    """Remember here the signatures another process (a forked half of the check, which cannot
    write to this one's memory) found to hold."""
    pems = {kid: public_pem(key) for kid, key in public_keys.items()}
    _remember([_memo(pems[s[6]], s[4], s[5]) for s in seals if held.get(s[0]) and s[6] in pems])
