"""A hand-computed 以用定产 over three quarters of 2025 with approved months, a restatement, an
attested and a rejected claim, and a two-sided settlement, on SQLite and PostgreSQL.

Producer P (r = 5.0, the policy default), one yard at 安宁; trajectory floor for 2025: C ÷ G ≥ 1.00.

  2025-01-01 opening survey 500 000
  Q1  generation 30 000, P2O5 6 000, own use 12 000 (attested), treatment 10 000 (attested)
      D1 dispatched 8 000 on 02-10, received 7 900 on 02-11 (within 2 %)
  Q2  generation 40 000, P2O5 6 500, own use 15 000 (REJECTED), treatment 20 000 (attested)
      D2 dispatched 10 000 on 05-10, received 9 000 on 05-11 (10 % short: disputed); the
      producer proposes 10 000, the recycler 9 400, the producer agrees to 9 400
  Q3  generation 35 000, P2O5 7 000, treatment 30 000 (attested), own use 8 000 (pending)
      August restated: generation −2 000 (a ticket counted twice), asked by P, approved
  January to September reported and approved.

  Q1: G 30 000, U 12 000 + 7 900 = 19 900, T 10 000, C 29 900, ΔS +100, C ÷ G 0.997,
      P×r 30 000 = G, allowance unknown (2024-Q4 not on the ledger), next 29 900 ÷ 5 = 5 980
      → stock_increment_positive, below_trajectory
  Q2: G 40 000, U 9 400 (the rejected 15 000 counts zero), T 20 000, C 29 400, ΔS +10 600,
      P 6 500 > allowance 5 980; P×r 32 500, G 23 % above it; next 5 880
      → output_above_allowance, stock_increment_positive, below_trajectory,
        generation_inconsistent
  Q3: G 35 000 − 2 000 = 33 000, U 0 (8 000 claimed, not attested), T 30 000, C 30 000,
      ΔS +3 000, P 7 000 > allowance 5 880; P×r 35 000 (5.7 % off: fine)
      → output_above_allowance, stock_increment_positive, below_trajectory, restated
  Ledger stock (the producer's own record, claims included): end of Q1 500 000 − 8 000 +
  30 000 − 22 000 = 500 000; Q2 + 40 000 − 15 000 − 20 000 − 10 000 = 495 000; Q3 + 33 000 −
  30 000 − 8 000 = 490 000.
"""

from __future__ import annotations

import pytest

from market import audit
from market.services import corrections, deliveries
from market.tables import Contract
from tests.support import builders as b
from tests.support.worlds import STOCK_FLOW

KEY = b.seal_key()


@pytest.fixture
def world(db, settings):
    p = b.actor(db, "producer", "磷化工P")
    recycler = b.actor(db, "recycler", "石膏板R")
    regulator = b.regulator(db)
    yard = b.site(db, p, b.ANNING).id
    plant = b.site(db, recycler, b.KUNMING).id
    b.entry(db, p, yard, "opening", 500_000, "2025-01-01")

    def quarter_end(day, gen, p2o5, claims):
        b.entry(db, p, yard, "generation", gen, day)
        b.entry(db, p, yard, "p2o5_output", p2o5, day)
        out = {}
        for kind, tonnes, decide in claims:
            out[kind] = b.entry(db, p, yard, kind, tonnes, day, attest=decide == "attested")
            if decide == "rejected":
                with db.unit_of_work() as uow:
                    corrections.attest(
                        uow,
                        regulator,
                        out[kind].id,
                        {"decision": "rejected", "note": "no weighbridge record"},
                        KEY,
                    )
        return out

    lot = b.lot(db, p, yard, tonnes=40_000)
    offer = b.offer(db, recycler, plant, capacity_t=40_000)
    with db.unit_of_work() as uow:
        contract = Contract(
            lot_id=lot.id, offer_id=offer.id, tonnes=18_000, price_cny_t=5, created_by=p.user_id
        )
        uow.session.add(contract)
        uow.commit()
    b.backdate_contract(db, contract.id, "2025-02-01")

    def deliver(manifest, tonnes, sent, received, at):
        dispatch = {"tonnes": tonnes, "manifest_no": manifest, "dispatched_at": sent}
        receipt = {"received_tonnes": received, "received_at": at}
        return b.deliver(db, settings, p, recycler, contract.id, dispatch, receipt)

    deliver("Q1-1", 8_000, "2025-02-10T02:00:00Z", 7_900, "2025-02-11T02:00:00Z")
    quarter_end(
        "2025-03-31",
        30_000,
        6_000,
        [("utilisation", 12_000, "attested"), ("treatment", 10_000, "attested")],
    )
    d2 = deliver("Q2-1", 10_000, "2025-05-10T02:00:00Z", 9_000, "2025-05-11T02:00:00Z")
    assert d2.status == "disputed"
    for who, tonnes in ((p, 10_000), (recycler, 9_400), (p, 9_400)):
        with db.unit_of_work() as uow:
            settled, agreed = deliveries.propose_settlement(
                uow, who, d2.id, {"settled_tonnes": tonnes, "note": "weighbridge"}
            )
    assert agreed and settled.settled_tonnes == 9_400
    quarter_end(
        "2025-06-30",
        40_000,
        6_500,
        [("utilisation", 15_000, "rejected"), ("treatment", 20_000, "attested")],
    )
    quarter_end(
        "2025-09-30",
        35_000,
        7_000,
        [("treatment", 30_000, "attested"), ("utilisation", 8_000, "pending")],
    )
    b.approve_months(db, p, yard, "2025-01", "2025-09")
    with db.unit_of_work() as uow:
        req = corrections.request(
            uow,
            p,
            yard,
            {
                "period": "2025-08",
                "material": "phosphogypsum",
                "kind": "generation",
                "tonnes": -2_000,
                "reason": "a weighbridge ticket counted twice",
            },
        )
    with db.unit_of_work() as uow:
        corrections.approve(uow, regulator, req.id, {"note": "ticket checked"}, KEY)
    return {"p": p, "regulator": regulator, "recycler": recycler}


