"""The services' refusals as data (a code, an English template, its params), and as the Chinese
pages show them: the template looked up in the gettext catalogue and filled with the same params
(web/i18n.py `refusal`), never the English read back."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from babel.messages.pofile import read_po

import matching
from market import audit, catalogue, fields, planning, statutory
from market.auth import Actor
from market.errors import (
    DomainError,
    InvalidInput,
    InvalidState,
    Refusals,
    from_problem,
    placeholders,
)
from market.papers import service as papers_service
from market.services import deliveries, documents, ledger, reports, users
from market.services.matching import check_params
from market.settings import Settings
from web import i18n
from web.api import json_object

TODAY = date(2026, 3, 10)
SETTINGS = Settings.from_env({"WASTEMATCH_SECRET_KEY": "test-secret-" + "x" * 40})
PRODUCER = Actor(1, "producer-1", "producer", 1, "产废单位")


def refused(call: Callable[[], Any]) -> DomainError:
    """The refusal a call raises, as the services raise it (the matching problem's own checks
    wrapped as the services wrap them)."""
    try:
        call()
    except DomainError as exc:
        return exc
    except matching.ProblemError as exc:
        return from_problem(exc, "params")
    raise AssertionError("the call was not refused")


def zh(call: Callable[[], Any] | DomainError) -> str:
    return i18n.refusal(call if isinstance(call, DomainError) else refused(call), "zh")


# ----------------------------------------------------------------------------- as data


def test_a_refusal_carries_its_code_field_and_params_beside_the_english():
    exc = refused(lambda: fields.to_number(2e5, "price_cny_t", maximum=1e5))
    assert exc.code == "invalid"
    assert exc.message == "price_cny_t: 200000.0 is above the maximum 100000"
    assert exc.template == "is above the maximum {maximum:g}"
    assert exc.data() == {"field": "price_cny_t", "value": 200000.0, "maximum": 100000.0}


def test_a_refusal_of_a_state_names_the_state_as_a_param():
    exc = InvalidState(
        "bid: {value} is {bid_status}, only an open bid can be accepted",
        field="bid",
        value=3,
        bid_status="rejected",
    )
    assert exc.message == "bid: 3 is rejected, only an open bid can be accepted"
    assert exc.data() == {"field": "bid", "value": 3, "bid_status": "rejected"}
    assert zh(exc) == "出价（bid）：3 当前为已拒绝（rejected），只有待决定（open）的出价才能接受"


def test_several_bad_fields_are_refused_at_once_the_first_speaking_for_all():
    bad = Refusals()
    tonnes = bad.check(fields.tonnes, {"tonnes": "-5"}, "tonnes")
    day = bad.check(fields.day, {"available_from": "soon"}, "available_from")
    name = bad.check(fields.text, {"name": "ok"}, "name")
    assert (tonnes, day, name) == (None, None, "ok")
    with pytest.raises(InvalidInput) as caught:
        bad.done()
    assert caught.value.field == "tonnes"
    assert [e.field for e in caught.value.every()] == ["tonnes", "available_from"]
    assert [zh(e) for e in caught.value.every()] == [
        "吨数（tonnes）：'-5' 必须大于 0",
        "可供起始（available_from）：'soon' 不是日期（YYYY-MM-DD）",
    ]


def test_nothing_bad_refuses_nothing():
    bad = Refusals()
    assert bad.check(fields.tonnes, {"tonnes": "5"}, "tonnes") == 5
    bad.done()


def test_a_value_that_looks_like_a_template_is_shown_as_typed():
    exc = refused(lambda: fields.text({"note": "{field} {0}"}, "note", choices=("a",)))
    assert exc.message == "note: '{field} {0}' is not one of a"
    assert zh(exc) == "备注（note）：'{field} {0}' 不是可选值之一（a）"


def test_a_value_that_cannot_be_written_as_json_is_shown_in_its_params():
    exc = InvalidInput.about("note", "a\ud800", "is not valid Unicode text")
    assert json.dumps(exc.data(), ensure_ascii=False).encode("utf-8")
    assert InvalidInput.about("x", float("nan"), "is not a finite number").data()["value"] == "nan"


# ----------------------------------------------------------------------------- in Chinese


def test_an_english_page_gets_the_message_unchanged():
    exc = refused(lambda: fields.to_number(-5, "tonnes", minimum=0))
    assert i18n.refusal(exc, "en") == "tonnes: -5 is negative" == exc.message


def test_a_template_the_catalogue_does_not_know_is_shown_in_english_whole():
    for template in ("something new went wrong", "x: {0} {value}", "\ud800", "a" * 5000):
        exc = InvalidInput(template, value=1)
        assert zh(exc) == exc.message


def test_a_negative_tonnage_is_refused_in_chinese_with_the_field_and_value_kept():
    assert zh(lambda: fields.to_number(-5, "tonnes", minimum=0)) == "吨数（tonnes）：-5 为负数"
    assert zh(lambda: fields.to_number("-5", "tonnes", positive=True)) == (
        "吨数（tonnes）：'-5' 必须大于 0"
    )
    assert zh(lambda: fields.number({}, "tonnes")) == "吨数（tonnes）：必填"
    assert zh(lambda: fields.to_number(200000, "price_cny_t", maximum=1e5)) == (
        "价格（price_cny_t）：200000 超过上限 100000"
    )
    assert zh(lambda: fields.to_number("abc", "tonnes")) == "吨数（tonnes）：'abc' 不是数字"


def test_a_field_is_named_as_the_form_names_it_with_its_path_kept():
    label = i18n.label
    assert label("available_until") == "可供截止（available_until）"
    assert label("quality.caso4_2h2o_pct") == "化验指标·二水硫酸钙含量（quality.caso4_2h2o_pct）"
    assert (
        label("spec.moisture_pct.min") == "质量限值·附着水（含水率）下限（spec.moisture_pct.min）"
    )
    assert label("candidates[2].lat") == "候选厂址（candidates[2].lat）"
    assert label("quality.colour") == "化验指标（quality.colour）"
    assert label("colour") == "colour"
    assert label("$.features[0]") == "$.features[0]"
    assert label("tonnes", "en") == "tonnes"


def test_dates_are_refused_in_chinese_naming_both_fields():
    call = lambda: fields.date_order(  # noqa: E731
        "available_from", date(2026, 5, 1), "available_until", date(2026, 4, 1)
    )
    assert zh(call) == (
        "可供截止（available_until）：2026-04-01 早于可供起始（available_from）的 2026-05-01"
    )


def test_the_catalogue_names_the_material_in_chinese():
    assert zh(lambda: catalogue.quality("phosphogypsum", {"colour": 3})) == (
        "化验指标（quality.colour）：磷石膏（phosphogypsum）没有这项指标（填写值 3）"
    )


def test_the_role_that_may_do_it_is_named_in_chinese():
    assert zh(lambda: PRODUCER.require("regulator", "operator")) == (
        "角色（role）：产废单位（producer）无权执行此操作（需要主管部门（regulator）或平台运营（operator））"
    )


def test_the_matching_problems_own_checks_are_in_chinese():
    assert zh(_lots({"lat": 95})) == "批次（lots[0].lat）：95 超出范围 [-90, 90]"
    assert zh(_problem('{"lots": [], "lots": []}')) == '对象中有重复的键 "lots"'


def test_a_protected_zone_file_is_refused_in_chinese_at_its_own_path():
    assert zh(_zones(_polygon([[[200, 24], *_SQUARE[1:]]]))) == (
        "保护区（zones）：$.coordinates[0][0]：经度 200.0 超出 [-180, 180]"
    )


def test_the_regulators_checkpoint_is_refused_in_chinese():
    assert zh(lambda: audit.parse_checkpoint([_head(hash="zz")])) == (
        "链头（heads[0].hash）：'zz' 不是 64 位十六进制数"
    )
    assert zh(lambda: audit.parse_checkpoint({"heads": {}})) == "链头（heads）：对象 不是链头列表"
    assert zh(lambda: audit.parse_checkpoint([_head(seq=[1])])) == (
        "链头（heads[0].seq）：数组 不是条目序号（应为不小于 0 的整数）"
    )


def test_a_refusal_inside_another_is_said_in_the_same_language():
    inner = refused(lambda: json_object(b"{"))
    outer = InvalidInput(
        "file: {inner}; choose the JSON of an earlier check, not its CSV or Excel export",
        field="file",
        inner=inner,
    )
    assert outer.message == (
        "file: not valid JSON; choose the JSON of an earlier check, not its CSV or Excel export"
    )
    assert zh(outer) == (
        "文件（file）：不是有效的 JSON；"
        "请选择此前一次校验的 JSON 导出，而不是它的 CSV 或 Excel 导出"
    )


# ----------------------------------------------------------------------------- every raise site

# a head of a checkpoint, as a verify answer lists it
_HASH = "ab" * 32


def _head(**change: Any) -> dict[str, Any]:
    return {"site_id": 1, "seq": 1, "hash": _HASH} | change


# The real call where one is cheap (pure parsing, no database), so that a changed English text
# fails here; the message as the raise site builds it otherwise. Each with the value it shows.
CALLED: list[tuple[str, Callable[[], Any], str]] = [
    # market/fields.py
    ("to_number text", lambda: fields.to_number("abc", "tonnes"), "'abc'"),
    ("to_number list", lambda: fields.to_number([1], "tonnes"), "[1]"),
    ("to_number huge", lambda: fields.to_number(10**400, "tonnes"), "1000000"),
    ("to_number inf", lambda: fields.to_number("inf", "tonnes"), "'inf'"),
    ("to_number nan", lambda: fields.to_number(float("nan"), "tonnes"), "nan"),
    ("to_number bool", lambda: fields.to_number(True, "tonnes"), "True"),
    ("positive", lambda: fields.to_number(-5, "tonnes", positive=True), "-5"),
    ("negative", lambda: fields.to_number(-5, "tonnes", minimum=0), "-5"),
    ("minimum", lambda: fields.to_number(-5, "asking_price_cny_t", minimum=-1), "-5"),
    ("maximum", lambda: fields.to_number(2e5, "price_cny_t", maximum=1e5), "200000"),
    ("number required", lambda: fields.number({}, "tonnes"), "tonnes"),
    ("text not text", lambda: fields.text({"note": 5}, "note"), "5"),
    ("text long", lambda: fields.text({"note": "x" * 300}, "note"), "'xxxxxxxx"),
    ("text control", lambda: fields.text({"note": "a\x01b"}, "note"), "'a\\x01b'"),
    ("text surrogate", lambda: fields.text({"note": "a\ud800"}, "note"), "'a\\ud800'"),
    ("text choices", lambda: fields.text({"source": "x"}, "source", choices=("lots",)), "'x'"),
    ("text required", lambda: fields.text({}, "name", required=True), "name"),
    ("integer bool", lambda: fields.integer({"n": True}, "n"), "True"),
    ("integer text", lambda: fields.integer({"n": "1.5"}, "n"), "'1.5'"),
    ("integer range", lambda: fields.integer({"n": 2**63}, "n"), str(2**63)),
    ("integer required", lambda: fields.integer({}, "n"), "n"),
    ("day type", lambda: fields.day({"sampled_on": 5}, "sampled_on"), "5"),
    ("day text", lambda: fields.day({"d": "2026-13-01"}, "d"), "'2026-13-01'"),
    ("day range", lambda: fields.day({"d": "1800-01-01"}, "d"), "'1800-01-01'"),
    ("day required", lambda: fields.day({}, "occurred_on"), "occurred_on"),
    ("moment text", lambda: fields.moment({"received_at": "noon"}, "received_at"), "'noon'"),
    ("moment type", lambda: fields.moment({"m": 5}, "m"), "5"),
    ("moment range", lambda: fields.moment({"m": "1900-01-01T00:00"}, "m"), "'1900-01-01T00:00'"),
    ("moment required", lambda: fields.moment({}, "dispatched_at"), "dispatched_at"),
    (
        "date order",
        lambda: fields.date_order(
            "available_from", date(2026, 5, 1), "available_until", date(2026, 4, 1)
        ),
        "2026-04-01",
    ),
    ("mapping type", lambda: fields.mapping({"quality": 5}, "quality"), "5"),
    (
        "mapping size",
        lambda: fields.mapping({"quality": {str(i): 1 for i in range(101)}}, "quality"),
        "101",
    ),
    ("mapping required", lambda: fields.mapping({}, "quality", required=True), "quality"),
    ("unknown body", lambda: fields.reject_unknown(5, ()), "int"),
    ("unknown field", lambda: fields.reject_unknown({"colour": "red"}, ["tonnes"]), "'red'"),
    ("unknown odd key", lambda: fields.reject_unknown({"a b": 1}, ["tonnes"]), "'a b'"),
    # market/catalogue.py
    ("material", lambda: catalogue.material("plutonium"), "'plutonium'"),
    ("assay parameter", lambda: catalogue.quality("phosphogypsum", {"colour": 3}), "3"),
    ("assay range", lambda: catalogue.quality("phosphogypsum", {"caso4_2h2o_pct": 130}), "130"),
    ("spec parameter", lambda: catalogue.spec("phosphogypsum", {"colour": {"min": 1}}), "'min'"),
    ("spec shape", lambda: catalogue.spec("phosphogypsum", {"moisture_pct": 5}), "5"),
    (
        "spec reversed",
        lambda: catalogue.spec("phosphogypsum", {"moisture_pct": {"min": 20, "max": 10}}),
        "20",
    ),
    ("use", lambda: catalogue.use_spec("phosphogypsum", "rocket_fuel"), "'rocket_fuel'"),
    # market/auth.py, market/services/users.py
    ("role", lambda: PRODUCER.require("regulator", "operator"), "producer"),
    ("password", lambda: users.check_password_strength("short"), "5"),
    # market/services/ledger.py
    (
        "ledger kind",
        lambda: ledger.parse_entry({"kind": "dispatch"}, today=TODAY),
        "'dispatch'",
    ),
    (
        "p2o5 material",
        lambda: ledger.parse_entry({"kind": "p2o5_output", "material": "red_mud"}, today=TODAY),
        "'red_mud'",
    ),
    (
        "zero correction",
        lambda: ledger.parse_entry(
            {"kind": "correction", "material": "phosphogypsum", "tonnes": 0}, today=TODAY
        ),
        "0",
    ),
    (
        "future dispatch",
        lambda: deliveries._not_ahead(
            datetime(2199, 1, 1, tzinfo=UTC),
            "dispatched_at",
            {"dispatched_at": "2199-01-01T00:00"},
        ),
        "'2199-01-01T00:00'",
    ),
    (
        "document",
        lambda: ledger.parse_entry(
            {"kind": "treatment", "material": "phosphogypsum", "tonnes": 5}, today=TODAY
        ),
        "document",
    ),
    # market/services/matching.py
    ("time limit", lambda: check_params({"time_limit_s": 10**6}, SETTINGS), "1000000"),
    ("params field", lambda: check_params({"colour": 1}, SETTINGS), "1"),
    # market/planning/requests.py
    ("horizon", lambda: planning.parse_drawdown({"horizon_months": "500"}), "'500'"),
    ("flag", lambda: planning.parse_drawdown({"renew_offers": "maybe"}), "'maybe'"),
    ("materials type", lambda: planning.parse_drawdown({"materials": 5}), "5"),
    (
        "materials count",
        lambda: planning.parse_drawdown({"materials": ["phosphogypsum"] * 51}),
        "51",
    ),
    ("materials code", lambda: planning.parse_drawdown({"materials": ["x"]}), "'x'"),
    *(
        (name, lambda extra=extra: planning.parse_siting(_siting(extra)), value)
        for name, extra, value in [
            ("siting capacity", {"capacity_t_per_year": ""}, "capacity_t_per_year"),
            ("siting candidates type", {"candidates": 5}, "5"),
            ("siting candidates count", {"candidates": [{}] * 501}, "501"),
            ("siting candidate type", {"candidates": [5]}, "5"),
            ("siting candidate field", {"candidates": [{"name": "a", "x": 1}]}, "1"),
            ("siting candidate name", {"candidates": [{"name": " "}]}, "candidates[0].name"),
            ("siting candidate long", {"candidates": [{"name": "a" * 101}]}, "'aaaa"),
            (
                "siting candidate twice",
                {"candidates": [{"name": "a", "lat": 1, "lon": 1}, {"name": "a"}]},
                "'a'",
            ),
            ("siting candidate lat", {"candidates": [{"name": "a", "lat": 95}]}, "95"),
            ("siting line", {"candidates": "园区甲, 24.9, 102.4\n园区乙, 北纬"}, "'园区乙, 北纬'"),
            ("siting spec json", {"spec": "{"}, "'{'"),
            ("siting spec object", {"spec": "[1]"}, "[1]"),
            ("siting source", {"source": "sky"}, "'sky'"),
            ("siting zones type", {"zones": 5}, "5"),
            ("siting zones size", {"zones": "x" * (planning.MAX_ZONE_BYTES + 1)}, "5,000,001"),
            ("siting buffer", {"buffer_km": "-1"}, "'-1'"),
            ("siting haul", {"max_haul_km": "5000"}, "'5000'"),
        ]
    ),
    # market/audit/periods.py and scope.py
    ("period", lambda: audit.parse_period("2025-13"), "'2025-13'"),
    ("prefecture code", lambda: audit.parse_scope({"prefecture": "x1"}), "'x1'"),
    ("prefecture", lambda: audit.parse_scope({"prefecture": "999999"}), "999999"),
    ("county", lambda: audit.parse_scope({"county": "999999"}), "999999"),
    # market/audit/checkpoints.py: compare_checkpoint's validation, before it reads the ledger
    *(
        (name, lambda raw=raw: audit.parse_checkpoint(raw), value)
        for name, raw, value in [
            ("checkpoint key", {"heads": [], "sites": []}, "sites"),
            ("checkpoint odd key", {"heads": [], "a: b": 1}, "'a: b'"),
            ("checkpoint heads required", {"ok": True}, "heads"),
            ("checkpoint heads object", {"heads": {}}, "heads"),
            ("checkpoint heads null", {"heads": None}, "null"),
            ("checkpoint heads text", {"heads": "x"}, "'x'"),
            ("checkpoint too many", [{}] * (audit.MAX_CHECKPOINT_HEADS + 1), "100,001"),
            ("checkpoint head array", [[1]], "heads[0]"),
            ("checkpoint head number", [5], "5"),
            ("checkpoint head field", [_head(colour=1)], "heads[0].colour"),
            ("checkpoint head odd field", [_head(**{"a.b": 1})], "heads[0].'a.b'"),
            ("checkpoint site required", [{"seq": 1, "hash": _HASH}], "heads[0].site_id"),
            ("checkpoint site bool", [_head(site_id=True)], "true"),
            ("checkpoint site zero", [_head(site_id=0)], "0"),
            ("checkpoint site text", [_head(site_id="3")], "'3'"),
            ("checkpoint seq negative", [_head(seq=-1)], "-1"),
            ("checkpoint seq fraction", [_head(seq=1.5)], "1.5"),
            ("checkpoint seq array", [_head(seq=[1])], "heads[0].seq"),
            ("checkpoint hash required", [{"site_id": 1, "seq": 1}], "heads[0].hash"),
            ("checkpoint hash short", [_head(hash="zz")], "'zz'"),
            ("checkpoint hash null", [_head(hash=None)], "null"),
            ("checkpoint hash object", [_head(hash={})], "heads[0].hash"),
            ("checkpoint hash long", [_head(hash="a" * 100)], "'aaaa"),
            ("checkpoint site twice", [_head(site_id=3), _head(site_id=3, seq=2)], "heads[0]"),
        ]
    ),
    # web/api/common.py
    ("body utf-8", lambda: json_object(b"\xff{}"), "invalid start byte"),
    ("body json", lambda: json_object(b"{"), "body"),
    ("body object", lambda: json_object(b"[1]"), "list"),
    ("body surrogate", lambda: json_object(b'{"a": "\\ud800"}'), "body"),
]


def _siting(extra: dict[str, Any]) -> dict[str, Any]:
    return {"material": "phosphogypsum", "capacity_t_per_year": "1000"} | extra


def _zones(obj: Any) -> Callable[[], Any]:
    return lambda: planning.parse_zones(obj)


_UNIT = [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]
_SQUARE = [[102.0, 24.0], [102.1, 24.0], [102.1, 24.1], [102.0, 24.1], [102.0, 24.0]]


def _polygon(rings: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": rings}


# geo/zones.py, through market.planning.parse_zones as the siting page sends a file
CALLED += [
    ("zones list", _zones("[1]"), "[1]"),
    ("zones crs", _zones({"type": "Polygon", "crs": {"properties": {"name": "x"}}}), "'name'"),
    ("zones features", _zones({"type": "FeatureCollection", "features": 5}), "5"),
    ("zones type", _zones({"type": "Point"}), "'Point'"),
    ("zones none", _zones({"type": "FeatureCollection", "features": []}), "$.features"),
    ("zones feature", _zones({"type": "FeatureCollection", "features": [5]}), "5"),
    (
        "zones properties",
        _zones({"type": "Feature", "properties": 5, "geometry": _polygon([_SQUARE])}),
        "5",
    ),
    ("zones geometry", _zones({"type": "Feature", "geometry": None}), "$.geometry"),
    ("zones geometry type", _zones({"type": "Feature", "geometry": 5}), "5"),
    ("zones multi", _zones({"type": "MultiPolygon", "coordinates": 5}), "5"),
    ("zones shape", _zones({"type": "Feature", "geometry": {"type": "Line"}}), "'Line'"),
    ("zones empty", _zones({"type": "MultiPolygon", "coordinates": []}), "$.coordinates"),
    (
        "zones area",
        _zones(_polygon([[[102 + x * 1e-9, 24 + y * 1e-9] for x, y in _UNIT]])),
        "POLYGON",
    ),
    ("zones unrepairable", _zones(_polygon([[[102, 24]] * 4])), "[102 24]"),
    ("zones rings", _zones(_polygon([])), "[]"),
    ("zones ring", _zones(_polygon([5])), "5"),
    ("zones ring short", _zones(_polygon([[[102, 24], [103, 24], [102, 24]]])), "3"),
    ("zones position", _zones(_polygon([[*_SQUARE[:2], "x", *_SQUARE[3:]]])), "'x'"),
    ("zones degree", _zones(_polygon([[[10**400, 24], *_SQUARE[1:]]])), "$.coordinates[0]"),
    ("zones outside", _zones(_polygon([[[200, 24], *_SQUARE[1:]]])), "200"),
    ("zones open", _zones(_polygon([[*_SQUARE[:4], [102.0, 24.05]]])), "[102.0, 24.05]"),
    ("zones utf-8", _zones(b"\xff"), "invalid start byte"),
    ("zones deep", _zones("[" * 100_000 + "]" * 100_000), "$"),
    ("zones json", _zones("{"), "Expecting property name"),
]


def _problem(problem: str) -> Callable[[], Any]:
    """The matching problem's own checks, wrapped by the services with the text as is."""
    return lambda: matching.problem_from_json(problem)


