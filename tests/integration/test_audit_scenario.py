"""A hand-computed audit: two phosphogypsum producers and a red-mud producer over two quarters of
2025, written through the services, every figure and flag checked, on SQLite and PostgreSQL.

The ledger, by yard (all tonnes; r is the producer's t phosphogypsum per t P2O5):

Producer A (r = 4.8), yard at 安宁 (昆明市):
  2025-01-01 opening survey 1 000 000
  Q1  generation 50 000, P2O5 10 000, own use 20 000, treatment 15 000            (all 03-31)
      D1: dispatched 12 000 on 02-10 under a contract from a proposal (road 50 km),
          received 11 900 on 02-10 (within the 2 % weighbridge tolerance)
      D2: dispatched 10 000 on 03-28 under a contract made without a proposal,
          received 9 000 on 04-02 (10 % short: disputed), settled at 9 500 → counts on 04-02
  Q2  generation 60 000, P2O5 12 500, own use 25 000, treatment 30 000            (all 06-30)
      disposal 2 000 (05-15), correction −1 500 (06-30)
Producer B (r = policy default 5.0), yard 1 at 个旧 (红河州), yard 2 at 麒麟 (曲靖市):
  2025-01-01 opening surveys 500 000 (yard 1) and 100 000 (yard 2)
  Q1  yard 1: generation 30 000, P2O5 8 000, own use 10 000, treatment 25 000
  Q2  yard 1: generation 40 000, P2O5 8 000, own use 12 000, treatment 20 000
      yard 2: generation 5 000, own use 5 000                                    (05-31)
Producer C (red mud), yard at 文山 (文山州):
  2025-01-01 opening survey 200 000; Q1 generation 10 000, own use 7 000

以用定产 (trajectory floor for 2025: C ÷ G ≥ 1.00; generation tolerance 15 %):
  A Q1: G 50 000, U 20 000 + 11 900 = 31 900, T 15 000, C 46 900, ΔS +3 100,
        opening 1 000 000, closing 1 003 100, ledger 993 000 (10 000 in transit, 100 short),
        P 10 000, P r 48 000 (4.2 % off), allowance — (no 2024-Q4 on the ledger),
        next 46 900 ÷ 4.8 = 9 770.833 → stock_increment_positive, below_trajectory (0.938)
  A Q2: G 60 000, U 25 000 + 9 500 = 34 500, T 30 000, C 64 500, ΔS −4 500,
        opening 993 000, closing 988 500, ledger 993 000 + 60 000 − 25 000 − 30 000 − 2 000
        − 1 500 = 994 500, P 12 500 > allowance 9 770.833 → output_above_allowance
  B Q1: G 30 000, U 10 000, T 25 000, C 35 000, ΔS −5 000, opening 600 000, closing 595 000,
        P 8 000, P r 40 000 (25 % off) → generation_inconsistent; next 7 000
  B Q2: G 45 000, U 17 000, T 20 000, C 37 000, ΔS +8 000, P 8 000 > allowance 7 000,
        P r 40 000 (12.5 % off: fine), C ÷ G 0.822
        → output_above_allowance, stock_increment_positive, below_trajectory
  2025: A G 110 000, C 111 400 → no flag; B G 75 000, C 72 000 → stock_increment_positive,
        below_trajectory (P r 80 000: 6.25 % off, fine)
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from geo.distance import geodesic_km
from market import audit
from market.errors import InvalidInput, NotAllowed, NotFound
from seed_data import load_catalogue
from tests.support import builders as b
from tests.support.worlds import FLOW, STOCK_FLOW, AuditWorld, audit_world, figures_of


@pytest.fixture
def world(db, settings) -> AuditWorld:
    return audit_world(db, settings)


def pg(db, w: AuditWorld, period: str) -> dict[int, dict]:
    with db.read_session() as s:
        table = audit.phosphogypsum_table(s, w.regulator, audit.parse_period(period))
    assert table["period"] == period
    return {row["organisation_id"]: row for row in table["rows"]}


def summary(db, w: AuditWorld, period: str, **scope):
    with db.read_session() as s:
        return audit.summary(s, w.regulator, audit.parse_period(period), audit.Scope(**scope))


CONTRACT_FIELDS = [
    "organisation_id",
    "organisation",
    *STOCK_FLOW,
    "p2o5_t",
    "implied_generation_t",
    "ratio",
    "p2o5_allowance_t",
    "next_p2o5_allowance_t",
    "flags",
]


def contract_view(row: dict) -> dict:
    return {k: row[k] for k in CONTRACT_FIELDS}


def test_the_first_quarter_of_yiyongdingchan(db, world):
    w = world
    rows = pg(db, w, "2025-Q1")
    assert set(rows) == {w.a.organisation_id, w.b.organisation_id}  # not the red-mud producer
    assert contract_view(rows[w.a.organisation_id]) == {
        "organisation_id": w.a.organisation_id,
        "organisation": "磷化工A",
        "generated_t": 50_000,
        "utilised_t": 31_900,
        "treated_t": 15_000,
        "consumed_t": 46_900,
        "stock_increment_t": 3_100,
        "opening_stock_t": 1_000_000,
        "closing_stock_t": 1_003_100,
        "p2o5_t": 10_000,
        "implied_generation_t": 48_000,
        "ratio": 4.8,
        "p2o5_allowance_t": None,
        "next_p2o5_allowance_t": 9_770.833,
        "flags": ["stock_increment_positive", "below_trajectory"],
    }
    assert rows[w.a.organisation_id]["ledger_closing_stock_t"] == 993_000
    assert rows[w.a.organisation_id]["consumption_rate"] == 0.938
    assert contract_view(rows[w.b.organisation_id]) == {
        "organisation_id": w.b.organisation_id,
        "organisation": "磷化工B",
        "generated_t": 30_000,
        "utilised_t": 10_000,
        "treated_t": 25_000,
        "consumed_t": 35_000,
        "stock_increment_t": -5_000,
        "opening_stock_t": 600_000,
        "closing_stock_t": 595_000,
        "p2o5_t": 8_000,
        "implied_generation_t": 40_000,
        "ratio": 5.0,
        "p2o5_allowance_t": None,
        "next_p2o5_allowance_t": 7_000,
        "flags": ["generation_inconsistent"],
    }
    assert rows[w.b.organisation_id]["ledger_closing_stock_t"] == 595_000


def test_the_second_quarter_takes_its_allowance_from_the_first(db, world):
    w = world
    rows = pg(db, w, "2025-Q2")
    assert contract_view(rows[w.a.organisation_id]) == {
        "organisation_id": w.a.organisation_id,
        "organisation": "磷化工A",
        "generated_t": 60_000,
        "utilised_t": 34_500,
        "treated_t": 30_000,
        "consumed_t": 64_500,
        "stock_increment_t": -4_500,
        "opening_stock_t": 993_000,
        "closing_stock_t": 988_500,
        "p2o5_t": 12_500,
        "implied_generation_t": 60_000,
        "ratio": 4.8,
        "p2o5_allowance_t": 9_770.833,
        "next_p2o5_allowance_t": 13_437.5,
        "flags": ["output_above_allowance"],
    }
    assert rows[w.a.organisation_id]["ledger_closing_stock_t"] == 994_500
    assert contract_view(rows[w.b.organisation_id]) == {
        "organisation_id": w.b.organisation_id,
        "organisation": "磷化工B",
        "generated_t": 45_000,
        "utilised_t": 17_000,
        "treated_t": 20_000,
        "consumed_t": 37_000,
        "stock_increment_t": 8_000,
        "opening_stock_t": 595_000,
        "closing_stock_t": 603_000,
        "p2o5_t": 8_000,
        "implied_generation_t": 40_000,
        "ratio": 5.0,
        "p2o5_allowance_t": 7_000,
        "next_p2o5_allowance_t": 7_400,
        "flags": ["output_above_allowance", "stock_increment_positive", "below_trajectory"],
    }


def test_the_year_and_a_month(db, world):
    w = world
    rows = pg(db, w, "2025")
    a, bb = rows[w.a.organisation_id], rows[w.b.organisation_id]
    assert figures_of(a, FLOW) == (110_000, 66_400, 45_000, 111_400)
    assert (a["stock_increment_t"], a["closing_stock_t"], a["ledger_closing_stock_t"]) == (
        -1_400,
        998_600,
        994_500,
    )
    assert (a["p2o5_t"], a["implied_generation_t"], a["p2o5_allowance_t"]) == (
        22_500,
        108_000,
        None,
    )
    # July to December are not reported, and their due days have passed
    assert a["next_p2o5_allowance_t"] == 23_208.333 and a["flags"] == ["report_overdue"]
    assert (a["report_status"], a["months_approved"], a["months_due"]) == ("partial", 6, 12)
    assert (bb["generated_t"], bb["consumed_t"], bb["stock_increment_t"]) == (75_000, 72_000, 3_000)
    assert bb["flags"] == ["stock_increment_positive", "below_trajectory", "report_overdue"]
    # April: only D2's settled receipt; March's consumption sets April's allowance
    april = pg(db, w, "2025-04")[w.a.organisation_id]
    assert (april["generated_t"], april["utilised_t"], april["consumed_t"]) == (0, 9_500, 9_500)
    assert april["p2o5_allowance_t"] == round(35_000 / 4.8, 3)
    assert april["flags"] == []


def test_the_summary_by_material_and_prefecture(db, world):
    w = world
    q1 = summary(db, w, "2025-Q1")
    t = q1["totals"]
    assert figures_of(t, FLOW) == (90_000, 48_900, 40_000, 88_900)
    assert (t["disposed_t"], t["dispatched_t"], t["corrected_t"]) == (0, 22_000, 0)
    assert (t["opening_stock_t"], t["closing_stock_t"], t["stock_increment_t"]) == (
        1_800_000,
        1_791_000,
        1_100,
    )
    assert (t["utilisation_rate"], t["consumption_rate"]) == (0.543333, 0.987778)
    assert t["utilisation_target"] == 0.60 and t["meets_utilisation_target"] is False
    by_m = {r["material"]: r for r in q1["by_material"]}
    assert list(by_m) == ["phosphogypsum", "red_mud"]  # by priority
    pgm = by_m["phosphogypsum"]
    assert figures_of(pgm, FLOW) == (80_000, 41_900, 40_000, 81_900)
    assert (pgm["opening_stock_t"], pgm["closing_stock_t"], pgm["p2o5_t"]) == (
        1_600_000,
        1_588_000,
        18_000,
    )
    assert (pgm["utilisation_rate"], pgm["consumption_rate"]) == (0.52375, 1.02375)
    assert (pgm["utilisation_target"], pgm["consumption_target"]) == (0.75, 1.0)
    rm = by_m["red_mud"]
    assert (rm["generated_t"], rm["utilised_t"], rm["utilisation_rate"]) == (10_000, 7_000, 0.7)
    assert (rm["opening_stock_t"], rm["closing_stock_t"], rm["meets_utilisation_target"]) == (
        200_000,
        203_000,
        True,
    )
    by_p = {r["prefecture"]: r for r in q1["by_prefecture"]}
    assert set(by_p) == {"昆明市", "红河哈尼族彝族自治州", "曲靖市", "文山壮族苗族自治州"}
    km = by_p["昆明市"]
    assert (km["generated_t"], km["consumed_t"], km["closing_stock_t"]) == (50_000, 46_900, 993_000)
    assert by_p["曲靖市"]["opening_stock_t"] == 100_000 and by_p["曲靖市"]["generated_t"] == 0
    assert {r["county"] for r in q1["by_county"]} == {"安宁市", "个旧市", "麒麟区", "文山市"}

    q2 = summary(db, w, "2025-Q2")["totals"]
    assert figures_of(q2, FLOW) == (105_000, 51_500, 50_000, 101_500)
    assert (q2["disposed_t"], q2["dispatched_t"], q2["corrected_t"]) == (2_000, 0, -1_500)
    assert (q2["opening_stock_t"], q2["closing_stock_t"]) == (1_791_000, 1_800_500)


def test_the_summary_scoped_to_a_prefecture_county_organisation_or_material(db, world):
    w = world
    kunming = summary(db, w, "2025-Q2", prefecture_code=w.yard_a.prefecture_code)["totals"]
    assert (kunming["generated_t"], kunming["consumed_t"], kunming["disposed_t"]) == (
        60_000,
        64_500,
        2_000,
    )
    assert (kunming["opening_stock_t"], kunming["closing_stock_t"]) == (993_000, 994_500)
    county = summary(db, w, "2025-Q2", county_code=w.yard_b2.county_code)["totals"]
    assert (county["generated_t"], county["utilised_t"], county["opening_stock_t"]) == (
        5_000,
        5_000,
        100_000,
    )
    org = summary(db, w, "2025-Q2", organisation_id=w.b.organisation_id)
    assert org["totals"]["generated_t"] == 45_000
    assert {r["prefecture"] for r in org["by_prefecture"]} == {"红河哈尼族彝族自治州", "曲靖市"}
    red = summary(db, w, "2025", material="red_mud")
    assert [r["material"] for r in red["by_material"]] == ["red_mud"]
    assert red["totals"]["generated_t"] == 10_000 and red["totals"]["utilisation_target"] == 0.6
    pg_only = summary(db, w, "2025", material="phosphogypsum")["totals"]
    assert pg_only["utilisation_target"] == 0.75 and pg_only["consumption_target"] == 1.0


def test_carbon_of_the_haul_and_of_the_virgin_material_replaced(db, world, settings):
    w = world
    cat = load_catalogue()
    q1 = summary(db, w, "2025-Q1")
    by_m = {r["material"]: r for r in q1["by_material"]}
    d2_km = geodesic_km(*b.ANNING, *b.KUNMING) * settings.circuity
    # D1: 12 000 t × 50 km (the proposal's road); D2: 10 000 t × geodesic × circuity
    transport = (12_000 * 50.0 + 10_000 * d2_km) * settings.co2_kg_per_t_km / 1000
    assert by_m["phosphogypsum"]["transport_co2_t"] == pytest.approx(transport, abs=1e-3)
    assert by_m["red_mud"]["transport_co2_t"] == 0
    assert by_m["phosphogypsum"]["avoided_co2_t"] == pytest.approx(
        41_900 * cat.materials["phosphogypsum"].avoided_co2_kg_per_t / 1000
    )
    assert by_m["red_mud"]["avoided_co2_t"] == pytest.approx(
        7_000 * cat.materials["red_mud"].avoided_co2_kg_per_t / 1000
    )
    by_p = {r["prefecture"]: r for r in q1["by_prefecture"]}
    assert by_p["昆明市"]["transport_co2_t"] == pytest.approx(transport, abs=1e-3)
    assert q1["totals"]["avoided_co2_t"] == pytest.approx(
        by_m["phosphogypsum"]["avoided_co2_t"] + by_m["red_mud"]["avoided_co2_t"]
    )
    assert summary(db, w, "2025-Q2")["totals"]["transport_co2_t"] == 0  # nothing dispatched


def test_every_figure_lists_the_entries_behind_it(db, world):
    w = world
    a = w.a.organisation_id

    def listing(period, kind, **scope):
        with db.read_session() as s:
            return audit.ledger_entries(
                s,
                w.regulator,
                audit.parse_period(period),
                audit.Scope(organisation_id=a, **scope),
                kind=kind,
            )

    consumed = listing("2025-Q2", "consumed", material="phosphogypsum")
    assert consumed["count"] == 3 and consumed["tonnes"] == 64_500
    receipts = [e for e in consumed["entries"] if e["receipt"]]
    assert [(e["tonnes"], e["manifest_no"], e["occurred_on"]) for e in receipts] == [
        (9_500, "M-2", "2025-04-02")
    ]
    utilised = listing("2025-Q1", "utilised")
    assert utilised["count"] == 2 and utilised["tonnes"] == 31_900
    assert listing("2025-Q1", "generation")["tonnes"] == 50_000
    assert listing("2025-Q2", "p2o5")["tonnes"] == 12_500
    assert listing("2025-Q1", None)["count"] == 8  # opening, 4 postings, 2 dispatches, 1 receipt
    stock = listing("2025-Q1", "stock")
    assert sum(e["stock_effect_t"] for e in stock["entries"]) == 993_000
    page = listing("2025", None)
    assert [e["occurred_on"] for e in page["entries"]] == sorted(
        e["occurred_on"] for e in page["entries"]
    )
    with pytest.raises(InvalidInput, match="^kind: 'eaten' is not one of"):
        listing("2025", "eaten")


def test_the_default_period_is_the_latest_complete_one_in_the_ledger(db, world):
    with db.read_session() as s:
        # the ledger runs to 2025-06-30: no complete year, so the latest complete quarter
        assert audit.default_period(s, today=date(2026, 1, 10)).label == "2025-Q2"
        assert audit.default_period(s, today=date(2025, 5, 20)).label == "2025-Q1"
        labels = [p.label for p in audit.period_choices(s)]
    assert labels == ["2025", "2025-Q2", "2025-Q1", *[f"2025-{m:02d}" for m in range(6, 0, -1)]]


def test_only_overseers_may_audit_and_scopes_are_checked(db, world):
    w = world
    with db.read_session() as s:
        for who in (w.a, w.recycler):
            with pytest.raises(NotAllowed):
                audit.summary(s, who, audit.parse_period("2025"))
            with pytest.raises(NotAllowed):
                audit.phosphogypsum_table(s, who, audit.parse_period("2025"))
            with pytest.raises(NotAllowed):
                audit.verify(s, who)
        with pytest.raises(NotFound, match="^organisation: 999999 does not exist"):
            audit.summary(s, w.regulator, None, audit.Scope(organisation_id=999999))
    with pytest.raises(InvalidInput, match="^prefecture: 1 is not the code"):
        audit.parse_scope({"prefecture": "1"})
    with pytest.raises(InvalidInput, match="^county: 'x1' is not a whole number"):
        audit.parse_scope({"county": "x1"})
    with pytest.raises(InvalidInput, match="^material: 'gold'"):
        audit.parse_scope({"material": "gold"})


def test_nothing_is_stored_by_auditing(db, world):
    from sqlmodel import func

    from market.tables import LedgerEntry

    with db.read_session() as s:
        before = s.exec(select(func.count()).select_from(LedgerEntry)).one()
        audit.summary(s, world.regulator, audit.parse_period("2025"))
        audit.phosphogypsum_table(s, world.regulator, audit.parse_period("2025"))
        assert audit.verify(s, world.regulator)["ok"] is True
        assert s.exec(select(func.count()).select_from(LedgerEntry)).one() == before
