from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from matching import ProblemError, problem_from_json, problem_to_dict, result_to_json, solve
from matching.errors import DuplicateId, Negative, NotFinite, UnknownKey, WrongType
from tests.support.problems import contract_example

Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = _parse(path)
        node: Any = doc
        for key in parents:
            node = node[key]
        node[last] = value

    return edit


def _drop(path: str) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = _parse(path)
        node: Any = doc
        for key in parents:
            node = node[key]
        del node[last]

    return edit


def _parse(path: str) -> list[Any]:
    keys: list[Any] = []
    for part in path.split("."):
        name, *indices = part.replace("]", "").split("[")
        keys.append(name)
        keys.extend(int(i) for i in indices)
    return keys


def _with_second_lot(doc: dict[str, Any]) -> None:
    doc["lots"].append({**doc["lots"][0], "id": "L2"})


def _second_facility_with_accept_id(accept_id: str) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        doc["facilities"][0]["accepts"][0]["id"] = "O1"
        second = copy.deepcopy(doc["facilities"][0])
        second["id"] = "F2"
        second["accepts"][0]["id"] = accept_id
        doc["facilities"].append(second)

    return edit


BAD_INPUTS: list[tuple[str, list[Edit], str]] = [
    ("unknown top-level key", [_set("extra", 1)], "problem: unknown key 'extra'"),
    ("problem is a list", [], "problem: a list is not an object"),
    ("missing lots", [_drop("lots")], "problem: missing key 'lots'"),
    ("lots not a list", [_set("lots", {})], "lots: an object is not a list"),
    ("unknown lot key", [_set("lots[0].tonne", 5)], "lots[0]: unknown key 'tonne'"),
    ("missing lot id", [_drop("lots[0].id")], "lots[0]: missing key 'id'"),
    ("negative tonnes", [_set("lots[0].tonnes", -5)], "lots[0].tonnes: -5 is negative"),
    (
        "NaN tonnes",
        [_set("lots[0].tonnes", float("nan"))],
        "lots[0].tonnes: nan is not a finite number",
    ),
    (
        "infinite tonnes",
        [_set("lots[0].tonnes", float("inf"))],
        "lots[0].tonnes: inf is not a finite number",
    ),
    ("tonnes as text", [_set("lots[0].tonnes", "5")], 'lots[0].tonnes: "5" is not a number'),
    ("tonnes as boolean", [_set("lots[0].tonnes", True)], "lots[0].tonnes: true is not a number"),
    (
        "absurd tonnes",
        [_set("lots[0].tonnes", 1e13)],
        "lots[0].tonnes: 1e+13 t is above the maximum",
    ),
    ("id as number", [_set("lots[0].id", 5)], "lots[0].id: 5 is not a string"),
    ("empty id", [_set("lots[0].id", " ")], "lots[0].id: must not be empty"),
    ("empty material", [_set("lots[0].material", "")], "lots[0].material: must not be empty"),
    (
        "duplicate lot id",
        [_with_second_lot, _set("lots[1].id", "L1")],
        'lots[1].id: "L1" is a duplicate (first at lots[0])',
    ),
    (
        "duplicate facility id",
        [_second_facility_with_accept_id("O2"), _set("facilities[1].id", "F1")],
        'facilities[1].id: "F1" is a duplicate (first at facilities[0])',
    ),
    (
        "duplicate accept id",
        [_second_facility_with_accept_id("O1")],
        'facilities[1].accepts[0].id: "O1" is a duplicate (first at facilities[0].accepts[0])',
    ),
    (
        "latitude out of range",
        [_set("lots[0].lat", 95)],
        "lots[0].lat: 95 is out of range [-90, 90]",
    ),
    (
        "longitude out of range",
        [_set("facilities[0].lon", -181.5)],
        "facilities[0].lon: -181.5 is out of range [-180, 180]",
    ),
    (
        "quality not a number",
        [_set("lots[0].quality.ira", "high")],
        'lots[0].quality.ira: "high" is not a number',
    ),
    (
        "quality not an object",
        [_set("lots[0].quality", [1])],
        "lots[0].quality: a list is not an object",
    ),
    (
        "min above max",
        [_set("facilities[0].accepts[0].spec.caso4_2h2o_pct", {"min": 90, "max": 80})],
        "facilities[0].accepts[0].spec.caso4_2h2o_pct: min 90 > max 80",
    ),
    (
        "unknown bound key",
        [_set("facilities[0].accepts[0].spec.caso4_2h2o_pct", {"minimum": 85})],
        "facilities[0].accepts[0].spec.caso4_2h2o_pct: unknown key 'minimum'",
    ),
    (
        "bound not a number",
        [_set("facilities[0].accepts[0].spec.caso4_2h2o_pct", {"min": "85"})],
        'facilities[0].accepts[0].spec.caso4_2h2o_pct.min: "85" is not a number',
    ),
    (
        "negative accept capacity",
        [_set("facilities[0].accepts[0].capacity_t", -1)],
        "facilities[0].accepts[0].capacity_t: -1 is negative",
    ),
    (
        "negative facility capacity",
        [_set("facilities[0].capacity_t", -60000)],
        "facilities[0].capacity_t: -60000 is negative",
    ),
    (
        "negative haul limit",
        [_set("lots[0].max_haul_km", -2.5)],
        "lots[0].max_haul_km: -2.5 is negative",
    ),
    (
        "accepts not a list",
        [_set("facilities[0].accepts", "phosphogypsum")],
        'facilities[0].accepts: "phosphogypsum" is not a list',
    ),
    (
        "missing accept material",
        [_drop("facilities[0].accepts[0].material")],
        "facilities[0].accepts[0]: missing key 'material'",
    ),
    (
        "asking price not finite",
        [_set("lots[0].asking_price_cny_t", float("-inf"))],
        "lots[0].asking_price_cny_t: -inf is not a finite number",
    ),
    ("unknown param", [_set("params.speed", 3)], "params: unknown key 'speed'"),
    (
        "bad mode",
        [_set("params.mode", "fast")],
        "params.mode: \"fast\" is not one of 'divisible', 'min_shipment'",
    ),
    (
        "negative cost",
        [_set("params.cost_per_t_km", -0.6)],
        "params.cost_per_t_km: -0.6 is negative",
    ),
    ("zero circuity", [_set("params.circuity", 0)], "params.circuity: 0 must be positive"),
    (
        "zero time limit",
        [_set("params.time_limit_s", 0)],
        "params.time_limit_s: 0 must be positive",
    ),
    (
        "negative minimum shipment",
        [_set("params.min_shipment_t", -100)],
        "params.min_shipment_t: -100 is negative",
    ),
    (
        "fractional priority",
        [_set("params.priorities.red_mud", 1.5)],
        "params.priorities.red_mud: 1.5 is not a whole number",
    ),
    (
        "zero priority",
        [_set("params.priorities.red_mud", 0)],
        "params.priorities.red_mud: 0 is out of range [1, 1000]",
    ),
    (
        "priorities not an object",
        [_set("params.priorities", ["phosphogypsum"])],
        "params.priorities: a list is not an object",
    ),
]


