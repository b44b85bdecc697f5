"""How long the papers take at the demo's size: the transfer manifest and contract PDFs, and
the statutory 台账 of the demo's busiest yard for a year, each beside a baseline in the same run.

    python -m benchmarks.papers_bench              # a scratch SQLite demo database
    python -m benchmarks.papers_bench --runs 9

Baselines: the same manifest laid out with a core PDF font (Helvetica, ASCII only, nothing
embedded), which prices the embedded Chinese font; and the audit's summary for the same producer
and year, which prices the 台账's record tables and the workbook over the figures alone.
Timings are medians; each read runs in a fresh read session.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

from market import audit, clock, statutory
from market.auth import actor_for
from market.db import Database
from market.migrate import upgrade
from market.papers import facts, pdf
from market.seed import seed_demo, sync_catalogue
from market.settings import Settings
from market.tables import Delivery, LedgerEntry, Site, User

SETTINGS = Settings(
    secret_key="bench-" + "x" * 40,
    seal_key_file=str(Path(tempfile.mkdtemp(prefix="papers-bench-key-")) / "seal.pem"),
)


def timed(fn: Callable[[], Any], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def ascii_manifest(d: facts.DeliveryFacts) -> bytes:
    """The baseline: the same kind of page with a core font and no font embedded."""
    doc = pdf.FPDF(format="A4")
    doc.set_font("Helvetica", size=10)
    for _copy in range(3):
        doc.add_page()
        doc.cell(0, 9, f"Transfer manifest {d.manifest_no}", new_x="LMARGIN", new_y="NEXT")
        for label in (
            "producer",
            "recycler",
            "contract",
            "waste",
            "code",
            "class",
            "use",
            "tonnes",
            "plate",
            "driver",
            "dispatched",
            "received",
            "at",
            "url",
        ):
            doc.cell(50, 9, label, border=1)
            doc.cell(0, 9, f"{d.tonnes:.3f}", border=1, new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="papers-bench-") as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        started = time.perf_counter()
        upgrade(url)
        db = Database(url)
        sync_catalogue(db)
        seed_demo(db, SETTINGS)
        print(f"demo seeded in {time.perf_counter() - started:.1f} s")
        with db.read_session() as s:
            regulator = actor_for(s, s.exec(select(User).where(User.role == "regulator")).first())
            delivery_id = s.exec(select(func.max(Delivery.id))).one()
            site_id, entries = s.exec(
                select(LedgerEntry.site_id, func.count())
                .group_by(col(LedgerEntry.site_id))
                .order_by(func.count().desc())
            ).first()
            org_id = s.get(Site, site_id).organisation_id
            d = facts.delivery_facts(s, regulator, delivery_id)
            c = facts.contract_facts(s, regulator, d.contract.id)
        year = audit.Period.year_of(clock.today().year - 1)

        def workbook() -> bytes:
            with db.read_session() as s:
                data = statutory.build(s, statutory.scope_of_site(s, regulator, site_id), year)
            return statutory.workbook(data)

        def summary() -> Any:
            with db.read_session() as s:
                return audit.summary(s, regulator, year, audit.Scope(organisation_id=org_id))

        rows = [
            (
                "manifest PDF, 3 pages, embedded font",
                lambda: pdf.manifest_pdf(d, "http://x/r"),
                "same pages, core font",
                lambda: ascii_manifest(d),
            ),
            (
                "contract PDF",
                lambda: pdf.contract_pdf(c),
                "manifest PDF",
                lambda: pdf.manifest_pdf(d, "http://x/r"),
            ),
            (
                f"台账 workbook, yard {site_id} ({entries} entries), {year.label}",
                workbook,
                "audit summary, same producer and year",
                summary,
            ),
        ]
        print()
        print("| what | median s | baseline | baseline s | ratio |")
        print("|---|---|---|---|---|")
        for name, fn, base_name, base in rows:
            ours, theirs = timed(fn, args.runs), timed(base, args.runs)
            print(f"| {name} | {ours:.3f} | {base_name} | {theirs:.3f} | {ours / theirs:.1f}x |")
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
