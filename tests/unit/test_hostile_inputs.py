"""Hostile input to everything that parses without a database: the field parsers, the catalogue
checks, audit periods and scopes, the planning requests, the matching JSON and `wastematch match`,
protected-zone GeoJSON, and the CSV / Excel exports.

Each parser either accepts or raises its own error type (naming the field or JSON path) — never
another exception, never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from geo.zones import ProtectedZones, ZoneFileError
from market import audit, catalogue, exports, fields, planning
from market.errors import DomainError
from market.services.matching import check_params
from market.settings import Settings
from matching import ProblemError, problem_from_json, solve
from matching.command import run as run_match_command
from matching.jsonio import PARAM_KEYS
from tests.support.strategies import (
    FIELD_PREFIX,
    arbitrary,
    json_values,
    refused_naming_a_field,
)

FAST = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def accepts_or_names_the_field(call: Any) -> Any:
    try:
        return call()
    except DomainError as exc:
        refused_naming_a_field(exc)
        return None


# ----------------------------------------------------------------------------- market.fields


@FAST
@given(value=json_values)
def test_every_field_parser_answers_a_value_or_names_the_field(value):
    data = {"f": value}
    accepts_or_names_the_field(lambda: fields.number(data, "f"))
    accepts_or_names_the_field(lambda: fields.tonnes(data, "f"))
    accepts_or_names_the_field(lambda: fields.text(data, "f"))
    accepts_or_names_the_field(lambda: fields.integer(data, "f"))
    accepts_or_names_the_field(lambda: fields.day(data, "f"))
    accepts_or_names_the_field(lambda: fields.moment(data, "f"))
    accepts_or_names_the_field(lambda: fields.mapping(data, "f"))
    accepts_or_names_the_field(lambda: fields.reject_unknown(data, ("g",)))


@pytest.mark.parametrize("raw", ["²", "-²", "³⁴", "9" * 5000, "-" + "9" * 5000, "1_000"])
def test_digits_python_would_not_parse_are_not_whole_numbers(raw):
    with pytest.raises(DomainError) as caught:
        fields.integer({"n": raw}, "n")
    assert caught.value.message.startswith("n: ")


def test_a_whole_number_stays_one():
    assert fields.integer({"n": " 42 "}, "n") == 42
    assert fields.integer({"n": "-7"}, "n") == -7
    assert fields.integer({"n": 3.0}, "n") == 3


@pytest.mark.parametrize("raw", ["\ud800", "a\udfffb"])
def test_text_that_is_not_unicode_is_refused(raw):
    with pytest.raises(DomainError) as caught:
        fields.text({"name": raw}, "name")
    assert caught.value.message.startswith("name: ")
    caught.value.message.encode("utf-8")


# ----------------------------------------------------------------------------- catalogue


@FAST
@given(
    raw=st.dictionaries(st.sampled_from(["caso4_2h2o_pct", "ira", "na2o_pct", "x"]), json_values)
)
def test_an_assay_or_a_spec_of_anything_is_checked_or_refused(raw):
    for material in ("phosphogypsum", "red_mud"):
        accepts_or_names_the_field(lambda m=material: catalogue.quality(m, raw))
        accepts_or_names_the_field(lambda m=material: catalogue.spec(m, raw))
    accepts_or_names_the_field(lambda: catalogue.material(raw.get("x")))


# ----------------------------------------------------------------------------- audit


@FAST
@given(
    period=st.one_of(
        json_values, st.from_regex(r"(19|20|21|22)[0-9]{2}(-Q[0-9]|-[0-9]{2})?", fullmatch=True)
    ),
    scope=arbitrary(
        ("prefecture", "county", "organisation", "material"),
        prefecture=st.sampled_from(["530100", "530000", "5301000", "²", "-1"]),
        county=st.sampled_from(["530181", "530100"]),
        material=st.sampled_from(["phosphogypsum", "PHOSPHOGYPSUM"]),
    ),
)
def test_audit_periods_and_scopes_parse_or_name_the_parameter(period, scope):
    accepts_or_names_the_field(lambda: audit.parse_period(period))
    # query parameters are always text
    as_query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in scope.items()}
    accepts_or_names_the_field(lambda: audit.parse_scope(as_query))


# ----------------------------------------------------------------------------- planning


@FAST
@given(
    data=arbitrary(
        planning.DRAWDOWN_KEYS,
        horizon_months=st.integers(-5, 300) | st.sampled_from(["12", "²", "1e3"]),
        materials=st.lists(st.sampled_from(["phosphogypsum", "red_mud", "nope", ""]), max_size=3),
        renew_offers=st.sampled_from([True, "yes", "no", "maybe"]),
    )
)
def test_a_drawdown_request_of_anything_parses_or_names_the_field(data):
    accepts_or_names_the_field(lambda: planning.parse_drawdown(data))


polygon = st.lists(st.tuples(st.floats(99, 106), st.floats(21, 29)), min_size=3, max_size=6).map(
    lambda pts: [[list(p) for p in [*pts, pts[0]]]]
)
geojson = st.one_of(
    json_values,
    polygon.map(lambda c: {"type": "Polygon", "coordinates": c}),
    st.tuples(polygon, json_values).map(
        lambda t: {"type": "Polygon", "coordinates": [[*t[0][0][:-1], t[1], t[0][0][0]]]}
    ),
    json_values.map(lambda v: {"type": "MultiPolygon", "coordinates": v}),
    json_values.map(
        lambda v: {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": v}]}
    ),
)


@FAST
@given(
    data=arbitrary(
        planning.SITING_KEYS,
        material=st.sampled_from(["phosphogypsum", "fly_ash", "nope"]),
        capacity_t_per_year=st.floats(-10, 2e8) | st.sampled_from(["100000", "1e400"]),
        candidates=st.lists(
            st.fixed_dictionaries(
                {"name": st.text(max_size=5), "lat": st.floats(), "lon": st.floats()}
            ),
            max_size=3,
        )
        | st.sampled_from(["安宁, 24.9, 102.5", "a,b", "x, 1, 2\nx, 1, 2"]),
        zones=geojson,
        spec=st.sampled_from(["{", '{"caso4_2h2o_pct": {"min": 80}}', {"ira": {"max": "²"}}]),
        source=st.sampled_from(["lots", "stock", "both"]),
    )
)
def test_a_siting_request_of_anything_parses_or_names_the_field(data):
    accepts_or_names_the_field(lambda: planning.parse_siting(data))


# ----------------------------------------------------------------------------- match-run params


@FAST
@given(
    params=arbitrary(
        PARAM_KEYS,
        priorities=st.dictionaries(st.sampled_from(["phosphogypsum", "\ud800", ""]), json_values),
        mode=st.sampled_from(["divisible", "min_shipment"]),
    )
)
def test_match_run_params_are_checked_before_a_solve(params):
    config = Settings()
    checked = accepts_or_names_the_field(lambda: check_params(params, config))
    if checked is None:
        return
    problem = {"params": checked, "lots": [], "facilities": []}
    try:
        problem_from_json(problem)
    except ProblemError as exc:
        assert str(exc).startswith("params"), exc


# ----------------------------------------------------------------------------- matching JSON


lot_json = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["L1", "L2", "\ud800", ""]) | json_values,
        "material": st.sampled_from(["phosphogypsum", "red_mud"]),
        "tonnes": st.sampled_from([0, 1, 40000, 1e13]) | json_values,
        "lat": st.floats(20, 30) | json_values,
        "lon": st.floats(97, 107) | json_values,
    },
    optional={"quality": json_values, "max_haul_km": json_values, "x": json_values},
)
facility_json = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["F1", "F2"]) | json_values,
        "lat": st.floats(20, 30),
        "lon": st.floats(97, 107),
        "accepts": st.lists(
            st.fixed_dictionaries(
                {"material": st.sampled_from(["phosphogypsum", "red_mud"])},
                optional={"capacity_t": json_values, "spec": json_values},
            ),
            max_size=2,
        )
        | json_values,
    },
    optional={"capacity_t": json_values, "max_haul_km": json_values},
)
problem_json = st.fixed_dictionaries(
    {
        "lots": st.lists(lot_json, max_size=3) | json_values,
        "facilities": st.lists(facility_json, max_size=2),
    },
    optional={"params": json_values},
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=problem_json | json_values)
def test_a_matching_problem_of_anything_is_solved_or_refused_by_path(data):
    try:
        problem = problem_from_json(data)
    except json.JSONDecodeError:
        assert isinstance(data, str)  # a string is read as JSON text, as documented
        return
    except ProblemError as exc:
        assert FIELD_PREFIX.match(str(exc)) or str(exc).startswith("problem"), str(exc)
        str(exc).encode("utf-8")
        return
    result = solve(problem)
    assert result.status in ("optimal", "feasible")


# ----------------------------------------------------------------------------- wastematch match


def _cli(tmp_path: Path, content: bytes) -> tuple[int, str, Path]:
    source = tmp_path / "problem.json"
    source.write_bytes(content)
    target = tmp_path / "result.json"
    err, out = io.StringIO(), io.StringIO()
    status = run_match_command(str(source), str(target), err, out)
    return status, err.getvalue(), target


GOOD = {"lots": [], "facilities": []}
HOSTILE_FILES = {
    "nested 10,000 deep (arrays)": b"[" * 10_000 + b"]" * 10_000,
    "nested 10,000 deep (objects)": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "NaN": b'{"lots":[{"id":"L","material":"m","tonnes":NaN,"lat":25,"lon":102}],"facilities":[]}',
    "Infinity": b'{"lots":[],"facilities":[],"params":{"circuity":Infinity}}',
    "-Infinity": b'{"lots":[],"facilities":[],"params":{"cost_per_t_km":-Infinity}}',
    "1e999": b'{"lots":[],"facilities":[],"params":{"cost_per_t_km":1e999}}',
    "a 5,000-digit integer": b'{"lots":[],"facilities":[],"params":{"circuity":'
    + b"1" * 5000
    + b"}}",
    "UTF-16": json.dumps(GOOD).encode("utf-16"),
    "UTF-32": json.dumps(GOOD).encode("utf-32"),
    "invalid UTF-8": b'{"lots":[{"id":"\xff\xfe"}],"facilities":[]}',
    "a lone surrogate": b'{"lots":[{"id":"\\ud800","material":"m","tonnes":1,"lat":25,'
    b'"lon":102}],"facilities":[]}',
    "a surrogate key": b'{"lots":[{"id":"L","material":"m","tonnes":1,"lat":25,"lon":102,'
    b'"quality":{"\\udc00":1}}],"facilities":[{"id":"F","lat":25,"lon":102,'
    b'"accepts":[{"material":"m","spec":{"\\udc00":{"max":0}}}]}]}',
    "a duplicate key": b'{"lots":[{"id":"L","material":"m","tonnes":1,"lat":25,"lon":102}],'
    b'"lots":[],"facilities":[]}',
    "NUL bytes": b"\x00\x00\x00\x00",
    "empty": b"",
    "a bare string": b'"lots"',
    "truncated": b'{"lots": [',
}


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_a_hostile_problem_file_gets_one_line_and_exit_2(tmp_path, name):
    status, err, target = _cli(tmp_path, HOSTILE_FILES[name])
    assert status == 2, (name, err)
    assert err.startswith("wastematch match: ") and err.count("\n") == 1, err
    assert len(err) < 400, err
    assert not target.exists()
    assert not list(tmp_path.glob(".result.json.*"))


def test_a_byte_order_mark_is_read_as_utf8(tmp_path):
    status, err, target = _cli(tmp_path, b"\xef\xbb\xbf" + json.dumps(GOOD).encode())
    assert status == 0, err
    assert json.loads(target.read_text())["status"] == "optimal"


def test_a_problem_file_above_the_cap_is_refused_unread(tmp_path, monkeypatch):
    import matching.command as command

    monkeypatch.setattr(command, "MAX_INPUT_BYTES", 1000)
    status, err, target = _cli(tmp_path, json.dumps(GOOD).encode() + b" " * 2000)
    assert status == 2 and "larger than the 1,000 bytes allowed" in err, err
    assert not target.exists()


def test_the_command_line_prints_no_traceback_for_hostile_files(tmp_path):
    for n, content in enumerate(
        (HOSTILE_FILES["a 5,000-digit integer"], HOSTILE_FILES["a lone surrogate"])
    ):
        source = tmp_path / f"p{n}.json"
        source.write_bytes(content)
        done = subprocess.run(
            [sys.executable, "-m", "web.cli", "match", "--input", str(source), "--output", "-"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
        assert done.stdout == ""


# ----------------------------------------------------------------------------- zones


def _square(lon: float = 102.5, lat: float = 25.0, d: float = 0.1) -> list[list[float]]:
    return [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]


HOSTILE_ZONES: dict[str, Any] = {
    "a huge integer longitude": {
        "type": "Polygon",
        "coordinates": [[[10**400, 25], [102, 25], [102, 26], [10**400, 25]]],
    },
    "huge integers everywhere": {
        "type": "Polygon",
        "coordinates": [[[10**400, 10**400]] * 4],
    },
    "NaN": {
        "type": "Polygon",
        "coordinates": [[[math.nan, 25], [102, 25], [102, 26], [math.nan, 25]]],
    },
    "strings": {"type": "Polygon", "coordinates": [[["102", "25"]] * 4]},
    "booleans": {"type": "Polygon", "coordinates": [[[True, False]] * 4]},
    "ragged": {"type": "Polygon", "coordinates": [[[1], [1, 2, 3, 4], [1, 2], [1]]]},
    "nested": {"type": "Polygon", "coordinates": [[[[[[1, 2]]]]] * 4]},
    "not closed": {"type": "Polygon", "coordinates": [_square()[:-1] + [[0, 0]]]},
    "a bad crs": {"type": "Polygon", "coordinates": [_square()], "crs": {"x": [1] * 100}},
    "no features": {"type": "FeatureCollection", "features": []},
    "a vertex bomb": {
        "type": "MultiPolygon",
        "coordinates": [[_square(d=1e-4)] for _ in range(60_000)],
    },
    "one huge ring": {
        "type": "Polygon",
        "coordinates": [[[102 + i * 1e-7, 25.0] for i in range(250_000)] + [[102, 25.0]]],
    },
}


@pytest.mark.parametrize("name", list(HOSTILE_ZONES))
def test_hostile_zone_files_are_refused_by_path(name):
    with pytest.raises(ZoneFileError) as caught:
        ProtectedZones.from_geojson(HOSTILE_ZONES[name], max_vertices=planning.MAX_ZONE_VERTICES)
    message = str(caught.value)
    assert message.startswith("$") and "\n" not in message and len(message) < 400, message


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 10_000 + b"]" * 10_000,
        "\ud800",
        b"\xff\xfe\x00",
        '{"type": "Polygon", "coordinates": ' + "1" * 5000 + "}",
        json.dumps({"type": "Polygon", "coordinates": [_square()]}).encode("utf-16"),
    ],
)
def test_zone_files_that_are_not_json_are_refused(raw):
    with pytest.raises(ZoneFileError):
        ProtectedZones.from_geojson(raw)


def test_the_siting_request_caps_zone_files_in_bytes_and_vertices():
    with pytest.raises(DomainError, match="^zones: "):
        planning.parse_zones("x" * (planning.MAX_ZONE_BYTES + 1))
    with pytest.raises(DomainError, match="^zones: .*vertices"):
        planning.parse_zones(HOSTILE_ZONES["a vertex bomb"])


@FAST
@given(obj=geojson)
def test_zone_geojson_of_anything_reads_or_names_the_path(obj):
    try:
        zones = ProtectedZones.from_geojson(obj)
    except ZoneFileError as exc:
        assert str(exc).startswith("$"), exc
        return
    zones.screen(25.0, 102.5, 5.0)
    for name in zones.names:
        name.encode("utf-8")


# ----------------------------------------------------------------------------- exports

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")', "-"]


def _entries(texts: list[str]) -> dict[str, Any]:
    return {
        "entries": [
            {
                "id": i,
                "occurred_on": "2025-01-01",
                "organisation": text,
                "site_id": 1,
                "site": text,
                "seq": i,
                "kind": "correction",
                "material": "phosphogypsum",
                "tonnes": -12.5,
                "stock_effect_t": -12.5,
                "document": text,
                "manifest_no": text,
                "recorded_by": text,
                "recorded_at": "2025-01-01T00:00:00+00:00",
                "hash": "ab",
            }
            for i, text in enumerate(texts, start=1)
        ]
    }


def _csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith(exports.BOM)
    return list(csv.reader(io.StringIO(text[1:])))


def test_formula_text_is_neutralised_in_csv_and_negative_numbers_stay_numbers():
    rows = _csv_rows(exports.to_csv(exports.entries_tables(_entries(FORMULAS)), "en"))
    head, body = rows[0], rows[1:]
    for text, row in zip(FORMULAS, body, strict=True):
        cell = dict(zip(head, row, strict=True))
        for column in ("organisation", "site", "document", "manifest", "recorded by"):
            assert cell[column] == "'" + text, (column, cell[column])
        assert cell["tonnes"] == "-12.5" and cell["stock effect (t)"] == "-12.5"


def test_formula_text_is_plain_text_in_the_workbook_and_negative_numbers_stay_numbers():
    book = load_workbook(io.BytesIO(exports.to_xlsx(exports.entries_tables(_entries(FORMULAS)))))
    sheet = book.worksheets[0]
    head = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        cells = dict(zip(head, row, strict=True))
        for column in ("单位", "场地", "凭证", "联单号", "记录人"):
            cell = cells[column]
            assert cell.data_type == "s" and cell.quotePrefix, (column, cell.value)
        assert cells["吨数"].value == -12.5 and cells["吨数"].data_type == "n"


# what stored text can hold (fields.text refuses other control characters), plus tab and CR
CELL_TEXT = st.characters(min_codepoint=32, exclude_categories=["Cs"]) | st.sampled_from("\t\r=+-@")


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(CELL_TEXT, min_size=1, max_size=20), min_size=1, max_size=5))
def test_no_text_cell_of_an_export_starts_a_formula(texts):
    texts = [t for t in texts if t.strip()] or ["x"]
    data = _entries(texts)
    for row in _csv_rows(exports.to_csv(exports.entries_tables(data), "zh"))[1:]:
        for cell in row:
            if cell.startswith(exports.FORMULA_START):
                assert re.fullmatch(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", cell), cell
    book = load_workbook(io.BytesIO(exports.to_xlsx(exports.entries_tables(data))))
    for row in book.worksheets[0].iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(exports.FORMULA_START):
                assert cell.data_type == "s" and cell.quotePrefix, cell.value


def test_a_zone_file_with_a_byte_order_mark_is_read():
    raw = b"\xef\xbb\xbf" + json.dumps({"type": "Polygon", "coordinates": [_square()]}).encode()
    zones = ProtectedZones.from_geojson(raw)
    assert zones.screen(25.05, 102.55, 0.0)[0].inside