@pytest.mark.parametrize(
    ("edits", "message"),
    [pytest.param(edits, message, id=name) for name, edits, message in BAD_INPUTS],
)
def test_bad_input_is_a_problem_error_naming_the_path(edits: list[Edit], message: str) -> None:
    doc: Any = contract_example()
    if message.startswith("problem: a list"):
        doc = [doc]
    for edit in edits:
        edit(doc)
    with pytest.raises(ProblemError) as caught:
        problem_from_json(json.dumps(doc))
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


def test_problem_errors_are_value_errors_named_after_the_rule() -> None:
    doc = contract_example()
    doc["lots"][0]["tonnes"] = -5
    with pytest.raises(Negative) as caught:
        problem_from_json(doc)
    assert isinstance(caught.value, ValueError)
    assert caught.value.path == "lots[0].tonnes"
    assert issubclass(DuplicateId, ProblemError)
    assert issubclass(UnknownKey, ProblemError)
    assert issubclass(WrongType, ProblemError)
    assert issubclass(NotFinite, ProblemError)


def test_huge_integers_are_not_finite_numbers() -> None:
    text = json.dumps(contract_example()).replace('"tonnes": 40000', '"tonnes": ' + "9" * 400)
    with pytest.raises(NotFinite, match=r"lots\[0\]\.tonnes"):
        problem_from_json(text)


