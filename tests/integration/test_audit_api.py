"""The audit over HTTP: JSON, CSV and Excel answers, the errors, who may ask, and the pages;
over the hand-computed scenario of test_audit_scenario, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable

import httpx
import pytest
from openpyxl import load_workbook

from market.services.users import create_token
from tests.support import builders as b
from tests.support.worlds import audit_world
from web.app import create_app

Get = Callable[..., httpx.Response]


def token(db, actor) -> str:
    with db.unit_of_work() as uow:
        return create_token(uow, actor)[1]


@pytest.fixture
def http(db, settings) -> tuple[Get, dict[str, str]]:
    """A GET through the ASGI app, and a bearer header per role."""
    w = audit_world(db, settings)
    operator = b.actor(db, "operator")
    headers = {
        "regulator": token(db, w.regulator),
        "operator": token(db, operator),
        "producer": token(db, w.a),
        "recycler": token(db, w.recycler),
    }
    app = create_app(settings, db)

    def get(path: str, role: str | None = "regulator") -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                auth = {"Authorization": f"Bearer {headers[role]}"} if role else {}
                return await client.get(path, headers=auth)

        return asyncio.run(call())

    return get, {"a": str(w.a.organisation_id), "b": str(w.b.organisation_id)}


def test_the_summary_and_the_table_as_json(http):
    get, orgs = http
    summary = get("/api/v1/audit/summary?period=2025-Q1").json()
    assert summary["totals"]["generated_t"] == 90_000
    assert summary["totals"]["consumed_t"] == 88_900
    scoped = get(f"/api/v1/audit/summary?period=2025-Q2&organisation={orgs['b']}").json()
    assert scoped["totals"]["generated_t"] == 45_000
    table = get("/api/v1/audit/phosphogypsum?period=2025-Q2").json()
    assert table["period"] == "2025-Q2"
    flags = {str(r["organisation_id"]): r["flags"] for r in table["rows"]}
    assert flags[orgs["a"]] == ["output_above_allowance"]
    assert flags[orgs["b"]] == [
        "output_above_allowance",
        "stock_increment_positive",
        "below_trajectory",
    ]
    entries = get(
        f"/api/v1/audit/entries?organisation={orgs['a']}&kind=consumed&period=2025-Q2"
    ).json()
    assert entries["count"] == 3 and entries["tonnes"] == 64_500


def test_the_operator_may_read_the_audit_and_no_one_else(http):
    get, _ = http
    assert get("/api/v1/audit/summary", "operator").status_code == 200
    for role in ("producer", "recycler"):
        for path in (
            "/api/v1/audit/summary",
            "/api/v1/audit/phosphogypsum",
            "/api/v1/audit/entries",
            "/api/v1/audit/verify",
            "/api/v1/audit/summary?format=csv",
        ):
            answer = get(path, role)
            assert answer.status_code == 403, (role, path)
            assert answer.json()["error"]["code"] == "forbidden"
    anonymous = get("/api/v1/audit/phosphogypsum", None)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"


BAD = [
    ("/api/v1/audit/summary?period=2025-Q5", "period", "2025-Q5"),
    ("/api/v1/audit/phosphogypsum?period=25", "period", "25"),
    ("/api/v1/audit/entries?period=2025-13", "period", "2025-13"),
    ("/api/v1/audit/summary?prefecture=99", "prefecture", "99"),
    ("/api/v1/audit/summary?material=gold", "material", "gold"),
    ("/api/v1/audit/summary?format=pdf", "format", "pdf"),
    ("/api/v1/audit/summary?perod=2025", "perod", "2025"),
    ("/api/v1/audit/entries?kind=eaten", "kind", "eaten"),
    ("/api/v1/audit/entries?limit=-1", "limit", "-1"),
    ("/api/v1/audit/entries?offset=%C2%B2", "offset", "²"),
    ("/api/v1/audit/summary?organisation=%C2%B2", "organisation", "²"),
]


def test_bad_parameters_are_refused_naming_the_field_and_the_value(http):
    get, _ = http
    for path, field, value in BAD:
        answer = get(path)
        assert answer.status_code == 422, path
        error = answer.json()["error"]
        assert error["field"] == field and value in error["message"], path


def test_an_unknown_organisation_is_not_found(http):
    get, _ = http
    answer = get("/api/v1/audit/summary?organisation=999999")
    assert answer.status_code == 404
    assert answer.json()["error"]["field"] == "organisation"


def test_the_table_as_csv_for_excel(http):
    get, orgs = http
    answer = get("/api/v1/audit/phosphogypsum?period=2025-Q2&format=csv&lang=en")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert (
        'filename="wastematch-phosphogypsum-2025-Q2.csv"' in answer.headers["content-disposition"]
    )
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    a = next(r for r in rows if r["organisation_id"] == orgs["a"])
    assert a["generated_t"] == "60000.0" and a["stock_increment_t"] == "-4500.0"
    assert a["flags"] == "output_above_allowance" and a["output_above_allowance"] == "1"
    zh = get("/api/v1/audit/phosphogypsum?period=2025-Q2&format=csv&lang=zh").content
    assert "产生量 G（吨）" in zh.decode("utf-8-sig").splitlines()[0]


def test_the_summary_as_a_workbook(http):
    get, _ = http
    answer = get("/api/v1/audit/summary?period=2025-Q1&format=xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(answer.content))
    assert len(book.sheetnames) == 4
    totals = book.worksheets[0]
    assert totals.freeze_panes == "B2"
    header = [c.value for c in totals[1]]
    generated = totals.cell(row=2, column=header.index("产生量（吨）") + 1)
    assert generated.value == 90_000 and generated.data_type == "n"
    materials = book.worksheets[1]
    assert materials.max_row == 3  # a header and two materials
    entries = get("/api/v1/audit/entries?period=2025-Q1&format=xlsx")
    assert load_workbook(io.BytesIO(entries.content)).worksheets[0].max_row == 1 + 8 + 5 + 2 + 2


def test_the_pages_render_the_figures_for_overseers_only(http):
    get, orgs = http
    desk = get("/audit?period=2025-Q1")
    assert desk.status_code == 200
    assert ">80,000</a>" in desk.text and ">41,900</a>" in desk.text  # phosphogypsum G and U
    assert 'data-map-src="/audit/map.json?period=2025-Q1&amp;metric=stock"' in desk.text
    table = get("/audit/phosphogypsum?period=2025-Q2")
    assert table.status_code == 200 and 'data-flag="output_above_allowance"' in table.text
    producer = get(f"/audit/producers/{orgs['a']}?period=2025-Q2&kind=consumed")
    assert producer.status_code == 200 and 'data-count="3"' in producer.text
    assert get("/audit/verify").status_code == 200
    flags = get("/audit/map.json?period=2025-Q2&metric=flags").json()
    assert {r["name"]: r["value"] for r in flags["regionValues"]} == {
        "昆明市": 1,
        "红河哈尼族彝族自治州": 3,
        "曲靖市": 3,
    }
    rate = get("/audit/map.json?period=2025-Q1&metric=rate").json()
    assert {"name": "文山壮族苗族自治州", "value": 70.0} in rate["regionValues"]
    chart = get("/audit/drawdown.json?period=2025-Q2&material=phosphogypsum").json()
    assert chart["x"] == [f"2025-{m:02d}" for m in range(1, 7)]
    assert chart["highlight"] == ["2025-04", "2025-06"]
    assert get("/audit", "producer").status_code == 403
    assert get("/audit/phosphogypsum", "recycler").status_code == 403
