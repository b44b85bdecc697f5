"""Verification of every site's ledger chain, for the regulator's tamper check and a restore.

The rule of what an entry's hash covers lives in `market.ledger` (`digest`, `verify_chain`); this
module walks every chain at scale and must give the same answer. It reads plain rows through the
driver in (site, seq) order, in batches (a server-side cursor on PostgreSQL), never ORM objects;
it builds each entry's canonical JSON with the C string encoder instead of `json.dumps` of a dict,
and it names a break in the same words as `verify_chain`. `row_digest` equals `ledger.digest` for
every entry (a property test holds them together).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from hashlib import sha256
from json.encoder import encode_basestring
from typing import Any

from sqlmodel import Session, col, select

from market.ledger import CHAINED, GENESIS, ChainBreak, _instant, head_breaks
from market.tables import LedgerHead, Site

Progress = Callable[[float, str], None]
"""`progress(fraction, stage)`: fraction 0–1 of the work done, and what is being done."""

COLUMNS = ("id", *CHAINED, "hash", "evidence", "correction_id", "attestation")
"""The order of a plain row as `verify_all` hands it to `keep`; dates are ISO text, `evidence` a
list of {"id", "sha256"}."""

BATCH = 20_000
_PLAIN = (
    '{"at":%s,"by":%d,"delivery":%s,"doc":%s,"kind":%s,"material":%s,"on":%s,"prev":%s,'
    '"seq":%d,"site":%d,"tonnes":"%.3f"}'
)
"""`row_digest`'s text for an entry citing no document and correcting nothing."""
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _scalar(value: Any) -> str:
    return str(value) if type(value) is int else _dumps(value)


def _day(value: Any) -> str:
    return value if type(value) is str else value.isoformat()


def _at(value: Any) -> str:
    """The instant as `ledger._instant` writes it, from a driver's datetime or SQLite's text
    ('YYYY-MM-DD HH:MM:SS.ffffff', naive, read as UTC as SQLAlchemy reads it)."""
    if type(value) is str:
        if len(value) == 26 and value[10] == " " and value[19] == ".":
            return value[:10] + "T" + value[11:] + "+00:00"
        value = datetime.fromisoformat(value)
    return _instant(value)


def _evidence(value: Any) -> list[dict[str, Any]]:
    if type(value) is str:
        if value == "[]" or value == "null":
            return []
        value = json.loads(value)
    return value or []


def row_digest(
    site_id: Any,
    seq: Any,
    kind: Any,
    material: Any,
    tonnes: float,
    on: str,
    document: Any,
    delivery_id: Any,
    recorded_by: Any,
    at: str,
    prev_hash: Any,
    evidence: Sequence[Mapping[str, Any]],
    correction_id: Any,
) -> str:
    """`ledger.digest` of an entry given as plain values (`on` and `at` already as text,
    `evidence` as stored): the same canonical JSON, keys in sorted order, written out directly."""
    enc = encode_basestring
    if (
        not evidence
        and correction_id is None
        and type(recorded_by) is int
        and type(seq) is int
        and type(site_id) is int
        and (delivery_id is None or type(delivery_id) is int)
    ):
        # the common entry, written out at once
        text = _PLAIN % (
            enc(at),
            recorded_by,
            "null" if delivery_id is None else delivery_id,
            enc(document),
            enc(kind),
            enc(material),
            enc(on),
            enc(prev_hash),
            seq,
            site_id,
            tonnes,
        )
        return sha256(text.encode()).hexdigest()
    pairs = [[int(d["id"]), str(d["sha256"])] for d in evidence]
    text = (
        '{"at":'
        + enc(at)
        + ',"by":'
        + _scalar(recorded_by)
        + ("" if correction_id is None else ',"correction":' + _scalar(correction_id))
        + ',"delivery":'
        + ("null" if delivery_id is None else _scalar(delivery_id))
        + ',"doc":'
        + enc(document)
        + (',"evidence":' + _dumps(pairs) if pairs else "")
        + ',"kind":'
        + enc(kind)
        + ',"material":'
        + enc(material)
        + ',"on":'
        + enc(on)
        + ',"prev":'
        + enc(prev_hash)
        + ',"seq":'
        + _scalar(seq)
        + ',"site":'
        + _scalar(site_id)
        + ',"tonnes":"'
        + f"{tonnes:.3f}"
        + '"}'
    )
    return sha256(text.encode()).hexdigest()


Part = tuple[int | None, int | None]
"""The yards whose id is above the first bound and at most the second (None: no bound), for a
walk split over two processes."""


def _where(site_ids: list[int] | None, part: Part | None = None) -> str:
    conds = []
    if site_ids is not None:
        conds.append("site_id IN (" + ",".join(str(int(s)) for s in site_ids or [0]) + ")")
    if part is not None and part[0] is not None:
        conds.append(f"site_id > {int(part[0])}")
    if part is not None and part[1] is not None:
        conds.append(f"site_id <= {int(part[1])}")
    return " WHERE " + " AND ".join(conds) if conds else ""


def rows(
    session: Session, site_ids: list[int] | None, part: Part | None = None
) -> Iterator[Sequence[Any]]:
    """Every entry as a plain driver row, in (site, seq) order, a batch at a time."""
    where = _where(site_ids, part)
    sql = f"SELECT {', '.join(COLUMNS)} FROM ledger_entry{where} ORDER BY site_id, seq"
    dbapi: Any = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "postgresql":
        # a named cursor is a server-side one, fetched a batch at a time; it lives in a
        # transaction (reads otherwise run in autocommit)
        with dbapi.transaction(), dbapi.cursor(name="verify_ledger") as cursor:
            cursor.itersize = BATCH
            cursor.execute(sql)
            while batch := cursor.fetchmany(BATCH):
                yield from batch
        return
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(BATCH):
            yield from batch
    finally:
        cursor.close()


