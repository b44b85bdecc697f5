"""The tamper check's fast digest must be `ledger.digest`, entry for entry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from market.integrity import _at, row_digest
from market.ledger import Content, _instant, digest

text = st.text(max_size=30)
ids = st.integers(min_value=1, max_value=2**53)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)
) | st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=8))]),
)
evidence = st.lists(
    st.fixed_dictionaries({"id": ids, "sha256": st.text(alphabet="0123456789abcdef", max_size=64)}),
    max_size=3,
)


@settings(max_examples=400)
@given(
    site=ids,
    seq=ids,
    kind=text,
    material=text,
    tonnes=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    on=st.dates(min_value=date(1900, 1, 1)),
    document=text,
    delivery=st.none() | ids,
    by=ids,
    at=instants,
    prev=text,
    docs=evidence,
    correction=st.none() | ids,
)
def test_the_fast_digest_is_the_ledger_digest_for_any_entry(
    site, seq, kind, material, tonnes, on, document, delivery, by, at, prev, docs, correction
):
    pairs = tuple((d["id"], d["sha256"]) for d in docs)
    c = Content(
        site, seq, kind, material, tonnes, on, document, delivery, by, at, prev, pairs, correction
    )
    fast = row_digest(
        site, seq, kind, material, tonnes, on.isoformat(), document, delivery, by,
        _instant(at), prev, docs, correction,
    )  # fmt: skip
    assert fast == digest(c)


@given(at=st.datetimes(min_value=datetime(1900, 1, 1)))
def test_sqlite_text_instants_read_as_sqlalchemy_reads_them(at):
    # SQLAlchemy writes a naive DateTime to SQLite as 'YYYY-MM-DD HH:MM:SS.ffffff'
    stored = at.strftime("%Y-%m-%d %H:%M:%S.%f")
    assert _at(stored) == _instant(at)
    assert _at(at) == _instant(at)
