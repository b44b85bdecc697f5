"""A login's time does not tell which usernames exist (issue 10, finding 8)."""

from __future__ import annotations

import time

from market.auth import UNUSABLE_PASSWORD, hash_password, verify_password


def _seconds(password_hash: str) -> float:
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        assert not verify_password(password_hash, "not-the-password")
        runs.append(time.perf_counter() - started)
    return sorted(runs)[1]


def test_an_unusable_hash_takes_as_long_to_refuse_as_a_real_one() -> None:
    real = _seconds(hash_password("the-real-password"))
    # before: 0.08 ms for "!unusable" against 180-350 ms for an argon2 hash
    assert _seconds(UNUSABLE_PASSWORD) > 0.5 * real
    assert _seconds("") > 0.5 * real


def test_no_password_matches_an_unusable_hash() -> None:
    assert not verify_password(UNUSABLE_PASSWORD, "")
    assert not verify_password(UNUSABLE_PASSWORD, "wastematch-timing-equaliser")
