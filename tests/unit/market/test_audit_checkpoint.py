"""Checkpoints, without a database: reading one strictly, and one site's status against it."""

from __future__ import annotations

from typing import Any

import pytest

from market.audit import (
    MAX_CHECKPOINT_HEADS,
    Head,
    Now,
    compare_head,
    heads_fingerprint,
    parse_checkpoint,
)
from market.errors import InvalidInput

A = "a" * 64
B = "b" * 64


def heads(*extra: Any) -> list[Any]:
    good = [
        {"site_id": 1, "site": "安宁", "seq": 7, "hash": A},
        {"site_id": 2, "seq": 0, "hash": B},
    ]
    return [*good, *extra]


def test_a_list_of_heads_is_read_and_the_site_name_ignored():
    assert parse_checkpoint(heads()) == [Head(1, 7, A), Head(2, 0, B)]


def test_a_whole_verify_answer_is_read_by_its_heads():
    answer = {
        "ok": True,
        "sites_checked": 2,
        "entries_checked": 7,
        "breaks": [],
        "organisation_id": None,
        "heads_fingerprint": "f" * 64,
        "heads": heads(),
    }
    assert parse_checkpoint(answer) == [Head(1, 7, A), Head(2, 0, B)]


def test_upper_case_hex_is_read_as_the_lower_case_the_ledger_stores():
    assert parse_checkpoint([{"site_id": 3, "seq": 1, "hash": A.upper()}]) == [Head(3, 1, A)]


def test_an_empty_checkpoint_is_read_as_no_heads():
    assert parse_checkpoint({"heads": []}) == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (heads({"site_id": 3, "seq": 1, "hash": "zz"}), "heads[2].hash: 'zz' is not 64 hex digits"),
        (heads({"site_id": 3, "seq": 1, "hash": A + "0"}), "heads[2].hash: 'aaaa"),
        (heads({"site_id": 3, "seq": 1, "hash": 7}), "heads[2].hash: 7 is not 64 hex digits"),
        (heads({"site_id": 3, "seq": 1}), "heads[2].hash: is required"),
        (heads({"site_id": 0, "seq": 1, "hash": A}), "heads[2].site_id: 0 is not a site id"),
        (heads({"site_id": "3", "seq": 1, "hash": A}), "heads[2].site_id: '3' is not a site id"),
        (heads({"site_id": 3.0, "seq": 1, "hash": A}), "heads[2].site_id: 3.0 is not a site id"),
        (heads({"site_id": True, "seq": 1, "hash": A}), "heads[2].site_id: true is not a site id"),
        (heads({"site_id": 2**31, "seq": 1, "hash": A}), "heads[2].site_id: 2147483648 is not"),
        (heads({"seq": 1, "hash": A}), "heads[2].site_id: is required"),
        (heads({"site_id": 3, "seq": -1, "hash": A}), "heads[2].seq: -1 is not an entry number"),
        (heads({"site_id": 3, "seq": None, "hash": A}), "heads[2].seq: null is not an entry"),
        (heads({"site_id": 3, "seq": [1], "hash": A}), "heads[2].seq: an array is not an entry"),
        (heads({"site_id": 3, "seq": 1, "hash": A, "note": 1}), "heads[2].note: is not a field"),
        (heads({"site_id": 1, "seq": 1, "hash": A}), "heads[2].site_id: 1 appears twice (also hea"),
        (heads("x"), "heads[2]: 'x' is not a head"),
        (heads({"site_id": 3, "seq": 1, "hash": A}, None), "heads[3]: null is not a head"),
        ({"heads": {"site_id": 1}}, "heads: an object is not a list of heads"),
        ({"heads": "abc"}, "heads: 'abc' is not a list of heads"),
        ({"ok": True}, "heads: is required"),
        ({"heads": [], "extra": 1}, "extra: is not a key of a verify answer"),
        ("heads", "heads: 'heads' is not a list of heads"),
    ],
)
def test_a_bad_checkpoint_is_refused_naming_the_path_and_the_value(raw, message):
    with pytest.raises(InvalidInput) as refused:
        parse_checkpoint(raw)
    assert refused.value.message.startswith(message), refused.value.message
    assert refused.value.field == message.split(":")[0]


def test_more_heads_than_the_limit_are_refused_before_any_is_read():
    too_many = [None] * (MAX_CHECKPOINT_HEADS + 1)
    with pytest.raises(InvalidInput, match=r"heads: 100,001 heads, at most 100,000"):
        parse_checkpoint(too_many)


def test_the_fingerprint_of_a_checkpoint_does_not_depend_on_the_order_of_its_heads():
    one = heads_fingerprint([(2, 0, B), (1, 7, A)])
    assert one == heads_fingerprint([(1, 7, A), (2, 0, B)])
    assert one != heads_fingerprint([(1, 8, A), (2, 0, B)])


THEN = Head(5, 4, A)


@pytest.mark.parametrize(
    ("now", "at", "status", "said"),
    [
        (Now((4, A), 4), A, "unchanged", "entry #4 is the head"),
        (Now((9, B), 9), A, "extended", "entries #5–#9 were appended"),
        (Now((9, B), 9), B, "rewritten", f"entry #4 now has hash {B}, the checkpoint says {A}"),
        (Now((4, B), 4), B, "rewritten", "it or an entry before it was rewritten"),
        (Now((2, B), 2), None, "truncated", "entry #4 is gone: the chain now ends at #2"),
        (Now(None, 2), None, "truncated", "the chain now ends at #2"),
        (Now((9, B), 9), None, "truncated", "entry #4 is gone (the chain goes on to #9)"),
        (Now((2, B), 9), A, "truncated", "the head says #2, before the checkpoint's #4"),
        (Now(None, None), None, "site_missing", "no entry and no head remain"),
        (Now(None, 6), A, "extended", "entries #5–#6 were appended"),
    ],
)
def test_one_sites_status_against_its_checkpoint_head(now, at, status, said):
    got, message = compare_head(THEN, now, at)
    assert got == status
    assert said in message


def test_a_chain_empty_at_the_checkpoint_is_fine_whatever_it_holds_now():
    empty = Head(5, 0, A)
    assert compare_head(empty, Now(None, None), None)[0] == "unchanged"
    assert compare_head(empty, Now((3, B), 3), None) == (
        "extended",
        "empty at the checkpoint; entries #1–#3 were appended",
    )
