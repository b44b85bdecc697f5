"""Access and session security over HTTP, in process, on SQLite and PostgreSQL.

Who may open which page and audit or planning route (every role, own and other organisation,
anonymous); CSRF on every HTML form route (enumerated from the app, so a new form cannot slip
through) and on session-authenticated API writes; the login throttle, kept in the database and so
shared by every worker; session cookies and fixation; `next=` redirects; security headers on
every kind of response; API tokens listed and revoked; passwords never logged.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
from starlette.routing import Mount, Route

from market.db import Database
from market.services.users import add_user
from tests.support import builders as b
from tests.support.sessions import api_error, client, close_clients, csrf_field, csrf_meta
from tests.support.worlds import HostileWorld, hostile_world
from web.app import SESSION_COOKIE, create_app
from web.security import CSP

PASSWORD = b.PASSWORD


@pytest.fixture
def world(db, settings) -> HostileWorld:
    return hostile_world(db, settings)


@pytest.fixture
def app(world):
    yield create_app(world.settings, world.db)
    close_clients()


def routes_of(app: Any) -> list[tuple[str, str]]:
    """(method, path template) of every route of the app, mounts included."""
    out = []
    for route in app.routes:
        if isinstance(route, Mount) and route.path == "/api/v1":
            for inner in route.routes:
                if isinstance(inner, Route):
                    out += [(m, "/api/v1" + inner.path) for m in sorted(inner.methods or ())]
        elif isinstance(route, Route):
            out += [(m, route.path) for m in sorted(route.methods or ())]
    return [(m, p) for m, p in out if m != "HEAD"]


def concrete(template: str, ids: dict[str, int]) -> str:
    path = template.replace("{id:int}", str(ids["lot"])).replace("{lang}", "en")
    path = path.replace("{entry_id:int}", str(ids["lot"]))
    return path


def login(
    app: Any, world: HostileWorld, who: str, password: str = PASSWORD, next_path: str = "/"
) -> Any:
    """A browser: fetch the login form, post it with its CSRF token (and `next_path`); the
    client keeps the session cookie and the answer (`last`)."""
    c = client(app)
    page = c.get("/login")
    token = csrf_field(page.text)
    r = c.post(
        "/login",
        data={
            "username": world.actors[who].username,
            "password": password,
            "csrf_token": token,
            "next": next_path,
        },
    )
    c.last = r
    return c


def csrf_of(c: Any) -> str:
    page = c.get("/materials")
    return csrf_meta(page.text)


# ----------------------------------------------------------------------------- anonymous


def test_anonymous_pages_redirect_to_login_and_the_api_answers_401(app, world):
    failures = []
    c = client(app)
    public = {
        "/login",
        "/healthz",
        "/favicon.ico",
        "/lang/{lang}",
        "/api/v1/openapi.json",
        "/api/v1/audit/seal-key",  # the public key is public: anyone may check a seal
    }
    for method, template in routes_of(app):
        if template in public or (method, template) == ("POST", "/api/v1/auth/token"):
            continue
        path = concrete(template, world.ids)
        r = c.request(method, path, json={} if path.startswith("/api/") else None)
        if path.startswith("/api/"):
            if r.status_code != 401 or api_error(r)["code"] != "unauthenticated":
                failures.append(f"{method} {path}: {r.status_code}")
        elif method == "GET" and not (
            r.status_code == 303 and r.headers["location"].startswith("/login")
        ):
            failures.append(f"{method} {path}: {r.status_code} {r.headers.get('location')}")
        elif method == "POST" and r.status_code not in (303, 403):
            failures.append(f"{method} {path}: {r.status_code}")
    assert not failures, "\n".join(failures)


# ----------------------------------------------------------------------------- pages × roles

ROLES = ("producer", "producer_other", "recycler", "recycler_other", "regulator", "operator")


def page_cases(ids: dict[str, int]) -> list[tuple[str, dict[str, int]]]:
    """Page → expected status per user (owner = producer / recycler; *_other = another
    organisation of the same role)."""
    ok = dict.fromkeys(ROLES, 200)
    overseers = {r: (200 if r in ("regulator", "operator") else 403) for r in ROLES}
    producers = {r: (200 if r.startswith("producer") else 403) for r in ROLES}
    recyclers = {r: (200 if r.startswith("recycler") else 403) for r in ROLES}
    return [
        ("/", ok),
        ("/lots", ok),
        ("/plants", ok),
        ("/materials", ok),
        ("/yards", producers),
        ("/my/lots", producers),
        ("/my/plants", recyclers),
        ("/offers", recyclers),
        ("/receipts", recyclers),
        ("/bids", ok),
        ("/contracts", ok),
        ("/proposals", ok),
        ("/match-runs", overseers),
        (f"/match-runs/{ids['run']}", overseers),
        ("/ledger", {**producers, "regulator": 200, "operator": 200}),
        (
            f"/contracts/{ids['contract']}",
            {**dict.fromkeys(ROLES, 200), "producer_other": 404, "recycler_other": 404},
        ),
        # the other producer's lot is open: everyone may read it
        (f"/lots/{ids['lot_other']}", ok),
        ("/audit", overseers),
        ("/audit/phosphogypsum", overseers),
        (f"/audit/producers/{ids['org_producer']}", overseers),
        ("/audit/entries", overseers),
        ("/audit/verify", overseers),
        ("/audit/planner", overseers),
        ("/audit/siting", overseers),
        ("/audit/map.json", overseers),
        ("/audit/drawdown.json", overseers),
        ("/api/v1/audit/summary", overseers),
        ("/api/v1/audit/phosphogypsum", overseers),
        ("/api/v1/audit/entries", overseers),
        ("/api/v1/audit/verify", overseers),
        ("/api/v1/audit/drawdown?material=phosphogypsum", overseers),
        (
            f"/api/v1/sites/{ids['yard']}/ledger",
            {
                **overseers,
                "producer": 200,
                "producer_other": 404,
                "recycler": 404,
                "recycler_other": 404,
            },
        ),
    ]


def test_every_page_and_audit_route_answers_each_role_as_it_should(app, world):
    failures = []
    clients = {who: client(app, world, who) for who in ROLES}
    for path, expected in page_cases(world.ids):
        for who in ROLES:
            r = clients[who].get(path)
            if r.status_code != expected[who]:
                failures.append(f"GET {path} as {who}: {r.status_code}, not {expected[who]}")
            elif r.status_code >= 400 and path.startswith("/api/"):
                api_error(r)
    for path in ("/api/v1/planning/drawdown", "/api/v1/planning/siting"):
        body = {"material": "phosphogypsum", "capacity_t_per_year": 100000}
        for who in ROLES:
            r = clients[who].post(path, json=body if "siting" in path else {})
            want = 200 if who in ("regulator", "operator") else 403
            if r.status_code != want:
                failures.append(f"POST {path} as {who}: {r.status_code}, not {want}")
    assert not failures, "\n".join(failures)


def test_another_organisations_objects_are_not_found_through_the_pages(app, world):
    c = client(app, world, "producer_other")
    data = {"accepted_tonnes": "1"}
    for path in (
        f"/deliveries/{world.ids['disputed']}/resolve",
        f"/contracts/{world.ids['contract']}/dispatch",
        f"/lots/{world.ids['lot']}/withdraw",
    ):
        token = csrf_of(c)
        r = c.post(path, data=data | {"csrf_token": token, "tonnes": "1", "manifest_no": "X"})
        assert r.status_code in (403, 404), (path, r.status_code)


# ----------------------------------------------------------------------------- CSRF


def test_every_html_form_refuses_a_post_without_its_csrf_token(app, world):
    post_routes = [
        (m, p) for m, p in routes_of(app) if m in ("POST", "PATCH", "DELETE") and "/api/" not in p
    ]
    assert len(post_routes) >= 15
    failures = []
    for who in ("producer", "recycler", "operator", "regulator"):
        c = login(app, world, who)
        assert c.last.status_code == 303
        for method, template in post_routes:
            path = concrete(template, world.ids)
            for data in ({}, {"csrf_token": "forged"}):
                before = dict(c.cookies)
                r = c.request(method, path, data=data | {"name": "x", "tonnes": "1"})
                refused = r.status_code in (400, 403) and (
                    path == "/login" or "csrf_token" in r.text
                )
                if not refused:
                    failures.append(f"{method} {path} as {who} with {data}: {r.status_code}")
                assert dict(c.cookies) == before or path == "/login"
        assert c.get("/api/v1/me").status_code == 200, "still logged in"
    assert not failures, "\n".join(failures)


def test_session_authenticated_api_writes_need_the_csrf_header(app, world):
    c = login(app, world, "producer")
    writes = [(m, p) for m, p in routes_of(app) if p.startswith("/api/") and m != "GET"]
    failures = []
    for method, template in writes:
        if template == "/api/v1/auth/token":
            continue
        r = c.request(method, concrete(template, world.ids), json={})
        if r.status_code != 403 or "csrf" not in api_error(r)["message"]:
            failures.append(f"{method} {template}: {r.status_code}")
    assert not failures, "\n".join(failures)
    token = csrf_of(c)
    r = c.post(
        "/api/v1/sites",
        json={"name": "with the header", "lat": 25.0, "lon": 102.7},
        headers={"x-csrf-token": token},
    )
    assert r.status_code == 201, r.text


# ----------------------------------------------------------------------------- login


def test_logins_are_throttled_per_username_across_workers(world):
    """Two apps on one database stand for two workers: the failures are counted in the table."""
    settings = replace(world.settings, login_max_failures=3, login_lockout_s=60)
    other_worker = Database(world.db.url)
    try:
        _throttled_across(world, settings, other_worker)
    finally:
        other_worker.dispose()


def _throttled_across(world: HostileWorld, settings: Any, other_worker: Database) -> None:
    first = create_app(settings, world.db)
    second = create_app(settings, other_worker)
    username = world.actors["producer"].username
    wrong = {"username": username, "password": "wrong password"}
    right = {"username": username, "password": PASSWORD}
    for n, app in enumerate((first, second, first)):
        r = client(app).post("/api/v1/auth/token", json=wrong)
        assert r.status_code == 401, n
    for app in (second, first):
        r = client(app).post("/api/v1/auth/token", json=right)
        assert r.status_code == 429, r.text
        assert username in api_error(r)["message"]
    page = login(first, world, "producer")
    assert page.last.status_code == 429 and username in page.last.text
    # another name is not locked out
    other = world.actors["recycler"].username
    r = client(second).post("/api/v1/auth/token", json={"username": other, "password": PASSWORD})
    assert r.status_code == 201


def test_a_successful_login_clears_the_failures(world):
    settings = replace(world.settings, login_max_failures=3, login_lockout_s=60)
    app = create_app(settings, world.db)
    username = world.actors["producer"].username
    for _ in range(2):
        client(app).post("/api/v1/auth/token", json={"username": username, "password": "no"})
    ok = client(app).post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert ok.status_code == 201
    for _ in range(2):
        r = client(app).post("/api/v1/auth/token", json={"username": username, "password": "no"})
        assert r.status_code == 401


def test_the_session_cookie_is_httponly_lax_and_changes_at_login(app, world):
    c = client(app)
    page = c.get("/login")
    before = c.cookies.get(SESSION_COOKIE)
    assert before
    old_csrf = csrf_field(page.text)
    c2 = login(app, world, "producer")
    header = c2.last.headers["set-cookie"]
    assert "httponly" in header.lower() and "samesite=lax" in header.lower()
    assert "secure" not in header.lower()
    assert c2.cookies.get(SESSION_COOKIE) != before
    # the CSRF token of the anonymous session does not carry over into the logged-in one
    assert csrf_of(c2) != old_csrf


def test_a_login_over_an_existing_session_replaces_it(app, world):
    c = client(app)
    page = c.get("/login")
    planted = c.cookies.get(SESSION_COOKIE)
    token = csrf_field(page.text)
    r = c.post(
        "/login",
        data={
            "username": world.actors["producer"].username,
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert r.status_code == 303
    assert c.cookies.get(SESSION_COOKIE) != planted
    # the planted (pre-login) cookie is still anonymous
    stranger = client(app)
    stranger.cookies.set(SESSION_COOKIE, planted)
    assert stranger.get("/api/v1/me").status_code == 401


def test_secure_cookies_and_hsts_when_configured(world):
    app = create_app(replace(world.settings, secure_cookies=True), world.db)
    c = client(app)
    r = c.get("/login")
    assert "secure" in r.headers["set-cookie"].lower()
    assert r.headers["strict-transport-security"].startswith("max-age=")
    assert (
        "strict-transport-security"
        not in client(create_app(world.settings, world.db)).get("/login").headers
    )


OPEN_REDIRECTS = [
    "//evil.example/",
    "https://evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "/\t/evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "/%2F%2Fevil.example",
    " //evil.example",
    "///evil.example",
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_next_never_leaves_the_site(app, world, target):
    c = login(app, world, "producer", next_path=target)
    for response in (c.last, c.get("/lang/en", params={"next": target})):
        assert response.status_code == 303
        location = response.headers["location"]
        # resolved as a browser does (WHATWG treats "\" as "/" in http URLs)
        resolved = urlparse(urljoin("http://testserver/login", location.replace("\\", "/")))
        assert resolved.scheme == "http" and resolved.netloc == "testserver", location


def test_a_good_next_is_followed(app, world):
    c = login(app, world, "producer", next_path="/my/lots?material=red_mud")
    assert c.last.headers["location"] == "/my/lots?material=red_mud"


# ----------------------------------------------------------------------------- headers


def _headers_ok(r: Any, what: str) -> list[str]:
    h = r.headers
    problems = []
    if h.get("content-security-policy") != CSP:
        problems.append(f"{what}: CSP {h.get('content-security-policy')!r}")
    for name, value in (
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ):
        if h.get(name) != value:
            problems.append(f"{what}: {name} {h.get(name)!r}")
    if not h.get("x-request-id"):
        problems.append(f"{what}: no request id")
    return problems


def test_the_csp_allows_only_the_apps_own_scripts():
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CSP and "*" not in CSP and "data:" not in directives["script-src"]


def test_no_template_has_an_inline_script_or_handler():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "web" / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", text), path
        assert "|safe" not in text.replace(" ", ""), path


def test_every_kind_of_response_carries_the_security_headers(app, world):
    c = client(app, world, "producer")
    problems = []
    problems += _headers_ok(c.get("/lots"), "page")
    problems += _headers_ok(c.get("/api/v1/me"), "json")
    problems += _headers_ok(c.get("/no/such/page"), "404 page")
    problems += _headers_ok(c.get("/api/v1/no/such"), "404 json")
    problems += _headers_ok(c.get("/static/app.js"), "static")
    problems += _headers_ok(client(app).get("/login"), "login")
    problems += _headers_ok(client(app).get("/lots"), "redirect")

    async def boom(request: Any) -> Any:
        raise RuntimeError("boom")

    app.router.routes.insert(0, Route("/boom", boom))
    app.router.routes.insert(0, Route("/api/v1/boom", boom))
    for path in ("/boom", "/api/v1/boom"):
        r = c.get(path)
        assert r.status_code == 500 and "boom" not in r.text and "Traceback" not in r.text
        problems += _headers_ok(r, f"500 {path}")
    assert not problems, "\n".join(problems)


def test_a_database_that_is_away_answers_503_with_the_headers(world, tmp_path):
    away = Database("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1")
    app = create_app(world.settings, away)
    for path, json_answer in (("/api/v1/lots", True), ("/lots", False)):
        c = client(app)
        c.headers["Authorization"] = "Bearer wm_whatever"
        r = c.get(path)
        assert r.status_code == 503, r.text[:200]
        assert _headers_ok(r, path) == []
        assert r.headers["retry-after"] == "5"
        if json_answer:
            assert api_error(r)["code"] == "unavailable"
    away.dispose()


# ----------------------------------------------------------------------------- tokens


def test_tokens_are_listed_and_a_revoked_one_is_refused_at_once(app, world):
    username = world.actors["producer"].username
    anon = client(app)
    issued = [
        anon.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD}).json()
        for _ in range(2)
    ]
    first, second = (client(app) for _ in range(2))
    first.headers["Authorization"] = f"Bearer {issued[0]['token']}"
    second.headers["Authorization"] = f"Bearer {issued[1]['token']}"
    listed = first.get("/api/v1/auth/tokens").json()["tokens"]
    assert {issued[0]["id"], issued[1]["id"]} <= {t["id"] for t in listed}
    assert all("token" not in t and "hash" not in str(t) for t in listed)
    r = first.post(f"/api/v1/auth/tokens/{issued[1]['id']}/revoke")
    assert r.status_code == 200 and r.json()["revoked"] is True
    r = second.get("/api/v1/me")
    assert r.status_code == 401 and api_error(r)["code"] == "unauthenticated"
    assert first.get("/api/v1/me").status_code == 200
    # someone else's token cannot be revoked, nor seen
    other = client(app, world, "recycler")
    r = other.post(f"/api/v1/auth/tokens/{issued[0]['id']}/revoke")
    assert r.status_code == 404
    assert first.get("/api/v1/me").status_code == 200


# ----------------------------------------------------------------------------- logs


def test_passwords_appear_in_no_log_line_and_no_answer(app, world, caplog):
    secret = "Sekrit-Pa55word-do-not-log"
    wrong = "Wr0ng-Pa55word-do-not-log"
    answers = []
    with caplog.at_level(logging.DEBUG):
        with world.db.unit_of_work() as uow:
            add_user(uow, username="logcheck", role="producer", org="日志测试", password=secret)
        c = client(app)
        for password in (wrong, secret):
            answers.append(
                c.post("/api/v1/auth/token", json={"username": "logcheck", "password": password})
            )
            page = c.get("/login")
            token = csrf_field(page.text)
            answers.append(
                c.post(
                    "/login",
                    data={"username": "logcheck", "password": password, "csrf_token": token},
                )
            )
        answers.append(c.post("/api/v1/auth/token", json={"username": "x", "password": secret}))
        answers.append(c.post("/api/v1/auth/token", json={"password": secret}))
    from web.logs import JsonFormatter

    formatted = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert caplog.records, "the requests were logged"
    for text in (secret, wrong):
        assert text not in formatted
        for r in answers:
            assert text not in r.text and text not in str(r.headers)
