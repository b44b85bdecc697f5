from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from market.ledger import GENESIS, Content, balances, digest, stock_effect, verify_chain


@dataclass(frozen=True)
class Entry(Content):
    """A stored entry: what its hash covers, then its database id and the hash itself."""

    id: int = 0
    hash: str = ""


def chain(specs: list[tuple[str, float, int | None]]) -> list[Entry]:
    out: list[Entry] = []
    prev = GENESIS
    for i, (kind, tonnes, delivery) in enumerate(specs, start=1):
        at = datetime(2025, 1, 1, 8, 0, i, 123456, tzinfo=UTC)
        c = Content(
            7, i, kind, "phosphogypsum", tonnes, date(2025, 1, i), f"doc {i}", delivery, 3, at, prev
        )
        h = digest(c)
        out.append(Entry(**vars(c), id=i * 10, hash=h))
        prev = h
    return out


SPECS = [
    ("opening", 1000.0, None),
    ("generation", 200.0, None),
    ("dispatch", 50.0, 1),
    ("utilisation", 49.5, 1),
    ("treatment", 10.0, None),
    ("correction", -5.0, None),
]


def test_an_untouched_chain_verifies():
    entries = chain(SPECS)
    assert verify_chain(7, entries, (6, entries[-1].hash)) == []


def test_altered_tonnes_are_located_at_their_entry():
    entries = chain(SPECS)
    entries[2] = replace(entries[2], tonnes=5.0)
    breaks = verify_chain(7, entries, (6, entries[-1].hash))
    assert [(b.seq, b.entry_id) for b in breaks] == [(3, 30)]
    assert "altered" in breaks[0].problem


def test_a_deleted_middle_entry_is_reported_as_missing():
    entries = chain(SPECS)
    del entries[3]
    breaks = verify_chain(7, entries, (6, entries[-1].hash))
    assert breaks[0].seq == 5 and "#4 are missing" in breaks[0].problem


def test_a_deleted_last_entry_is_caught_by_the_head():
    entries = chain(SPECS)
    head = (6, entries[-1].hash)
    breaks = verify_chain(7, entries[:-1], head)
    assert len(breaks) == 1 and "#6–#6" in breaks[0].problem


def test_the_hash_covers_the_recording_instant_to_the_microsecond():
    c = chain(SPECS[:1])[0]
    base = Content(
        7,
        1,
        "opening",
        "phosphogypsum",
        1000.0,
        date(2025, 1, 1),
        "doc 1",
        None,
        3,
        c.recorded_at,
        GENESIS,
    )
    moved = replace(base, recorded_at=c.recorded_at.replace(microsecond=123457))
    assert digest(base) == c.hash and digest(moved) != c.hash


def test_a_receipt_moves_no_stock_but_own_use_does():
    assert stock_effect("utilisation", 10, delivery_id=4) == 0
    assert stock_effect("utilisation", 10, delivery_id=None) == -10
    assert stock_effect("correction", -3, None) == -3
    assert stock_effect("p2o5_output", 9, None) == 0


def test_balances_follow_the_stock_rules():
    assert balances(chain(SPECS)) == {"phosphogypsum": 1000 + 200 - 50 - 10 - 5}
