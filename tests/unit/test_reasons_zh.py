"""The matching engine's reasons, as the Chinese pages show them: from each reason's detail (its
code and params) through the gettext catalogue (web/i18n.py `reason`), never from the English.

Every reason here is made by the engine itself (`matching.solve`, `matching.rank_options`) on a
small problem; ids look like the market's (L3 for a lot, O14 for an offer), so a rendering can be
checked for them.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import ArrayLike, NDArray

import matching.cpsat
import matching.solver
from market.catalogue import catalogue
from matching import rank_options, solve
from matching.explain import Join, Phrase, reason_phrase
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
from web import i18n


class Said(str):
    """An engine reason in English, with the detail (code and params) it was written from."""

    detail: dict[str, object]


def said(text: str, detail: object) -> Said:
    out = Said(text)
    out.detail = dict(detail)  # type: ignore[call-overload]
    return out


def zh(text: str) -> str:
    return i18n.reason(text, getattr(text, "detail", None), "zh")


def zh_of(detail: dict[str, object]) -> str:
    return i18n.reason("(the engine's English)", detail, "zh")


def unmatched_reasons(*args: object, **kwargs: object) -> list[str]:
    """Every reason `solve` gives for the unmatched tonnes of the problem."""
    result = solve(problem(*args, **kwargs))  # type: ignore[arg-type]
    return [
        said(reason, detail)
        for entry in result.unmatched
        for reason, detail in zip(entry.reasons, entry.details, strict=True)
    ]


def rank_reasons(*args: object, lot_id: str = "L1", road: object = None) -> list[str]:
    """Every reason `rank_options` gives for the plants that cannot take `lot_id`."""
    options = rank_options(problem(*args), lot_id, road)  # type: ignore[arg-type]
    return [
        said(reason, detail)
        for o in options
        for reason, detail in zip(o.reasons, o.details, strict=True)
    ]


class NoRoads:
    """A road provider that knows no road at all."""

    min_circuity = 1.0

    def road_km_bulk(
        self, lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
    ) -> NDArray[np.float64]:
        shape = np.broadcast_shapes(*(np.shape(x) for x in (lat1, lon1, lat2, lon2)))
        return np.full(shape, np.inf)


def stopped_early(monkeypatch: pytest.MonkeyPatch, where: object, name: str, flow: str) -> None:
    """Make the solver `where.name` stop before placing anything: its answer, with no flow."""
    real = getattr(where, name)

    def stopped(*args: object, **kwargs: object) -> object:
        outcome = real(*args, **kwargs)
        zero = np.zeros_like(getattr(outcome, flow))
        return dataclasses.replace(outcome, **{flow: zero, "status": "feasible"})

    monkeypatch.setattr(where, name, stopped)


# ----------------------------------------------------------------------------- each reason kind


def quality_below() -> list[str]:
    return unmatched_reasons(
        [lot("L1", 500, quality={"caso4_2h2o_pct": 80.0})],
        [
            plant("O2", north(80), accept(spec={"caso4_2h2o_pct": (82, None)})),
            plant("O14", north(20), accept(spec={"caso4_2h2o_pct": (85, None)})),
        ],
    )


def quality_above() -> list[str]:
    return unmatched_reasons(
        [lot("L7", 1200, quality={"f_ws_pct": 0.62})],
        [plant("O14", east(2.4), accept(spec={"f_ws_pct": (None, 0.5)}))],
    )


def quality_with_no_road() -> list[str]:
    result = solve(
        problem(
            [lot("L1", 500, quality={"p2o5_ws_pct": 1.2}, max_haul_km=100)],
            [plant("O3", east(10), accept(spec={"p2o5_ws_pct": (None, 0.8)}))],
        ),
        NoRoads(),
    )
    return [
        said(reason, detail)
        for entry in result.unmatched
        for reason, detail in zip(entry.reasons, entry.details, strict=True)
    ]


def missing_assay() -> list[str]:
    return unmatched_reasons(
        [lot("L1", 500, quality={"caso4_2h2o_pct": 90.0})],
        [
            plant("O5", east(10), accept(spec={"ira": (None, 1.0), "f_ws_pct": (None, 0.5)})),
            plant("O6", east(30), accept(spec={"ira": (None, 1.0)})),
        ],
    )


def every_way_to_fail() -> list[str]:
    return unmatched_reasons(
        [lot("L1", 500, quality={"caso4_2h2o_pct": 80.0}, max_haul_km=50)],
        [
            plant("O1", east(10), accept(spec={"caso4_2h2o_pct": (85, None)})),
            plant("O2", east(20), accept(spec={"ira": (None, 1)})),
            plant("O3", east(300)),
        ],
    )


def beyond_haul() -> list[str]:
    return unmatched_reasons([lot("L1", 500)], [plant("O1", north(120), max_haul_km=150)])


def nobody_accepts() -> list[str]:
    return unmatched_reasons(
        [lot("L1", 500, material="silicon_slag", quality={})],
        [plant("O1", ORIGIN, accept("fly_ash"))],
    )


def capacity_taken_by_priority() -> list[str]:
    return unmatched_reasons(*priority_contest(100, ("L1", "L2", "O1")), priorities=PRIORITIES)


def capacity_taken_by_cheaper_hauls() -> list[str]:
    """Seven near lots fill two plants before the far one: five are named, the rest counted."""
    near = [lot(f"L{n}", 1000, at=east(n)) for n in range(2, 9)]
    return unmatched_reasons(
        [lot("L1", 1000, at=east(150)), *near],
        [
            plant("O29", east(3), accept(capacity_t=1000)),
            plant("O11", ORIGIN, accept(capacity_t=6000)),
        ],
    )


def one_lot_one_plant(lot_t: float, capacity_t: float, **params: object) -> list[str]:
    """The reasons for lot L1 of `lot_t` with one plant O1 10 km east taking `capacity_t`."""
    return unmatched_reasons(
        [lot("L1", lot_t)], [plant("O1", east(10), accept(capacity_t=capacity_t))], **params
    )


def capacity_with_none_left() -> list[str]:
    return one_lot_one_plant(1500, 1000)


def below_min_shipment() -> list[str]:
    return one_lot_one_plant(3000, 1000, mode="min_shipment", min_shipment_t=2000)


def search_timed_out(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    stopped_early(monkeypatch, matching.cpsat, "solve_min_shipment", "flow")
    return one_lot_one_plant(3000, 5000, mode="min_shipment", min_shipment_t=1000)


def search_stopped(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    stopped_early(monkeypatch, matching.solver, "run_network", "haul_flow")
    return one_lot_one_plant(3000, 5000)


def solver_failed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    real = matching.solver.run_network

    def failed(*args: object, **kwargs: object) -> object:
        outcome = real(*args, **kwargs)  # type: ignore[arg-type]
        return dataclasses.replace(
            outcome, status="infeasible", haul_flow=np.zeros_like(outcome.haul_flow)
        )

    monkeypatch.setattr(matching.solver, "run_network", failed)
    return unmatched_reasons([lot("L1", 100)], [plant("O1", east(10))])


def plants_that_cannot_take_a_lot() -> list[str]:
    return rank_reasons(
        [lot("L1", 1000, quality={"caso4_2h2o_pct": 88.0, "f_ws_pct": 0.62}, max_haul_km=200)],
        [
            plant("O1", east(10)),
            plant("O2", east(5), accept(spec={"caso4_2h2o_pct": (90, None)})),
            plant("O3", east(5), accept(spec={"f_ws_pct": (None, 0.5)})),
            plant("O4", east(6), accept(spec={"ira": (None, 1.0), "ir": (None, 1.0)})),
            plant("O5", east(400)),
            plant("O6", east(1), accept("red_mud")),
        ],
    )


def plants_with_no_road() -> list[str]:
    return rank_reasons([lot("L1", 1000, max_haul_km=200)], [plant("O1", east(10))], road=NoRoads())


CASES: dict[str, Callable[..., list[str]]] = {
    f.__name__: f
    for f in (
        quality_below,
        quality_above,
        quality_with_no_road,
        missing_assay,
        every_way_to_fail,
        beyond_haul,
        nobody_accepts,
        capacity_taken_by_priority,
        capacity_taken_by_cheaper_hauls,
        capacity_with_none_left,
        below_min_shipment,
        search_timed_out,
        search_stopped,
        solver_failed,
        plants_that_cannot_take_a_lot,
        plants_with_no_road,
    )
}


def reasons_of(name: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    make = CASES[name]
    reasons = make(monkeypatch) if inspect.signature(make).parameters else make()
    monkeypatch.undo()
    assert reasons, f"{name} gave no reason"
    return reasons


# ----------------------------------------------------------------------------- what to check

_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w.])")
_ID = re.compile(r"(?<![A-Za-z0-9_])[LO]\d+(?![0-9])")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def numbers(text: str) -> Counter[str]:
    """The numbers a reason shows (not the digits inside a code like caso4_2h2o_pct or O14)."""
    return Counter(_NUMBER.findall(text))


def ids(text: str) -> Counter[str]:
    return Counter(_ID.findall(text))


def leftover_english(text: str) -> list[str]:
    """Latin words left once ids and the catalogue's own names (内照射指数 IRa) are taken out."""
    cat = catalogue()
    for name in sorted(
        [p.name_zh for p in cat.parameters.values()] + [m.name_zh for m in cat.materials.values()],
        key=len,
        reverse=True,
    ):
        text = text.replace(name, "")
    return re.findall(r"[A-Za-z]+", _ID.sub("", text))