def _lots(*changes: dict[str, Any]) -> Callable[[], Any]:
    lot = {"id": "L1", "material": "pg", "tonnes": 5, "lat": 25, "lon": 102}
    return _problem(json.dumps({"lots": [lot | c for c in changes], "facilities": []}))


_FACILITY = {"id": "F", "lat": 25, "lon": 102, "accepts": [{"material": "pg"}]}
_REVERSED = {"material": "pg", "spec": {"x": {"min": 5, "max": 1}}}
CALLED += [
    ("problem type", _problem("[]"), "problem"),
    ("problem key", _problem('{"lots": [], "facilities": [], "x": 1}'), "'x'"),
    ("problem missing", _problem("{}"), "'lots'"),
    ("problem number", _lots({"tonnes": "5"}), '"5"'),
    ("problem negative", _lots({"tonnes": -5}), "-5"),
    ("problem range", _lots({"lat": 95}), "95"),
    ("problem finite", _lots({"tonnes": float("inf")}), "inf"),
    ("problem duplicate key", _problem('{"lots": [], "lots": []}'), '"lots"'),
    ("problem duplicate id", _lots({}, {}), '"L1"'),
    ("problem empty", _lots({"id": " "}), "lots[0].id"),
    ("problem unicode", _lots({"id": "\ud800"}), "lots[0].id"),
    (
        "problem mode",
        _problem('{"lots": [], "facilities": [], "params": {"mode": "fast"}}'),
        '"fast"',
    ),
    (
        "problem bounds",
        _problem(json.dumps({"lots": [], "facilities": [_FACILITY | {"accepts": [_REVERSED]}]})),
        "5",
    ),
]


