"""Hostile input over HTTP, in process, on SQLite and PostgreSQL: malformed and hostile JSON
bodies on every write route, ids and query parameters of any spelling, and HTML, script and
template syntax in every text a user controls, shown escaped on every page and verbatim in JSON.

The world (tests/support/worlds.py) is built through the services; its texts carry the payloads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select

from tests.support.sessions import api_error, client, close_clients
from tests.support.worlds import (
    ESCAPED_SCRIPT,
    HOSTILE,
    RAW_MARKERS,
    SCRIPT,
    TEMPLATE,
    HostileWorld,
    hostile_world,
)
from web.app import create_app

# ----------------------------------------------------------------------------- the app


@pytest.fixture
def world(db, settings) -> HostileWorld:
    return hostile_world(db, settings)


@pytest.fixture
def app(world) -> Iterator[Any]:
    yield create_app(world.settings, world.db)
    close_clients()


def row_counts(db) -> dict[str, int]:
    from sqlmodel import SQLModel, func

    with db.read_session() as session:
        return {
            t.name: session.exec(select(func.count()).select_from(t)).one()
            for t in SQLModel.metadata.sorted_tables
            if t.name not in ("api_token", "login_attempt")
        }


def write_routes(ids: dict[str, int]) -> list[tuple[str, str, str]]:
    """(method, path, who) for every JSON write, as the role that owns the object."""
    return [
        ("POST", "/api/v1/sites", "producer"),
        ("POST", "/api/v1/lots", "producer"),
        ("PATCH", f"/api/v1/lots/{ids['lot']}", "producer"),
        ("POST", "/api/v1/offers", "recycler"),
        ("POST", f"/api/v1/sites/{ids['yard']}/ledger", "producer"),
        ("POST", "/api/v1/match-runs", "operator"),
        ("POST", f"/api/v1/proposals/{ids['proposal']}/bids", "recycler"),
        ("POST", f"/api/v1/contracts/{ids['contract']}/deliveries", "producer"),
        ("POST", f"/api/v1/deliveries/{ids['delivery']}/receipt", "recycler"),
        ("POST", f"/api/v1/deliveries/{ids['disputed']}/resolve", "producer"),
        ("POST", "/api/v1/planning/drawdown", "regulator"),
        ("POST", "/api/v1/planning/siting", "regulator"),
        ("POST", "/api/v1/auth/token", "producer"),
    ]


HOSTILE_BODIES: dict[str, bytes] = {
    "nested 10,000 deep": b'{"a":' + b"[" * 10_000 + b"]" * 10_000 + b"}",
    "objects nested 10,000 deep": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "a lone surrogate value": b'{"name": "\\ud800", "tonnes": 1, "material": "\\udfff"}',
    "a lone surrogate key": b'{"\\ud800": 1}',
    "a surrogate in a nested key": b'{"quality": {"\\udc00": 1}, "spec": {"\\udc00": {}}}',
    "a 5,000-digit number": b'{"tonnes": ' + b"9" * 5000 + b"}",
    "NaN and Infinity": b'{"tonnes": NaN, "capacity_t": Infinity, "lat": -Infinity}',
    "invalid UTF-8": b'{"name": "\xff\xfe"}',
    "UTF-16": '{"name": "x"}'.encode("utf-16"),
    "a BOM": b'\xef\xbb\xbf{"name": "x"}',
    "a bare array": b"[1, 2]",
    "a bare string": b'"x"',
    "null": b"null",
    "truncated": b'{"name": ',
    "NUL bytes": b'{"name": "a\\u0000b", "document": "\\u0000", "manifest_no": "\\u0000"}',
    "a huge string": b'{"name": "' + b"x" * 900_000 + b'"}',
    "over the size cap": b'{"name": "' + b"x" * 6_000_000 + b'"}',
}


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_a_hostile_json_body_is_a_4xx_naming_the_problem_on_every_write_route(app, world, name):
    before = row_counts(world.db)
    failures = []
    for method, path, who in write_routes(world.ids):
        r = client(app, world, who).request(
            method, path, content=HOSTILE_BODIES[name], headers={"content-type": "application/json"}
        )
        if r.status_code >= 500 or r.status_code < 400:
            failures.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
            continue
        error = api_error(r)
        error["message"].encode("utf-8")
    assert not failures, "\n".join(failures)
    assert row_counts(world.db) == before


def test_a_deeply_nested_body_says_it_is_not_json(app, world):
    r = client(app, world, "producer").post(
        "/api/v1/sites", content=HOSTILE_BODIES["nested 10,000 deep"]
    )
    assert r.status_code == 400 and api_error(r)["message"] == "body: not valid JSON"


def test_a_lone_surrogate_is_refused_as_not_unicode(app, world):
    for raw in (HOSTILE_BODIES["a lone surrogate key"], HOSTILE_BODIES["a lone surrogate value"]):
        r = client(app, world, "producer").post("/api/v1/sites", content=raw)
        assert r.status_code == 400, r.text
        assert "Unicode" in api_error(r)["message"]


HUGE_ID = "9" * 30
HUGER_ID = "9" * 5000


def test_an_id_past_any_integer_column_is_not_found_not_a_500(app, world):
    failures = []
    for path in (
        f"/api/v1/lots/{HUGE_ID}",
        f"/api/v1/offers/{HUGE_ID}",
        f"/api/v1/sites/{HUGE_ID}/ledger",
        f"/api/v1/match-runs/{HUGE_ID}",
        f"/api/v1/contracts/{HUGE_ID}",
        f"/api/v1/proposals/{HUGE_ID}/bids",
        f"/lots/{HUGE_ID}",
        f"/contracts/{HUGE_ID}",
        f"/match-runs/{HUGE_ID}",
        f"/audit/producers/{HUGE_ID}",
        "/api/v1/lots/0",
        "/api/v1/lots/3000000000",
        "/lots/3000000000",
        f"/api/v1/lots/{HUGER_ID}",
        f"/lots/{HUGER_ID}",
    ):
        who = "regulator" if "match-runs" in path or "audit" in path else "producer"
        r = client(app, world, who).get(path)
        if r.status_code != 404:
            failures.append(f"GET {path}: {r.status_code} {r.text[:120]}")
    for method, path in (
        ("PATCH", f"/api/v1/lots/{HUGE_ID}"),
        ("DELETE", f"/api/v1/lots/{HUGE_ID}"),
        ("POST", f"/api/v1/bids/{HUGE_ID}/accept"),
        ("POST", f"/api/v1/deliveries/{HUGE_ID}/receipt"),
        ("POST", f"/api/v1/auth/tokens/{HUGE_ID}/revoke"),
    ):
        r = client(app, world, "producer").request(method, path, json={})
        if r.status_code not in (403, 404):
            failures.append(f"{method} {path}: {r.status_code} {r.text[:120]}")
    assert not failures, "\n".join(failures)


ODD_NUMBERS = ["²", "١٢", "-1", "1.5", "9" * 30, "9" * 5000, "0x10", " 1", "", "\x00", "a\x00b"]


def test_query_parameters_of_any_spelling_are_answered_not_a_500(app, world):
    failures = []
    paths = [
        ("/api/v1/lots?limit={v}", "producer"),
        ("/api/v1/lots?offset={v}", "producer"),
        ("/api/v1/offers?limit={v}", "recycler"),
        (f"/api/v1/sites/{world.ids['yard']}/ledger?limit={{v}}", "producer"),
        ("/api/v1/proposals?run={v}", "recycler"),
        ("/api/v1/audit/entries?limit={v}&offset={v}", "regulator"),
        ("/api/v1/audit/summary?organisation={v}", "regulator"),
        ("/api/v1/audit/summary?prefecture={v}&county={v}", "regulator"),
        ("/api/v1/audit/summary?period={v}", "regulator"),
        ("/api/v1/audit/phosphogypsum?period={v}&format={v}", "regulator"),
        ("/api/v1/audit/drawdown?material={v}", "regulator"),
        ("/ledger?site={v}", "producer"),
        ("/audit?period={v}&metric={v}&material={v}", "regulator"),
        ("/audit/entries?offset={v}&organisation={v}", "regulator"),
        ("/audit/map.json?period={v}", "regulator"),
        ("/lots?material={v}", "producer"),
        ("/api/v1/lots?material={v}&status={v}&mine={v}", "producer"),
        ("/api/v1/offers?material={v}&status={v}", "producer"),
        ("/api/v1/sites?kind={v}", "producer"),
        (f"/api/v1/sites/{world.ids['yard']}/ledger?material={{v}}", "regulator"),
        ("/api/v1/audit/entries?kind={v}&material={v}", "regulator"),
        ("/api/v1/audit/summary?material={v}&lang={v}&format={v}", "regulator"),
        ("/offers?material={v}", "recycler"),
        ("/offers/spec?material={v}&use={v}", "recycler"),
        ("/my/lots/assay?material={v}", "producer"),
        ("/audit/drawdown.json?material={v}&period={v}", "regulator"),
        ("/lang/en?next={v}", "producer"),
    ]
    from urllib.parse import quote

    for template, who in paths:
        c = client(app, world, who)
        for value in ODD_NUMBERS:
            path = template.format(v=quote(value))
            r = c.get(path)
            if r.status_code >= 500:
                failures.append(f"GET {path[:80]}: {r.status_code} {r.text[:160]}")
            elif r.status_code >= 400 and path.startswith("/api/"):
                api_error(r)
    assert not failures, "\n".join(failures)


# ----------------------------------------------------------------------------- markup


PAGES = (
    ("/", "producer"),
    ("/lots", "producer"),
    ("/lots", "recycler"),
    ("/plants", "producer"),
    ("/yards", "producer"),
    ("/my/plants", "recycler"),
    ("/my/lots", "producer"),
    ("/lots/{lot}", "producer"),
    ("/lots/{lot}", "recycler"),
    ("/lots/{lot}", "regulator"),
    ("/bids", "producer"),
    ("/bids", "recycler"),
    ("/contracts", "producer"),
    ("/contracts", "recycler"),
    ("/contracts", "operator"),
    ("/contracts/{contract}", "producer"),
    ("/contracts/{contract}", "recycler"),
    ("/receipts", "recycler"),
    ("/ledger", "producer"),
    ("/ledger?site={yard}", "regulator"),
    ("/offers", "recycler"),
    ("/proposals", "producer"),
    ("/proposals", "recycler"),
    ("/proposals", "regulator"),
    ("/match-runs", "operator"),
    ("/match-runs/{run}", "operator"),
    ("/audit", "regulator"),
    ("/audit/phosphogypsum", "regulator"),
    ("/audit/producers/{org_producer}", "regulator"),
    ("/audit/entries", "regulator"),
    ("/audit/entries?kind=stock", "regulator"),
    ("/audit/verify", "regulator"),
    ("/audit/planner", "regulator"),
    ("/audit/siting", "operator"),
)
# pages where the hostile names must be shown (escaped): proof the check looked at them
SHOWS_NAMES = {
    "/lots",
    "/lots/{lot}",
    "/yards",
    "/my/plants",
    "/contracts",
    "/contracts/{contract}",
    "/ledger",
    "/ledger?site={yard}",
    "/proposals",
    "/match-runs/{run}",
    "/audit/producers/{org_producer}",
    "/audit/entries",
    "/receipts",
    "/bids",
}


def test_html_and_template_syntax_in_every_text_field_is_shown_escaped(app, world):
    failures = []
    for template, who in PAGES:
        path = template.format(**world.ids)
        r = client(app, world, who).get(path)
        if r.status_code != 200:
            failures.append(f"{path} as {who}: {r.status_code}")
            continue
        page = r.text
        for raw in RAW_MARKERS:
            if raw in page:
                at = page.index(raw)
                failures.append(f"{path} as {who}: raw {raw!r} in …{page[at - 80 : at + 40]!r}")
        if "49" in page and TEMPLATE not in page and template in SHOWS_NAMES:
            failures.append(f"{path} as {who}: {TEMPLATE} was evaluated")
        if template in SHOWS_NAMES and (ESCAPED_SCRIPT not in page or TEMPLATE not in page):
            failures.append(f"{path} as {who}: the hostile names are not on the page")
    assert not failures, "\n".join(failures)


def test_the_json_api_returns_hostile_text_verbatim(app, world):
    c = client(app, world, "producer")
    sites = c.get("/api/v1/sites").json()["sites"]
    assert f"yard {HOSTILE}" in {s["name"] for s in sites}
    lot = c.get(f"/api/v1/lots/{world.ids['lot']}").json()
    assert lot["lab_report"] == f"lab {HOSTILE}"
    book = c.get(f"/api/v1/sites/{world.ids['yard']}/ledger").json()
    assert f"survey {HOSTILE}" in {e["document"] for e in book["entries"]}
    assert c.get("/api/v1/me").json()["organisation"] == f"产废 {HOSTILE} 1"
    deliveries = c.get(f"/api/v1/contracts/{world.ids['contract']}/deliveries").json()
    assert f"M2 {SCRIPT}" in {d["manifest_no"] for d in deliveries["deliveries"]}
    mapped = c.get("/map/data.json").json()
    assert f"plant {HOSTILE}" in {s["name"] for s in mapped["sites"]}


def test_audit_exports_neutralise_nothing_but_formulas_and_keep_hostile_names(app, world):
    c = client(app, world, "regulator")
    r = c.get("/api/v1/audit/entries?format=csv&lang=en")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert f"survey {HOSTILE}" in {row["document"] for row in rows}
    assert f"产废 {HOSTILE} 1" in {row["organisation"] for row in rows}
    r = c.get("/api/v1/audit/entries?format=xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"


def test_accepting_a_bid_ignores_a_body_but_not_a_malformed_one(app, world):
    c = client(app, world, "producer")
    path = f"/api/v1/bids/{world.ids['bid']}/accept"
    r = c.post(path, content=HOSTILE_BODIES["nested 10,000 deep"])
    assert r.status_code == 400 and api_error(r)["code"] == "bad_request"
    assert c.post(path, json={"tonnes": 1e300}).status_code == 201


def test_a_login_name_no_account_can_have_is_simply_wrong(app, world):
    for username in ("a\x00b", "\x00", "tab\there"):
        r = client(app).post("/api/v1/auth/token", json={"username": username, "password": "x"})
        assert r.status_code == 401, r.text
        assert api_error(r)["message"] == "username or password is wrong"


@pytest.mark.parametrize("name", ["a\x01b", "\x00", "x\x0by", "\ud800"])
def test_an_organisation_name_with_a_control_character_is_refused(db, name):
    from market.errors import InvalidInput
    from market.services.users import add_user

    with db.unit_of_work() as uow, pytest.raises(InvalidInput, match="^org: "):
        add_user(uow, username="someone", role="producer", org=name, password="x" * 12)


def test_the_workbook_export_takes_every_organisation_name_we_accept(app, world):
    r = client(app, world, "regulator").get("/api/v1/audit/entries?format=xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
