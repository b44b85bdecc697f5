"""The planner and the siting analysis over real tables, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from market import planning
from market.auth import Actor
from market.db import Database
from market.errors import InvalidInput, NotAllowed
from market.settings import Settings
from tests.support import builders
from tests.support.builders import ANNING, JINNING, LANPING, WENSHAN

START = planning.month_start(date.today())


def month_end(first: date) -> date:
    return planning.add_months(first, 1) - timedelta(days=1)


def post(db: Database, who: Actor, site_id: int, kind: str, tonnes: float, on: date) -> None:
    builders.entry(db, who, site_id, kind, tonnes, on, document_text=f"{kind} {on:%Y-%m}")


@pytest.fixture
def market(db: Database) -> dict[str, Any]:
    """Anning: 500 t surveyed 8 months ago, 1,200 t a month made then 600 t a month for the
    last six, 100 t a month of own use; Lanping: 50,000 t, far beyond any plant's reach; one
    plant near Anning taking 1,000 t a month for 13 months."""
    producer = builders.actor(db, "producer", "安宁磷化（测试）")
    anning = builders.site(db, producer, ANNING, name="安宁渣场")
    far = builders.actor(db, "producer", "兰坪铅锌（测试）")
    lanping = builders.site(db, far, LANPING, name="兰坪渣场")
    assert anning.id is not None and lanping.id is not None
    post(db, producer, anning.id, "opening", 500, planning.add_months(START, -8))
    for back in range(8, 0, -1):
        first = planning.add_months(START, -back)
        post(db, producer, anning.id, "generation", 1200 if back > 6 else 600, month_end(first))
        if back <= 6:
            post(db, producer, anning.id, "utilisation", 100, month_end(first))
    post(db, far, lanping.id, "opening", 50_000, planning.add_months(START, -3))
    builders.lot(db, producer, anning.id, tonnes=2000)

    recycler = builders.actor(db, "recycler", "晋宁石膏（测试）")
    plant = builders.site(db, recycler, JINNING, name="晋宁石膏板厂")
    assert plant.id is not None
    builders.offer(
        db,
        recycler,
        plant.id,
        capacity_t=13_000,
        period_start=date.today().isoformat(),
        period_end=month_end(planning.add_months(START, 12)).isoformat(),
    )
    regulator = builders.actor(db, "regulator")
    return {"regulator": regulator, "anning": anning, "lanping": lanping, "plant": plant}


def test_the_plan_draws_anning_down_to_zero_in_its_twelfth_month(
    db: Database, market: dict[str, Any], settings: Settings
) -> None:
    plan = planning.drawdown(db, market["regulator"], settings, {"materials": ["phosphogypsum"]})
    assert plan["status"] == "optimal"
    assert plan["horizon_months"] == 36 and len(plan["months"]) == 37
    (pg,) = plan["materials"]
    anning = next(y for y in pg["yards"] if y["yard"] == "安宁渣场")
    # today: 500 + 2 × 1,200 + 6 × 600 − 6 × 100; then −500 a month (1,000 out, 500 net in)
    assert anning["stock_t"][:3] == [5900, 5400, 4900]
    assert anning["monthly_generation_t"] == 600
    assert anning["monthly_own_use_t"] == 100
    assert anning["zero_month"] == f"{planning.add_months(START, 11):%Y-%m}"
    lanping = next(y for y in pg["yards"] if y["yard"] == "兰坪渣场")
    assert lanping["zero_month"] is None and lanping["stock_t"][-1] == 50_000

    producers = {p["producer"]: p for p in pg["producers"]}
    assert producers["安宁磷化（测试）"]["zero_month_index"] == 11
    assert producers["兰坪铅锌（测试）"]["zero_month"] is None
    assert pg["producers"][0]["producer"] == "安宁磷化（测试）"  # soonest to zero first

    (plant,) = plan["plants"]
    assert plant["plant"] == "晋宁石膏板厂" and plant["recycler"] == "晋宁石膏（测试）"
    assert plant["bottleneck"] and plant["saturated_months"] == 11 and plant["active_months"] == 13
    assert plant["capacity_t"] == 13_000
    assert plant["shipped_t"] == 5900 + 13 * 500
    assert plant["marginal"] is not None
    assert plan["offers"][0]["capacity_by_month_t"][:13] == [1000] * 13


def test_renewed_offers_and_a_shorter_horizon_are_the_regulators_choice(
    db: Database, market: dict[str, Any], settings: Settings
) -> None:
    plan = planning.drawdown(
        db,
        market["regulator"],
        settings,
        {"horizon_months": "18", "renew_offers": "on", "materials": "phosphogypsum"},
    )
    assert plan["horizon_months"] == 18 and plan["renew_offers"] is True
    assert plan["offers"][0]["capacity_by_month_t"][13:] == [1000] * 5


def test_only_the_regulator_and_the_operator_may_plan(
    db: Database, market: dict[str, Any], settings: Settings
) -> None:
    producer = builders.actor(db, "producer")
    with pytest.raises(NotAllowed):
        planning.drawdown(db, producer, settings, {})
    with pytest.raises(NotAllowed):
        planning.siting_analysis(
            db, producer, settings, {"material": "phosphogypsum", "capacity_t_per_year": 1}
        )
    operator = builders.actor(db, "operator")
    assert planning.drawdown(db, operator, settings, {"horizon_months": 3})["status"] == "optimal"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"horizon_months": 0}, "horizon_months"),
        ({"horizon_months": "soon"}, "horizon_months"),
        ({"materials": ["gold"]}, "materials"),
        ({"colour": "red"}, "colour"),
        ({"renew_offers": "perhaps"}, "renew_offers"),
    ],
)
def test_bad_planner_input_names_the_field(
    db: Database, market: dict[str, Any], settings: Settings, raw: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        planning.drawdown(db, market["regulator"], settings, raw)
    assert err.value.field == field


def test_a_new_plant_by_the_unmatched_stock_ranks_first_and_zones_exclude(
    db: Database, market: dict[str, Any], settings: Settings
) -> None:
    request = {
        "material": "phosphogypsum",
        "capacity_t_per_year": 100_000,
        "source": "stock",
        "candidates": [
            {"name": "兰坪", "lat": LANPING[0], "lon": LANPING[1] + 0.02},
            {"name": "安宁", "lat": ANNING[0] + 0.02, "lon": ANNING[1]},
            {"name": "文山", "lat": WENSHAN[0], "lon": WENSHAN[1]},
            {"name": "兰坪北", "lat": LANPING[0] + 0.15, "lon": LANPING[1]},
        ],
        "zones": {
            "type": "Feature",
            "properties": {"name": "老君山"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [99.40, 26.40],
                        [99.45, 26.40],
                        [99.45, 26.46],
                        [99.40, 26.46],
                        [99.40, 26.40],
                    ]
                ],
            },
        },
    }
    result = planning.siting_analysis(db, market["regulator"], settings, request)
    # the existing plant already takes all of Anning's 5,900 t; Lanping's 50,000 t wait
    assert result["baseline"] == {
        "matched_t": 5900,
        "unmatched_t": 50_000,
        "haul_cost": pytest.approx(result["baseline"]["haul_cost"]),
    }
    first, second = result["candidates"][:2]
    assert first["name"] == "兰坪北" and first["rank"] == 1
    assert first["extra_matched_t"] == first["absorbed_t"] == 50_000
    assert first["sources"][0] | {"road_km": 0} == {
        "lot": first["sources"][0]["lot"],
        "yard": "兰坪渣场",
        "producer": "兰坪铅锌（测试）",
        "tonnes": 50_000,
        "road_km": 0,
    }
    assert first["region"].startswith("怒江")
    assert second["name"] == "安宁" and second["extra_matched_t"] == 0
    by_name = {c["name"]: c for c in result["candidates"]}
    assert by_name["兰坪"]["status"] == "excluded"
    assert by_name["兰坪"]["zones"][0]["zone"] == "老君山"
    assert by_name["文山"]["status"] == "unreachable"
    assert result["zones"]["names"] == ["老君山"]

    # open lots only: Anning's 2,000 t lot, already matched; nothing at Lanping
    lots_only = planning.siting_analysis(
        db, market["regulator"], settings, request | {"source": "lots"}
    )
    ranked = [c for c in lots_only["candidates"] if c["status"] == "ranked"]
    assert [c["name"] for c in ranked] == ["安宁"] and ranked[0]["extra_matched_t"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"material": "gold"}, "material"),
        ({"capacity_t_per_year": -5}, "capacity_t_per_year"),
        ({"candidates": [{"name": "x", "lat": 95, "lon": 100}]}, "candidates[0].lat"),
        ({"zones": {"type": "Point", "coordinates": [1, 2]}}, "zones"),
        ({"zones": "x" * (planning.MAX_ZONE_BYTES + 1)}, "zones"),
        ({"spec": {"na2o_pct": {"max": 1}}}, "spec.na2o_pct"),
        ({"source": "dreams"}, "source"),
        ({"buffer_km": 1000}, "buffer_km"),
    ],
)
def test_bad_siting_input_names_the_field(
    db: Database, market: dict[str, Any], settings: Settings, change: dict[str, Any], field: str
) -> None:
    request = {"material": "phosphogypsum", "capacity_t_per_year": 1000} | change
    with pytest.raises(InvalidInput) as err:
        planning.siting_analysis(db, market["regulator"], settings, request)
    assert err.value.field == field


def test_the_zones_file_is_capped_in_vertices(
    db: Database, market: dict[str, Any], settings: Settings
) -> None:
    ring = [[100 + i * 1e-6, 25.0] for i in range(planning.MAX_ZONE_VERTICES + 1)] + [[100, 25]]
    zones = {"type": "Polygon", "coordinates": [ring]}
    with pytest.raises(InvalidInput, match="vertices") as err:
        planning.siting_analysis(
            db,
            market["regulator"],
            settings,
            {"material": "phosphogypsum", "capacity_t_per_year": 1000, "zones": zones},
        )
    assert err.value.field == "zones"
