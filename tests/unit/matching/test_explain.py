from __future__ import annotations

import pytest

from matching import Unmatched, solve
from matching.explain import NO_PLANT_WITHIN_HAUL
from tests.support.problems import (
    ORIGIN,
    PRIORITIES,
    accept,
    east,
    lot,
    north,
    plant,
    priority_contest,
    problem,
)


def _only_unmatched(*args: object, **kwargs: object) -> Unmatched:
    (entry,) = solve(problem(*args, **kwargs)).unmatched  # type: ignore[arg-type]
    return entry


def test_lot_nobody_accepts_says_so() -> None:
    entry = _only_unmatched(
        [lot("L", 500, material="coal_gangue", quality={})],
        [plant("F", ORIGIN, accept("fly_ash"))],
    )
    assert entry.tonnes == 500
    assert entry.reasons == ("no plant accepts coal_gangue",)
    assert entry.details == ({"code": "no_plant_accepts_material", "material": "coal_gangue"},)


def test_quality_reason_names_the_parameter_value_and_nearest_plants_limit() -> None:
    entry = _only_unmatched(
        [lot("L", 500, quality={"caso4_2h2o_pct": 80.0})],
        [
            plant("far", north(80), accept(spec={"caso4_2h2o_pct": (82, None)})),
            plant("near", north(20), accept(spec={"caso4_2h2o_pct": (85, None)})),
        ],
    )
    (detail,) = entry.details
    assert detail["code"] == "quality"
    assert detail["facility"] == "near"
    assert detail["parameter"] == "caso4_2h2o_pct"
    assert detail["value"] == 80.0
    assert detail["min"] == 85
    assert detail["plants"] == 2
    assert entry.reasons[0].startswith("caso4_2h2o_pct 80 is below the minimum 85")
    assert "near" in entry.reasons[0]


def test_quality_above_a_maximum_is_reported_as_such() -> None:
    entry = _only_unmatched(
        [lot("L", 500, quality={"p2o5_ws_pct": 1.2})],
        [plant("F", east(10), accept(spec={"p2o5_ws_pct": (None, 0.8)}))],
    )
    assert entry.details[0]["max"] == 0.8
    assert "above the maximum 0.8" in entry.reasons[0]


def test_missing_assay_reason_names_what_is_lacking() -> None:
    entry = _only_unmatched(
        [lot("L", 500, quality={"caso4_2h2o_pct": 90.0})],
        [plant("F", east(10), accept(spec={"caso4_2h2o_pct": (85, None), "ira": (None, 1.0)}))],
    )
    (detail,) = entry.details
    assert detail["code"] == "missing_assay"
    assert detail["parameters"] == ["ira"]
    assert detail["facility"] == "F"
    assert entry.reasons[0].startswith("no assay for ira")


def test_lot_beyond_every_haul_limit_names_the_nearest_otherwise_eligible_plant() -> None:
    entry = _only_unmatched(
        [lot("L", 500, max_haul_km=100)],
        [
            plant("nearer", north(120)),
            plant("farther", north(200)),
            plant(
                "nearest-but-wrong-grade", north(90), accept(spec={"caso4_2h2o_pct": (95, None)})
            ),
        ],
    )
    assert NO_PLANT_WITHIN_HAUL == "no eligible facility within haul limit"
    beyond = next(d for d in entry.details if d["code"] == "beyond_haul_limit")
    assert beyond["facility"] == "nearer"
    assert beyond["road_km"] == pytest.approx(120 * 1.4, rel=0.01)
    assert beyond["limit_km"] == 100
    assert beyond["plants"] == 2
    assert NO_PLANT_WITHIN_HAUL in entry.reasons


def test_plant_haul_limit_counts_as_a_haul_limit() -> None:
    entry = _only_unmatched([lot("L", 500)], [plant("F", north(120), max_haul_km=150)])
    assert entry.details[0]["code"] == "beyond_haul_limit"
    assert entry.details[0]["limit_km"] == 150


def test_every_way_a_lot_fails_is_listed_once() -> None:
    entry = _only_unmatched(
        [lot("L", 500, quality={"caso4_2h2o_pct": 80.0}, max_haul_km=50)],
        [
            plant("grade", east(10), accept(spec={"caso4_2h2o_pct": (85, None)})),
            plant("assay", east(20), accept(spec={"ira": (None, 1)})),
            plant("far", east(300)),
        ],
    )
    assert [d["code"] for d in entry.details] == ["quality", "missing_assay", "beyond_haul_limit"]
    assert len(entry.reasons) == 3


def test_capacity_taken_by_a_higher_priority_lot_names_it() -> None:
    result = solve(problem(*priority_contest(100), priorities=PRIORITIES))
    (entry,) = result.unmatched
    assert entry.lot == "red"
    (detail,) = entry.details
    assert detail["code"] == "capacity_taken"
    (full,) = detail["plants"]
    assert full["facility"] == "F"
    assert full["full"] == "facility"
    assert full["taken_by"] == [
        {
            "lot": "pg",
            "tonnes": 1000,
            "priority": 3,
            "haul_cost_cny_t": pytest.approx(full["taken_by"][0]["haul_cost_cny_t"]),
        }
    ]
    assert "pg (priority 3)" in entry.reasons[0]


def test_capacity_taken_by_a_cheaper_haul_names_it_with_its_cost() -> None:
    result = solve(
        problem(
            [lot("far", 1000, at=east(150)), lot("near", 800, at=east(5))],
            [plant("F", ORIGIN, accept(capacity_t=1000, id="O1"))],
        )
    )
    (entry,) = result.unmatched
    assert entry.lot == "far"
    assert entry.tonnes == 800  # 200 t of it fit beside the near lot
    (full,) = entry.details[0]["plants"]
    assert full["accept"] == "O1"
    assert full["full"] == "accept"
    assert [t["lot"] for t in full["taken_by"]] == ["near"]
    assert "near (" in entry.reasons[0] and "CNY/t" in entry.reasons[0]


def test_partly_matched_lot_reports_only_the_rest() -> None:
    result = solve(problem([lot("L", 1500)], [plant("F", east(10), accept(capacity_t=1000))]))
    (entry,) = result.unmatched
    assert entry.tonnes == 500
    assert entry.details[0]["code"] == "capacity_taken"
    assert entry.details[0]["plants"][0]["taken_by"] == []
    assert "F: no capacity" in entry.reasons[0]


def test_shipments_below_the_minimum_are_explained() -> None:
    result = solve(
        problem(
            [lot("L", 3000)],
            [plant("F", east(10), accept(capacity_t=1000))],
            mode="min_shipment",
            min_shipment_t=2000,
        )
    )
    (entry,) = result.unmatched
    assert entry.tonnes == 3000
    assert [d["code"] for d in entry.details] == ["below_min_shipment"]
    assert entry.details[0]["min_shipment_t"] == 2000
    assert entry.details[0]["plants"][0]["spare_t"] == 1000
    assert "minimum shipment of 2000 t" in entry.reasons[0]