def count_entries(session: Session, site_ids: list[int] | None, part: Part | None = None) -> int:
    return int(
        session.connection()
        .exec_driver_sql(f"SELECT count(*) FROM ledger_entry{_where(site_ids, part)}")
        .scalar_one()
    )


Keep = Callable[[int, list[tuple[Any, ...]]], None]
"""`keep(site_id, rows)` sees each yard's rows (in `COLUMNS` order, normalised) once walked."""


def heads_of(session: Session) -> dict[int, tuple[int, str]]:
    """Every chain's head record: yard → (seq, hash)."""
    return {
        site_id: (seq, h)
        for site_id, seq, h in session.exec(
            select(col(LedgerHead.site_id), col(LedgerHead.seq), col(LedgerHead.hash))
        ).all()
    }


def walk(
    entries_in_order: Iterable[Sequence[Any]],
    heads: Mapping[int, tuple[int, str]],
    keep: Keep | None = None,
    tick: Callable[[int], None] | None = None,
) -> tuple[list[ChainBreak], set[int], int]:
    """The breaks in the chains of the rows given (in (site, seq) order), the yards seen and how
    many entries; `tick(entries)` hears every `BATCH` entries."""
    breaks: list[ChainBreak] = []
    seen: set[int] = set()
    entries = 0
    site_rows: list[tuple[Any, ...]] = []
    current: int | None = None

    def close(site_id: int, rows: list[tuple[Any, ...]]) -> None:
        seen.add(site_id)
        last = (rows[-1][2], rows[-1][0], rows[-1][12]) if rows else None

        def first_after(head_seq: int) -> tuple[int, int | None] | None:
            return next(((r[2], r[0]) for r in rows if r[2] > head_seq), None)

        breaks.extend(head_breaks(site_id, heads.get(site_id), last, first_after))
        if keep is not None:
            keep(site_id, rows)

    prev = GENESIS
    expected = 1
    for raw in entries_in_order:
        (eid, site_id, seq, kind, material, tonnes, on, document, delivery_id, by, at,
         prev_hash, digest_now, evidence, correction_id, attestation) = raw  # fmt: skip
        if site_id != current:
            if current is not None:
                close(current, site_rows)
            current, site_rows, prev, expected = site_id, [], GENESIS, 1
        entries += 1
        if tick is not None and entries % BATCH == 0:
            tick(entries)
        on_text, at_text, docs = _day(on), _at(at), _evidence(evidence)
        if seq != expected:
            missing = f"#{expected}" if seq == expected + 1 else f"#{expected}–#{seq - 1}"
            breaks.append(ChainBreak(site_id, seq, eid, f"entries {missing} are missing"))
        if prev_hash != prev:
            breaks.append(
                ChainBreak(site_id, seq, eid, "prev_hash does not match the entry before it")
            )
        now = row_digest(
            site_id, seq, kind, material, tonnes, on_text, document, delivery_id, by, at_text,
            prev_hash, docs, correction_id,
        )  # fmt: skip
        if now != digest_now:
            breaks.append(
                ChainBreak(site_id, seq, eid, "content does not match its hash (altered)")
            )
        elif tonnes != round(tonnes, 3):
            # the hash covers tonnes to the kilogram; finer digits were written behind its back
            breaks.append(
                ChainBreak(site_id, seq, eid, "tonnes are finer than the hash covers (altered)")
            )
        prev = digest_now
        expected = seq + 1
        site_rows.append(
            (eid, site_id, seq, kind, material, tonnes, on_text, document, delivery_id, by,
             at_text, prev_hash, digest_now, docs, correction_id, attestation)
        )  # fmt: skip
    if current is not None:
        close(current, site_rows)
    return breaks, seen, entries


def chain_report(
    session: Session,
    heads: Mapping[int, tuple[int, str]],
    site_ids: list[int] | None,
    walked: tuple[list[ChainBreak], set[int], int],
) -> dict[str, Any]:
    """`verify_all`'s answer from what `walk` found, with the yards whose every entry was
    deleted (they still have their head)."""
    breaks, seen, entries = walked
    breaks = list(breaks)
    for site_id, head in heads.items():
        if site_id not in seen and (site_ids is None or site_id in site_ids):
            breaks.extend(head_breaks(site_id, head, None, lambda _seq: None))
    names = dict(session.exec(select(col(Site.id), col(Site.name))).all())
    return {
        "ok": not breaks,
        "sites_checked": len(seen | set(heads)),
        "entries_checked": entries,
        "breaks": [
            {
                "site_id": b.site_id,
                "site": names.get(b.site_id),
                "seq": b.seq,
                "entry_id": b.entry_id,
                "problem": b.problem,
                "message": b.describe(),
            }
            for b in breaks
        ],
    }


def verify_all(
    session: Session,
    site_ids: list[int] | None = None,
    *,
    keep: Keep | None = None,
    progress: Progress | None = None,
    span: tuple[float, float] = (0.0, 1.0),
) -> dict[str, Any]:
    """Every chain (or those of `site_ids`), with the breaks `ledger.verify_chain` would name.
    `keep` sees each site's rows, so a check that needs them too (the seals) reads the ledger
    once; `progress` hears the share of entries walked, scaled into `span`."""
    heads = heads_of(session)
    total = count_entries(session, site_ids) if progress is not None else 0
    lo, hi = span

    def tick(entries: int) -> None:
        if progress is not None:
            progress(lo + (hi - lo) * entries / max(total, 1), "chains")

    walked = walk(rows(session, site_ids), heads, keep, tick)
    if progress is not None:
        progress(hi, "chains")
    return chain_report(session, heads, site_ids, walked)