# ----------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("case", CASES)
def test_each_engine_reason_is_rendered_in_chinese_keeping_its_numbers_and_ids(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for english in reasons_of(case, monkeypatch):
        chinese = zh(english)
        assert all(i18n.known(t) for t in templates(reason_phrase(english.detail))), english
        assert chinese != english and _CJK.search(chinese), english
        assert not numbers(english) - numbers(chinese), (english, chinese)
        assert not ids(english) - ids(chinese), (english, chinese)
        assert leftover_english(chinese) == [], (english, chinese)


def templates(phrase: object) -> set[str]:
    """Every template a phrase is written with, its parts' and separators' too."""
    if isinstance(phrase, Phrase):
        return {phrase.template}.union(*(templates(v) for v in phrase.params.values()))
    if isinstance(phrase, Join):
        return {phrase.sep}.union(*(templates(v) for v in phrase.items))
    return set()


def test_every_reason_template_is_used_by_some_real_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    used = {
        t
        for case in CASES
        for r in reasons_of(case, monkeypatch)
        for t in templates(reason_phrase(r.detail))  # type: ignore[attr-defined]
    }
    declared = {
        m.id
        for m in i18n_catalogue()
        if any(path.endswith("matching/explain.py") for path, _ in m.locations)
    }
    assert declared - used == set()


def test_the_engine_writes_its_english_from_the_same_detail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for case in CASES:
        for english in reasons_of(case, monkeypatch):
            assert i18n.reason(english, english.detail, "en") == english  # type: ignore[attr-defined]


def i18n_catalogue():  # type: ignore[no-untyped-def]
    from babel.messages.pofile import read_po

    with (i18n.LOCALE / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def test_the_demo_reasons_read_as_chinese_sentences() -> None:
    (above,) = quality_above()
    assert above.startswith("f_ws_pct 0.62 is above the maximum 0.5 of the nearest plant")
    assert zh(above) == "水溶性氟 0.62 高于上限 0.5（设此限值的最近工厂：O14，公路 3.4 公里）"
    assert zh(beyond_haul()[0]) == "运距上限内没有符合条件的工厂"
    assert zh(nobody_accepts()[0]) == "没有工厂收纳硅渣（工业硅精炼渣）"
    (taken,) = capacity_taken_by_cheaper_hauls()
    rendered = zh(taken)
    assert rendered.startswith(
        "符合条件的工厂产能已被优先级更高或总运费更低的批次占用（本批次：优先级 "
    )
    assert re.search(r"元/吨）— O29：L\d（\d+\.\d\d 元/吨）；O11：", rendered), rendered
    assert rendered.endswith("元/吨）、另 1 个批次")


def test_a_capacity_reason_names_the_lots_that_took_it_by_priority_or_haul_cost() -> None:
    (by_priority,) = capacity_taken_by_priority()
    assert "O1: L2 (priority 3)" in by_priority
    assert "O1：L2（优先级 3）" in zh(by_priority)
    (none_left,) = capacity_with_none_left()
    assert zh(none_left).endswith("— O1：无剩余产能")


def test_a_missing_assay_and_a_plant_that_takes_another_material_are_said_in_chinese() -> None:
    (missing,) = missing_assay()
    assert zh(missing) == (
        "缺少水溶性氟、内照射指数 IRa 的化验值，有 2 家工厂要求"
        "（最近：O5，公路 14.0 公里，需要水溶性氟、内照射指数 IRa）"
    )
    rendered = [zh(r) for r in plants_that_cannot_take_a_lot()]
    assert "收纳赤泥，不收磷石膏" in rendered
    assert "缺少外照射指数 Iγ、内照射指数 IRa 的化验值" in rendered
    assert "二水硫酸钙含量 88 低于下限 90" in rendered
    assert "水溶性氟 0.62 高于上限 0.5" in rendered
    assert any(re.fullmatch(r"公路 \d+\.\d 公里，超出运距上限 200 公里", r) for r in rendered)
    assert zh(plants_with_no_road()[0]) == "无已知道路，超出运距上限 200 公里"


def test_an_english_page_gets_every_reason_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    for case in CASES:
        for english in reasons_of(case, monkeypatch):
            assert i18n.reason(english, english.detail, "en") == english  # type: ignore[attr-defined]


def test_a_reason_without_a_detail_or_with_an_odd_one_stays_in_english_and_nothing_raises() -> None:
    for odd in (None, {}, {"code": "quality"}, {"code": "capacity_taken", "plants": 5}, "x"):
        assert i18n.reason("the engine's words", odd, "zh") == "the engine's words"
    assert zh_of({"code": "something new"}) == "求解在安排这些吨数之前已停止"


def test_a_code_the_catalogue_does_not_know_is_kept_as_it_is() -> None:
    assert (
        zh_of({"code": "quality", "parameter": "colour_idx", "value": 3, "max": 2})
        == "colour_idx 3 高于上限 2"
    )
    assert (
        zh_of(
            {"code": "material_differs", "material": "unobtainium", "lot_material": "phosphogypsum"}
        )
        == "收纳 unobtainium，不收磷石膏"
    )