def _upload(content: bytes) -> Callable[[], Any]:
    return lambda: documents.upload(None, PRODUCER, content=content, filename="a.txt", max_bytes=8)


CALLED += [
    ("month format", lambda: reports.parse_month("2026-13"), "'2026-13'"),
    ("month range", lambda: reports.parse_month("1999-12"), "'1999-12'"),
    ("upload kind", _upload(b"hello"), "'a.txt'"),
    ("upload size", _upload(b"123456789"), "9"),
    ("evidence id", lambda: documents.cite(None, PRODUCER, "x"), "'x'"),
    ("evidence list", lambda: documents.cite(None, PRODUCER, {"id": 1}), "{'id': 1}"),
    ("evidence count", lambda: documents.cite(None, PRODUCER, list(range(1, 13))), "12"),
]


# the papers (market/papers, market/statutory)
CALLED += [
    ("statutory year", lambda: statutory.parse_period("abc"), "'abc'"),
    ("statutory year range", lambda: statutory.parse_period("1999"), "'1999'"),
    ("statutory month", lambda: statutory.parse_period("2025", "13"), "'13'"),
    ("trucks csv line", lambda: papers_service.parse_trucks_csv("云A·1,张三"), "'云A·1,张三'"),
]

_TECHNICAL = {
    # names that stay as they are in Chinese text
    *("CSRF", "Bearer", "Content", "Length", "UTF", "JSON", "GeoJSON", "Unicode", "WGS"),
    *("SQLite", "PostgreSQL", "pg", "dump", "Fc", "README", "force", "ISO", "YYYY", "MM", "DD"),
    *("min", "max", "name", "lat", "lon", "parameter", "true", "false", "null", "ud", "udfff"),
    *("Feature", "FeatureCollection", "Polygon", "MultiPolygon", "CSV", "Excel"),
    *("PDF", "JPEG", "PNG", "XLSX", "site", "id", "seq", "hash", "multipart", "form", "data"),
    # codes a template shows beside their Chinese word
    *("open", "disputed", "phosphogypsum", "file"),
}


