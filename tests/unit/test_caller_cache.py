from __future__ import annotations

import time

from market.auth import Actor
from web.security import CallerCache

ALICE = Actor(1, "alice", "producer", 10, "安宁")
BOB = Actor(2, "bob", "recycler", 20, "滇中")


def test_a_caller_is_remembered_only_for_its_time_to_live():
    cache = CallerCache(ttl=0.05)
    cache.put(("token", "d1"), ALICE, token_id=7)
    assert cache.get(("token", "d1")) == ALICE
    time.sleep(0.06)
    assert cache.get(("token", "d1")) is None


def test_revoking_a_token_forgets_it_at_once_and_nothing_else():
    cache = CallerCache(ttl=60)
    cache.put(("token", "d1"), ALICE, token_id=7)
    cache.put(("token", "d2"), ALICE, token_id=8)
    cache.forget_token(7)
    assert cache.get(("token", "d1")) is None
    assert cache.get(("token", "d2")) == ALICE


def test_logging_out_forgets_every_session_and_token_of_that_user():
    cache = CallerCache(ttl=60)
    cache.put(("session", 1, 0), ALICE)
    cache.put(("token", "d1"), ALICE, token_id=7)
    cache.put(("session", 2, 0), BOB)
    cache.forget_user(1)
    assert cache.get(("session", 1, 0)) is None and cache.get(("token", "d1")) is None
    assert cache.get(("session", 2, 0)) == BOB


def test_a_full_cache_makes_room_instead_of_growing():
    cache = CallerCache(ttl=60, size=3)
    for i in range(10):
        cache.put(("token", str(i)), ALICE, token_id=i)
    assert len(cache._entries) <= 3
    assert cache.get(("token", "9")) == ALICE