def test_integers_longer_than_python_reads_are_not_finite_numbers_at_their_path() -> None:
    text = json.dumps(contract_example()).replace('"tonnes": 40000', '"tonnes": ' + "9" * 5000)
    with pytest.raises(NotFinite, match=r"lots\[0\]\.tonnes"):
        problem_from_json(text)
    with pytest.raises(ProblemError):
        problem_from_json("-" + "9" * 5000)


def test_contract_example_reads_with_every_default_in_place() -> None:
    problem = problem_from_json(json.dumps(contract_example()))
    assert problem.params.priority("phosphogypsum") == 3
    assert problem.params.priority("fly_ash") == 1
    assert problem.lots[0].quality["p2o5_ws_pct"] == 0.42
    assert problem.facilities[0].accepts[0].spec["caso4_2h2o_pct"].min == 85
    bare = problem_from_json({"lots": [], "facilities": []})
    assert bare.params.cost_per_t_km == 0.5
    assert bare.params.mode == "divisible"
    assert bare.params.min_shipment_t == 0
    assert bare.params.time_limit_s == 30


def test_optional_values_may_be_null() -> None:
    doc = contract_example()
    doc["lots"][0]["max_haul_km"] = None
    doc["facilities"][0]["capacity_t"] = None
    problem = problem_from_json(doc)
    assert problem.lots[0].max_haul_km is None
    assert problem.facilities[0].capacity_t is None


def test_extensions_are_read() -> None:
    doc = contract_example()
    doc["params"]["co2_kg_per_t_km"] = 0.07
    doc["lots"][0]["asking_price_cny_t"] = -12.5
    doc["facilities"][0]["accepts"][0].update({"id": "O-7", "price_cny_t": 18})
    problem = problem_from_json(doc)
    assert problem.params.effective_co2_kg_per_t_km() == 0.07
    assert problem.lots[0].asking_price_cny_t == -12.5
    assert problem.facilities[0].accepts[0].id == "O-7"
    assert problem.facilities[0].accepts[0].price_cny_t == 18


def test_problem_round_trips_through_json() -> None:
    doc = contract_example()
    doc["facilities"][0]["accepts"][0]["id"] = "O1"
    problem = problem_from_json(doc)
    again = problem_from_json(json.dumps(problem_to_dict(problem)))
    assert again == problem


def test_result_json_is_the_contract_shape() -> None:
    result = solve(problem_from_json(contract_example()))
    doc = json.loads(result_to_json(result))
    assert list(doc) == ["status", "matches", "unmatched", "totals", "stats"]
    assert doc["status"] == "optimal"
    (match,) = doc["matches"]
    assert {"lot", "facility", "material", "tonnes", "road_km", "haul_cost"} <= set(match)
    assert match["lot"] == "L1" and match["facility"] == "F1" and match["tonnes"] == 40000
    assert isinstance(match["tonnes"], int)
    assert set(doc["totals"]) >= {
        "matched_t",
        "unmatched_t",
        "weighted_matched_t",
        "haul_cost",
        "t_km",
    }
    assert doc["totals"]["weighted_matched_t"] == 120000
    assert set(doc["stats"]) >= {"lots", "facilities", "arcs", "build_ms", "solve_ms"}
    assert doc["unmatched"] == []


def test_result_json_without_timings_drops_only_the_wall_clock_figures() -> None:
    result = solve(problem_from_json(contract_example()))
    doc = json.loads(result_to_json(result, timings=False))
    assert "build_ms" not in doc["stats"] and "solve_ms" not in doc["stats"]
    assert doc["stats"]["arcs"] == 1