def _kept(exc: DomainError) -> set[str]:
    """The words of a refusal a translation keeps as they are: its field, value and params."""
    words: set[str] = set()
    head = exc.template.split(": ")[0] if ": " in exc.template else ""
    for text in (head, *map(str, exc.words().values())):
        words |= set(re.findall(r"[A-Za-z]{2,}", text))
    for value in exc.params.values():
        if isinstance(value, DomainError):
            words |= _kept(value)
    return words


CASES = [pytest.param(call, value, id=name) for name, call, value in CALLED]


@pytest.mark.parametrize(("source", "value"), CASES)
def test_every_refusal_the_services_raise_reads_in_chinese_and_keeps_its_value(source, value):
    exc = refused(source)
    chinese = zh(exc)
    assert value in exc.message, "the example's value is not in the English message"
    assert i18n.known(exc.template), f"{exc.template!r} is not in the catalogue"
    assert value in chinese
    leftover = set(re.findall(r"[A-Za-z]{2,}", chinese)) - _kept(exc) - _TECHNICAL
    assert not leftover, f"{exc.message!r} -> {chinese!r} leaves English words {sorted(leftover)}"
    assert re.search(r"[\u4e00-\u9fff]", chinese)


def _catalogue():  # type: ignore[no-untyped-def]
    with (i18n.LOCALE / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def test_every_chinese_template_names_only_what_its_english_one_gives():
    # `{value}` is always there for a refusal `about` a field; a site may add a param the
    # Chinese needs (`given_site_kind`, `role`): it must be in the English call all the same
    allowed_extra = {"value", "given_site_kind", "role"}
    for message in _catalogue():
        if not message.id or not message.string:
            continue
        extra = placeholders(message.string) - placeholders(message.id) - allowed_extra
        assert not extra, (message.id, message.string)
        assert message.string.count("{{") == message.id.count("{{"), message.id
