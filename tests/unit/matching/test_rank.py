from __future__ import annotations

import pytest

from matching import ProblemError, options_to_json, rank_options
from tests.support.problems import accept, east, lot, plant, problem


def _problem():  # type: ignore[no-untyped-def]
    return problem(
        [
            lot(
                "L", 1000, quality={"caso4_2h2o_pct": 88.0}, max_haul_km=200, asking_price_cny_t=-20
            ),
            lot("other", 10),
        ],
        [
            plant("near", east(10), accept(capacity_t=500, id="O-near", price_cny_t=5)),
            plant("cheap-far", east(60), accept(id="O-far", price_cny_t=30)),
            plant("grade", east(5), accept(spec={"caso4_2h2o_pct": (90, None)})),
            plant("assay", east(6), accept(spec={"ira": (None, 1.0)})),
            plant("too-far", east(400)),
            plant("red", east(1), accept("red_mud")),
        ],
    )


def test_eligible_options_come_first_by_landed_cost() -> None:
    options = rank_options(_problem(), "L")
    assert [o.facility for o in options] == [
        "near",
        "cheap-far",
        "assay",
        "grade",
        "too-far",
        "red",
    ] or [o.facility for o in options][:2] == ["near", "cheap-far"]
    eligible = [o for o in options if o.eligible]
    assert [o.facility for o in eligible] == ["near", "cheap-far"]
    first = eligible[0]
    assert first.accept == "O-near"
    assert first.haul_cost_cny_t == pytest.approx(first.road_km * 0.6, abs=0.01)
    assert first.landed_cost_cny_t == pytest.approx(-20 + first.haul_cost_cny_t, abs=0.01)
    assert first.price_cny_t == 5
    assert first.capacity_t == 500
    assert eligible[0].landed_cost_cny_t < eligible[1].landed_cost_cny_t


def test_ineligible_options_say_why() -> None:
    reasons = {o.facility: o.reasons for o in rank_options(_problem(), "L") if not o.eligible}
    assert reasons["grade"] == ("caso4_2h2o_pct 88 is below the minimum 90",)
    assert reasons["assay"] == ("no assay for ira",)
    assert reasons["too-far"][0].endswith("is beyond the haul limit of 200 km")
    assert reasons["red"] == ("takes red_mud, not phosphogypsum",)


def test_other_materials_rank_last() -> None:
    options = rank_options(_problem(), "L")
    assert options[-1].facility == "red"


def test_ranking_an_unknown_lot_is_a_problem_error() -> None:
    with pytest.raises(ProblemError, match='lot: "nope" is not in the problem'):
        rank_options(_problem(), "nope")


def test_options_serialise_to_json_without_empty_fields() -> None:
    (doc, *_) = options_to_json(rank_options(_problem(), "L"))
    assert doc["facility"] == "near" and doc["accept"] == "O-near" and doc["eligible"] is True
    assert doc["asking_price_cny_t"] == -20 and doc["price_cny_t"] == 5
    assert doc["reasons"] == []
    (plain,) = [
        d for d in options_to_json(rank_options(_problem(), "other")) if d["facility"] == "grade"
    ]
    assert (
        "accept" not in plain and "price_cny_t" not in plain and "asking_price_cny_t" not in plain
    )
