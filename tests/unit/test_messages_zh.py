"""The services' English refusals, as the Chinese pages show them (web/messages_zh.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

import matching
from geo.zones import ZoneFileError
from market import audit, catalogue, fields, planning, statutory
from market.auth import Actor
from market.errors import DomainError
from market.papers import service as papers_service
from market.services import deliveries, documents, ledger, reports, users
from market.services.matching import check_params
from market.settings import Settings
from web.api import json_object
from web.messages_zh import RULES, find, label, localise_error

TODAY = date(2026, 3, 10)
SETTINGS = Settings.from_env({"WASTEMATCH_SECRET_KEY": "test-secret-" + "x" * 40})
PRODUCER = Actor(1, "producer-1", "producer", 1, "产废单位")


def zh(message: str) -> str:
    return localise_error(message, "zh")


def refusal(call: Callable[[], Any]) -> str:
    """The English message a service call refuses with, exactly as the API would send it."""
    try:
        call()
    except DomainError as exc:
        return exc.message
    except (matching.ProblemError, ZoneFileError) as exc:  # wrapped by the services as is
        return str(exc)
    raise AssertionError("the call was not refused")


# ----------------------------------------------------------------------------- each family


def test_an_english_page_gets_the_message_unchanged():
    assert localise_error("tonnes: -5 is negative", "en") == "tonnes: -5 is negative"
    assert localise_error("tonnes: -5 is negative", "fr") == "tonnes: -5 is negative"


def test_a_message_no_rule_knows_stays_in_english_and_nothing_raises():
    for odd in ("", ":", ": :", "something new went wrong", "x: {0} {value}", "\ud800", "a" * 5000):
        assert zh(odd) == odd


def test_a_negative_tonnage_is_refused_in_chinese_with_the_field_and_value_kept():
    assert zh("tonnes: -5 is negative") == "吨数（tonnes）：-5 为负数"
    assert zh("tonnes: '-5' must be greater than 0") == "吨数（tonnes）：'-5' 必须大于 0"
    assert zh("tonnes: is required") == "吨数（tonnes）：必填"
    assert zh("price_cny_t: 200000 is above the maximum 100000") == (
        "价格（price_cny_t）：200000 超过上限 100000"
    )
    assert zh("tonnes: 'abc' is not a number") == "吨数（tonnes）：'abc' 不是数字"


def test_a_field_is_named_as_the_form_names_it_with_its_path_kept():
    assert label("available_until") == "可供截止（available_until）"
    assert label("quality.caso4_2h2o_pct") == "化验指标·二水硫酸钙含量（quality.caso4_2h2o_pct）"
    assert (
        label("spec.moisture_pct.min") == "质量限值·附着水（含水率）下限（spec.moisture_pct.min）"
    )
    assert label("candidates[2].lat") == "候选厂址（candidates[2].lat）"
    assert label("quality.colour") == "化验指标（quality.colour）"
    assert label("colour") == "colour"
    assert label("$.features[0]") == "$.features[0]"


def test_text_and_choices_are_refused_in_chinese():
    assert zh("source: 'x' is not one of lots, stock") == (
        "消纳对象（source）：'x' 不是可选值之一（lots, stock）"
    )
    assert zh("colour: 'red' is not a known field") == "colour：未知字段（值 'red'）"
    assert (
        zh("note: 'a\\x01b' contains control characters") == "备注（note）：'a\\x01b' 含有控制字符"
    )


def test_dates_are_refused_in_chinese_naming_both_fields():
    assert zh("available_until: 2026-04-01 is before available_from 2026-05-01") == (
        "可供截止（available_until）：2026-04-01 早于可供起始（available_from）的 2026-05-01"
    )
    assert (
        zh("sampled_on: '2099-01-01' is in the future")
        == "取样日期（sampled_on）：'2099-01-01' 晚于今天"
    )


def test_the_catalogue_names_the_material_in_chinese():
    assert zh("quality.colour: 3 is not a parameter of phosphogypsum") == (
        "化验指标（quality.colour）：磷石膏（phosphogypsum）没有这项指标（填写值 3）"
    )
    assert zh("spec.moisture_pct: min 20 is above max 10").endswith("：下限 20 高于上限 10")


def test_something_that_does_not_exist_is_named_with_its_id():
    assert zh("lot: 7 does not exist") == "批次（lot）：7 不存在"
    assert zh("match run: 9 does not exist") == "撮合运行（match run）：9 不存在"


def test_accounts_and_sessions_are_refused_in_chinese():
    assert zh("username or password is wrong") == "用户名或密码错误"
    assert zh("role: 'producer' may not do this (needs regulator or operator)") == (
        "角色（role）：'producer' 无权执行此操作（需要主管部门（regulator）或平台运营（operator））"
    )
    assert zh("csrf_token: missing or wrong; reload the page and try again") == (
        "CSRF 令牌（csrf_token）：缺失或错误，请刷新页面后重试"
    )


def test_a_bid_refused_by_its_state_names_the_state_in_both_languages():
    assert zh("bid: 3 is rejected, only an open bid can be accepted") == (
        "出价（bid）：3 当前为已拒绝（rejected），只有待决定（open）的出价才能接受"
    )
    assert zh("lot 4: 12 t asked, 5 t open") == "批次 4：申请 12 吨，仅剩 5 吨可供"
    assert zh("contract: 3 is cancelled") == "合同（contract）：3 当前为已取消（cancelled）"


def test_deliveries_are_refused_in_chinese():
    assert zh("tonnes: 500 is more than the 200 t left on contract 3") == (
        "吨数（tonnes）：500 超过合同 3 剩余的 200 吨"
    )
    assert (
        zh("manifest_no: 'M-1' is already delivery 4")
        == "联单编号（manifest_no）：'M-1' 已是联单 4"
    )


def test_sites_and_the_ledger_are_refused_in_chinese():
    assert zh("lat/lon: (30.66, 104.06) is outside Yunnan province") == (
        "经纬度（lat/lon）：(30.66, 104.06) 不在云南省境内"
    )
    assert (
        zh("document: is required for a treatment entry (the survey, contract or report behind it)")
        == "凭证（document）：无害化处理（treatment）条目必须填写（对应的盘点、合同或报告）"
    )


def test_the_planners_refusals_are_in_chinese():
    assert zh("candidates: line 2 '园区乙, 北纬' is not 'name, lat, lon'") == (
        "候选厂址（candidates）：第 2 行 '园区乙, 北纬' 不是“名称, 纬度, 经度”格式"
    )
    assert zh("horizon_months: '500' must be from 1 to 120") == (
        "规划期（horizon_months）：'500' 应在 1 到 120 之间"
    )


def test_a_protected_zone_file_is_refused_in_chinese_at_its_own_path():
    message = (
        "zones: $.features[0].geometry.coordinates[0][2]: longitude 200.0 is outside [-180, 180]"
    )
    assert zh(message) == (
        "保护区（zones）：$.features[0].geometry.coordinates[0][2]：经度 200.0 超出 [-180, 180]"
    )


def test_the_matching_problems_own_checks_are_in_chinese():
    assert (
        zh("lots[0].lat: 95 is out of range [-90, 90]")
        == "批次（lots[0].lat）：95 超出范围 [-90, 90]"
    )
    assert zh('duplicate key "lots" in an object') == '对象中有重复的键 "lots"'


def test_a_request_body_is_refused_in_chinese():
    assert zh("body: not valid JSON") == "请求体（body）：不是有效的 JSON"
    assert (
        zh("body: expected a JSON object, got list")
        == "请求体（body）：应为 JSON 对象，实际为 list"
    )


def test_backups_are_refused_in_chinese():
    assert zh("output: /tmp/b.db exists; choose a new file") == (
        "输出文件（output）：/tmp/b.db 已存在，请另选文件"
    )


def test_the_regulators_desk_is_refused_in_chinese():
    assert zh(
        "period: '2025-13' is not a period: a year (2025), quarter (2025-Q2) or month (2025-05)"
    ).startswith("期间（period）：'2025-13' 不是有效期间")


def test_the_regulators_checkpoint_is_refused_in_chinese():
    assert zh("heads[3].hash: 'zz' is not 64 hex digits") == (
        "链头（heads[3].hash）：'zz' 不是 64 位十六进制数"
    )
    assert zh("heads[1].site_id: 3 appears twice (also heads[0])") == (
        "链头（heads[1].site_id）：3 出现了两次（另见 heads[0]）"
    )
    # an array or object is named, not shown: named in Chinese too
    assert zh("heads: an object is not a list of heads") == "链头（heads）：对象 不是链头列表"
    assert zh("heads[0].seq: an array is not an entry number (a whole number from 0)") == (
        "链头（heads[0].seq）：数组 不是条目序号（应为不小于 0 的整数）"
    )
    # a key that is not a name is shown as its repr, colon and all
    assert zh("'a: b': is not a key of a verify answer (the checkpoint is its heads)") == (
        "'a: b'：不是校验结果中的键（检查点即校验结果中的链头）"
    )
    assert zh("file: none chosen; choose the JSON of an earlier check") == (
        "文件（file）：未选择；请选择此前一次校验的 JSON 导出"
    )
    # the body's own refusal, then the hint
    assert zh(
        "file: not valid JSON; choose the JSON of an earlier check, not its CSV or Excel export"
    ) == (
        "文件（file）：不是有效的 JSON；"
        "请选择此前一次校验的 JSON 导出，而不是它的 CSV 或 Excel 导出"
    )


def test_a_value_that_looks_like_a_template_is_shown_as_typed():
    assert zh("name: '{field} {0}' is taken") == "名称（name）：'{field} {0}' 已被占用"


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
    ("role", lambda: PRODUCER.require("regulator", "operator"), "'producer'"),
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
    # market/planning.py
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
    # market/audit.py
    ("period", lambda: audit.parse_period("2025-13"), "'2025-13'"),
    ("prefecture code", lambda: audit.parse_scope({"prefecture": "x1"}), "'x1'"),
    ("prefecture", lambda: audit.parse_scope({"prefecture": "999999"}), "999999"),
    ("county", lambda: audit.parse_scope({"county": "999999"}), "999999"),
    # market/audit.py: compare_checkpoint's validation, before it reads the ledger
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
    # web/api.py
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
    ("problem type", _problem("[]"), "a list"),
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

# Raise sites that need a database, a request or a file: the message as the site builds it.
# the papers (market/papers, market/statutory.py)
CALLED += [
    ("statutory year", lambda: statutory.parse_period("abc"), "'abc'"),
    ("statutory year range", lambda: statutory.parse_period("1999"), "'1999'"),
    ("statutory month", lambda: statutory.parse_period("2025", "13"), "'13'"),
    ("trucks csv line", lambda: papers_service.parse_trucks_csv("云A·1,张三"), "'云A·1,张三'"),
]

LITERAL: list[tuple[str, str]] = [
    ("ticket_file: 'ticket.jpg' is not a picture or a PDF (judged by its content)", "ticket.jpg"),
    ("lab_report: 'assay.txt' is not a PDF, picture or workbook", "assay.txt"),
    ("ticket_file: choose the ticket's photo", "ticket_file"),
    ("lab_report_file: choose the report", "lab_report_file"),
    ("trucks[0].truck_plate: '!!' is not a plate number", "'!!'"),
    ("trucks[1].manifest_no: 'M-1' appears twice", "'M-1'"),
    ("trucks[0].manifest_no: 'M-1' is already dispatched", "'M-1'"),
    ("trucks[1]: tonnes: 99999 is more than the 330.8 t left on contract 36", "99999"),
    # market/auth.py, web/login.py: the login throttle (issue 10)
    ("address: '10.0.0.9' has 50 failed logins; try again in a few minutes", "'10.0.0.9'"),
    ("address: '10.0.0.9' tried 60 logins in a minute; try again in a minute", "'10.0.0.9'"),
    ("login: 16 logins are waiting on this server; try again in a few seconds", "16"),
    ("token: expired; log in for a new one", "token"),
    # market/services/users.py: accounts
    ("current_password: is wrong", "current_password"),
    ("new_password: is the current password", "new_password"),
    ("new_password_again: differs from new_password", "new_password_again"),
    ("new_password: has 4 characters, at least 10 needed", "4"),
    ("user: an operator cannot deactivate their own account", "user"),
    ("user: 77 does not exist", "77"),
    ("email: 'not-an-address' is not an e-mail address", "'not-an-address'"),
    ("password: was reset by an operator; choose a new one first", "password"),
    ("planning: 4 requests are waiting on this server; try again in a minute", "4"),
    # market/db.py: a unique constraint lost twice in a row
    (
        "uq_site_org_name: another request changed the same thing at the same time; try again",
        "uq_site_org_name",
    ),
    # market/auth.py
    ("username or password is wrong", ""),
    ("username: 'li.ming' has 5 failed logins; try again in a few minutes", "'li.ming'"),
    ("token: unknown or revoked", "token"),
    ("token: its user is inactive", "token"),
    # market/services/common.py
    ("site_id: 3 does not exist", "3"),
    ("site_id: 3 is a plant, not a yard", "3"),
    # market/services/users.py
    ("org: '' must be 1 to 200 characters", "''"),
    ("kind: 'bank' is not one of producer, recycler, regulator, operator", "'bank'"),
    ("org: '滇中水泥' is a recycler organisation, not a producer one", "'滇中水泥'"),
    ("username: 'a b' must be 2–80 letters, digits, or . _ @ - (no spaces)", "'a b'"),
    ("role: 'boss' is not one of producer, recycler, regulator, operator", "'boss'"),
    ("username: 'li.ming' is taken", "'li.ming'"),
    ("token: 12 does not exist", "12"),
    ("username: 'nobody' does not exist", "'nobody'"),
    # market/services/lots.py
    ("sampled_on: '2099-01-01' is in the future", "'2099-01-01'"),
    ("lot: 7 does not exist", "7"),
    ("lot: 7 is withdrawn and can no longer be edited", "7"),
    ("tonnes: 50 is below the 200 t already under contract", "50"),
    # market/services/offers.py
    ("period_end: '2027-06-01' is more than 366 days after the start", "'2027-06-01'"),
    ("offer: 8 does not exist", "8"),
    # market/services/sites.py
    ("kind: a producer registers yards, not plants", "producer"),
    ("lat/lon: (30.66, 104.06) is outside Yunnan province", "(30.66, 104.06)"),
    ("name: '安宁堆场' is already one of your sites", "'安宁堆场'"),
    # market/services/ledger.py
    ("site_id: 5 is a plant; ledgers are kept at yards", "5"),
    (
        "kind: this yard already has an opening survey for phosphogypsum; "
        "record a correction instead",
        "phosphogypsum",
    ),
    # market/services/trade.py
    ("proposal: 4 does not exist", "4"),
    ("tonnes: 300 is more than the 200 t proposed", "300"),
    ("tonnes: 300 asked, lot 2 has 150 t open", "150"),
    ("tonnes: 300 asked, offer 3 has 150 t of capacity open", "150"),
    ("bid: 9 does not exist", "9"),
    ("bid: 9 is rejected, only an open bid can be accepted", "rejected"),
    ("lot 2: 300 t asked, 150 t open", "150"),
    ("offer 3: 300 t asked, 150 t of capacity open", "150"),
    ("bid: 9 is accepted and cannot be rejected", "accepted"),
    ("bid: 9 is accepted and cannot be withdrawn", "accepted"),
    ("contract: 6 does not exist", "6"),
    ("contract: 6 is cancelled", "cancelled"),
    ("contract: 6 has 2 deliveries and cannot be cancelled", "2"),
    # market/services/matching.py
    ("lot: 7 does not exist", "7"),
    # market/services/schedule.py
    ("every_hours: '-2' must be from 0 (off) to 744", "'-2'"),
    # market/services/deliveries.py
    ("dispatched_at: '2099-01-01T08:00' is in the future", "'2099-01-01T08:00'"),
    ("idempotency_key: 'k-1' was used for manifest M-7", "M-7"),
    ("manifest_no: 'M-7' is already delivery 12", "'M-7'"),
    ("contract: 6 is closed; nothing more can be dispatched", "closed"),
    ("tonnes: 500 is more than the 200 t left on contract 6", "500"),
    ("delivery: 12 does not exist", "12"),
    ("delivery: 12 is already received with 195 t received", "195"),
    ("received_at: '2026-01-01T08:00' is before the dispatch", "'2026-01-01T08:00'"),
    ("delivery: 12 is received, not disputed", "received"),
    # market/backup.py
    (
        "database: postgresql+psycopg://wm:***@db/wm is not a SQLite file; back up PostgreSQL "
        "with pg_dump -Fc (see the README)",
        "postgresql+psycopg://wm:***@db/wm",
    ),
    ("database: /srv/wm.db does not exist", "/srv/wm.db"),
    ("output: /srv/b.db exists; choose a new file", "/srv/b.db"),
    ("input: /srv/b.db is not a SQLite database (file is not a database)", "/srv/b.db"),
    ("input: /srv/b.db does not exist", "/srv/b.db"),
    ("input: /srv/b.db fails SQLite's integrity check: row 3 missing", "row 3 missing"),
    ("input: /srv/b.db has a broken ledger chain: site 2 seq 5", "site 2 seq 5"),
    ("database: /srv/wm.db exists; pass --force to replace it", "/srv/wm.db"),
    # market/listings.py, market/views.py
    ("proposal: 4 does not exist", "4"),
    ("match run: 9 does not exist", "9"),
    # market/audit.py
    ("organisation: 99 does not exist", "99"),
    ("kind: 'eaten' is not one of generated, utilised", "'eaten'"),
    ("material: is required for the drawdown series", "material"),
    # market/planning.py, wrapping the planner's and the siting analysis' own checks
    (
        "problem: 90000 nodes over 120 months leave no room for exact integer costs; "
        "shorten the horizon or plan fewer materials at once",
        "90000",
    ),
    ("capacity_t: 0 must be positive", "0"),
    ("capacity_t: 2e+08 t is above 1e+08 t", "2e+08"),
    ("candidates: 600 candidates, at most 500", "600"),
    ("candidates[0].name: must not be empty", "candidates[0].name"),
    ("buffer_km: -1 is negative", "-1"),
    ("params.month_labels: 3 labels for a horizon of 12 months", "3"),
    ('lot: "L9" is not in the problem', '"L9"'),
    ("lots[0].tonnes: 5e+10 t is above the maximum 1e+09 t", "5e+10"),
    (
        "problem: 5000 nodes with priorities up to 10 leave no room for exact integer costs; "
        "split the problem or narrow the priorities",
        "5000",
    ),
    ("params.priorities.pg: 99 is out of range [1, 10]", "99"),
    ("zones: $.features[0].geometry: missing or null", "$.features[0].geometry"),
    ("zones: $: more than 200,000 vertices in the file", "200,000"),
    (
        "zones: $.features[0].geometry: invalid polygon of 3,000 vertices "
        "(Self-intersection[102.7 25.1]); at most 500 are repaired here, repair it in a GIS first",
        "3,000",
    ),
    ("zones: $.features: 2,001 zones, at most 2,000", "2,001"),
    # web/regulator.py, web/audit_api.py, web/declared_query.py
    ("metric: 'size' is not one of stock, rate, flags", "'size'"),
    ("colour: 'red' is not a known query parameter", "'red'"),
    ("format: 'pdf' is not one of json, csv, xlsx", "'pdf'"),
    # web/planning_api.py, web/planning_pages.py, web/api.py
    ("body: 6,000,000 bytes, at most 5,100,000 allowed", "6,000,000"),
    ("body: more than 5,100,000 bytes, at most 5,100,000 allowed", "5,100,000"),
    ("body: a Content-Length is required", "Content-Length"),
    ("body: 2000000 bytes, at most 1000000 allowed", "2000000"),
    ("lot: 'x' does not exist", "'x'"),
    ("limit: 'lots' must be a whole number from 0 to 1000", "'lots'"),
    ("username: is required", "username"),
    ("password: is required", "password"),
    ("params: [1] is not an object", "[1]"),
    ("run: 'x' is not a whole number", "'x'"),
    ("path: /api/v1/nothing does not exist", "/api/v1/nothing"),
    # web/regulator.py: the verify page's checkpoint upload
    ("file: a Content-Length is required", "Content-Length"),
    ("file: 20,100,001 bytes, at most 20,000,000 allowed", "20,100,001"),
    ("file: none chosen; choose the JSON of an earlier check", "JSON"),
    ("file: more than 20,000,000 bytes", "20,000,000"),
    ("file: is empty; choose the JSON of an earlier check", "JSON"),
    *(
        (
            f"file: {problem}; choose the JSON of an earlier check, not its CSV or Excel export",
            value,
        )
        for problem, value in [
            ("not UTF-8 text (invalid start byte at byte 0)", "invalid start byte"),
            ("not valid JSON", "JSON"),
            ("expected a JSON object, got list", "list"),
            ("a string holds a lone surrogate (\\ud800-\\udfff): not Unicode", "\\ud800"),
        ]
    ),
    # web/audit_api.py: POST /api/v1/audit/verify/checkpoint
    ("body: more than 20,000,000 bytes", "20,000,000"),
    ("format: 'csv' is not answered here: only json", "'csv'"),
    # market/services/reports.py: locks, stock, dates, the order of months
    (
        "occurred_on: 2026-10-05 falls in 2026-10, which is approved for site 3; only a "
        "correction approved by a regulator changes it",
        "2026-10-05",
    ),
    (
        "received_at: 2026-11-02 falls in 2026-11, which is submitted for site 1; only a "
        "correction approved by a regulator changes it",
        "2026-11",
    ),
    (
        "tonnes: 500 t would leave the stock of phosphogypsum at site 1 at -200 t on "
        "2026-11-30; stock cannot go below zero",
        "-200",
    ),
    ("occurred_on: 2199-01-01 is after today (2026-12-06, China time)", "2199-01-01"),
    (
        "occurred_on: 1990-01-01 is before 2025-01, the first month site 1 has reported",
        "1990-01-01",
    ),
    (
        "occurred_on: 2024-03-01 is before 2024-06-30, the first entry of red_mud at site 6",
        "2024-06-30",
    ),
    ("dispatched_at: 2020-01-01 is before contract 7 was made (2026-03-02)", "2026-03-02"),
    (
        "received_at: '2026-01-01T08:00' is before the dispatch (2026-01-05)",
        "'2026-01-01T08:00'",
    ),
    (
        "period: 2026-12 has not ended yet (today is 2026-12-06, China time); a month is "
        "submitted once it has ended",
        "2026-12",
    ),
    (
        "period: 2026-10 is returned; months are submitted in order, so submit 2026-10 before "
        "2026-11",
        "2026-11",
    ),
    ("period: 2026-10 is already approved", "2026-10"),
    ("period: '2019-01' is before the yard's first month (2025-01)", "'2019-01'"),
    ("period: '2026-01' cannot be submitted: the yard has no ledger entries yet", "'2026-01'"),
    ("site_id: 19 is a plant; reports are kept for yards", "19"),
    ("report: 24 (2026-10) is approved, not submitted", "24"),
    ("reason: is required", "reason"),
    # market/services/corrections.py
    (
        "period: 2026-11 is open; post the entry to the ledger directly, corrections are for "
        "submitted and approved months",
        "2026-11",
    ),
    ("correction: 1 is already rejected", "1"),
    ("entry: 188 is attested; only a pending claim is attested", "188"),
    ("material: 'red_mud' must be phosphogypsum for p2o5_output", "'red_mud'"),
    ("decision: 'maybe' is not one of attested, rejected", "'maybe'"),
    ("settled_tonnes: 120 is above the maximum 100", "120"),
    # market/services/ledger.py, documents.py; web/market_pages.py uploads
    (
        "evidence: is required for a utilisation entry a producer claims itself (upload the "
        "record behind it to /api/v1/documents and cite its id)",
        "evidence",
    ),
    ("evidence: 99 is not a document your organisation uploaded", "99"),
    ("file: is empty", "file"),
    ("file: 20000000 bytes sent, at most 10000000 allowed", "20000000"),
    # web/security.py
    ("csrf_token: missing or wrong; reload the page and try again", "csrf_token"),
    ("authentication required: log in or send a bearer token", ""),
    # market/services/jobs.py, market/jobs.py: long work as jobs
    ("job: 7 was started by someone else; only they may cancel it", "7"),
    ("job: 7 is already done", "7"),
    ("job: 7 has no drawdown result", "7"),
]

_TECHNICAL = {
    # names that stay as they are in Chinese text
    *("CSRF", "Bearer", "Content", "Length", "UTF", "JSON", "GeoJSON", "Unicode", "WGS"),
    *("SQLite", "PostgreSQL", "pg", "dump", "Fc", "README", "force", "ISO", "YYYY", "MM", "DD"),
    *("min", "max", "name", "lat", "lon", "parameter", "true", "false", "null", "ud", "udfff"),
    *("Feature", "FeatureCollection", "Polygon", "MultiPolygon", "CSV", "Excel"),
    *("PDF", "JPEG", "PNG", "XLSX"),
    # codes a template shows beside their Chinese word
    *("open", "disputed", "phosphogypsum"),
}


def _kept(message: str) -> set[str]:
    """The words of the message a translation keeps as they are: its fields, values, codes."""
    hit = find(message)
    assert hit is not None, f"no rule for {message!r}"
    words: set[str] = set()
    for name, text in hit[1].groupdict().items():
        if text is not None:
            words |= set(re.findall(r"[A-Za-z]{2,}", text))
            if name == "inner":
                words |= _kept(text)
    return words


CASES = [pytest.param(call, value, id=name) for name, call, value in CALLED] + [
    pytest.param(message, value, id=message[:60]) for message, value in LITERAL
]


@pytest.mark.parametrize(("source", "value"), CASES)
def test_every_refusal_the_services_raise_reads_in_chinese_and_keeps_its_value(source, value):
    message = source if isinstance(source, str) else refusal(source)
    chinese = zh(message)
    assert value in message, "the example's value is not in the English message"
    assert value in chinese
    leftover = set(re.findall(r"[A-Za-z]{2,}", chinese)) - _kept(message) - _TECHNICAL
    assert not leftover, f"{message!r} -> {chinese!r} leaves English words {sorted(leftover)}"
    assert re.search(r"[\u4e00-\u9fff]", chinese)


def _rules_used(message: str) -> set[int]:
    hit = find(message)
    if hit is None:
        return set()
    inner = hit[1].groupdict().get("inner")
    return {id(hit[0])} | (_rules_used(inner) if inner else set())


def test_every_rule_is_needed_by_some_refusal():
    messages = [refusal(call) for _, call, _ in CALLED] + [m for m, _ in LITERAL]
    used = set().union(*map(_rules_used, messages))
    unused = [rule.pattern.pattern for rule in RULES if id(rule) not in used]
    assert not unused