def row(db, w, period):
    with db.read_session() as s:
        table = audit.phosphogypsum_table(s, w["regulator"], audit.parse_period(period))
    (only,) = table["rows"]
    assert only["organisation"] == "磷化工P"
    return only


FIGURES = (
    *STOCK_FLOW,
    "ledger_closing_stock_t",
    "p2o5_t",
    "implied_generation_t",
    "p2o5_allowance_t",
    "next_p2o5_allowance_t",
    "claimed_unattested_t",
    "rejected_claims_t",
)


def figures(r):
    return dict(zip(FIGURES, (r[k] for k in FIGURES), strict=True))


def expected(*values):
    """The figures a row should show, in `FIGURES` order."""
    return dict(zip(FIGURES, values, strict=True))


def test_the_first_quarter(db, world):
    r = row(db, world, "2025-Q1")
    assert figures(r) == expected(
        30_000,
        19_900,
        10_000,
        29_900,
        100,
        500_000,
        500_100,
        500_000,
        6_000,
        30_000,
        None,
        5_980,
        0,
        0,
    )
    assert r["flags"] == ["stock_increment_positive", "below_trajectory"]
    assert (r["report_status"], r["months_approved"], r["months_due"]) == ("approved", 3, 3)
    assert r["previous_period_approved"] is False


def test_the_second_quarter_counts_the_settlement_and_not_the_rejected_claim(db, world):
    r = row(db, world, "2025-Q2")
    assert figures(r) == expected(
        40_000,
        9_400,
        20_000,
        29_400,
        10_600,
        500_000,
        510_600,
        495_000,
        6_500,
        32_500,
        5_980,
        5_880,
        0,
        15_000,
    )
    assert r["flags"] == [
        "output_above_allowance",
        "stock_increment_positive",
        "below_trajectory",
        "generation_inconsistent",
    ]
    assert r["previous_period_approved"] is True and r["report_status"] == "approved"


def test_the_third_quarter_is_restated_and_its_pending_claim_does_not_count(db, world):
    w = world
    r = row(db, w, "2025-Q3")
    assert figures(r) == expected(
        33_000,
        0,
        30_000,
        30_000,
        3_000,
        495_000,
        498_000,
        490_000,
        7_000,
        35_000,
        5_880,
        6_000,
        8_000,
        0,
    )
    assert r["flags"] == [
        "output_above_allowance",
        "stock_increment_positive",
        "below_trajectory",
        "restated",
    ]
    (change,) = r["restatements"]
    assert (change["period"], change["tonnes"], change["reason"]) == (
        "2025-08",
        -2_000,
        "a weighbridge ticket counted twice",
    )
    assert (change["requested_by"], change["approved_by"]) == (
        w["p"].username,
        w["regulator"].username,
    )


def test_the_year_so_far_is_partly_approved_and_its_last_quarter_overdue(db, world):
    r = row(db, world, "2025")
    assert (r["generated_t"], r["consumed_t"]) == (103_000, 89_300)
    assert (r["report_status"], r["months_approved"], r["months_due"]) == ("partial", 9, 12)
    assert r["overdue_months"] == ["2025-10", "2025-11", "2025-12"]
    assert r["flags"][-2:] == ["report_overdue", "restated"]


def test_the_chart_shows_approved_months_and_gaps_never_zeros(db, world):
    # something happens today: the months since September are not reported yet
    today = b.days_ago(0)
    b.entry(db, world["p"], b.site_of(db, world["p"]), "generation", 500, today)
    with db.read_session() as s:
        series = audit.drawdown(s, world["regulator"], audit.Scope(material="phosphogypsum"))
    months = series["months"]
    assert months[0] == "2025-01" and months[-1] == today[:7]
    consumed = dict(zip(months, series["consumed_t"], strict=True))
    assert (consumed["2025-05"], consumed["2025-06"], consumed["2025-09"]) == (
        9_400,
        20_000,
        30_000,
    )
    assert consumed["2025-10"] is None and consumed[today[:7]] is None
    stock = dict(zip(months, series["closing_stock_t"], strict=True))
    assert stock["2025-09"] == 490_000 and stock["2025-10"] is None
    with db.read_session() as s:
        assert audit.verify(s, world["regulator"], seal_key=KEY)["ok"] is True
