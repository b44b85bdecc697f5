"""Accounts that can be managed (issue 10): password change, the operator's users, token expiry,
deactivation at once in every worker, login history. PostgreSQL, `serve --workers 2`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.live import DEMO_PASSWORD, LiveServer, serving
from tests.support.sessions import csrf_field
from tests.support.worlds import add_user, demo_database

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    here = tmp_path_factory.mktemp("acc")
    with (
        demo_database("postgres", None, here) as url,
        serving(url, here / "server.log", workers=2) as live,
    ):
        yield live


def _client(server: LiveServer, token: str) -> httpx.Client:
    return server.client(token)


def test_the_operator_creates_a_user_with_a_one_time_password_to_be_changed(server) -> None:
    op = server.token("operator-demo")
    with _client(server, op) as c:
        r = c.post(
            "/api/v1/users",
            json={
                "username": "new-producer",
                "role": "producer",
                "organisation": "晋宁磷复肥厂（示例）",
                "email": "np@example.cn",
            },
        )
        assert r.status_code == 201, r.text
        made = r.json()
        assert made["must_change_password"] and made["email"] == "np@example.cn"
        one_time = made["one_time_password"]
        again = c.post(
            "/api/v1/users",
            json={"username": "new-producer", "role": "producer", "organisation": "x"},
        )
        assert again.status_code == 409 and again.json()["error"]["field"] == "username"
        listed = c.get("/api/v1/users").json()["users"]
        assert {
            "id",
            "username",
            "role",
            "organisation",
            "email",
            "active",
            "last_login_at",
        } <= set(listed[0])
    token = server.token("new-producer", one_time)
    with _client(server, token) as c:
        blocked = c.get("/api/v1/lots")
        assert blocked.status_code == 403 and blocked.json()["error"]["field"] == "password"
        changed = c.post(
            "/api/v1/me/password",
            json={"current_password": one_time, "new_password": "a-new-password-1"},
        )
        assert changed.status_code == 200, changed.text
        assert c.get("/api/v1/lots").status_code == 200


def test_a_password_change_ends_the_other_sessions_and_tokens(server) -> None:
    first = server.token("producer-other")
    second = server.token("producer-other")
    with _client(server, first) as c:
        wrong = c.post(
            "/api/v1/me/password",
            json={"current_password": "not-it-at-all", "new_password": "another-password-2"},
        )
        assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "current_password"
        short = c.post(
            "/api/v1/me/password",
            json={"current_password": DEMO_PASSWORD, "new_password": "short"},
        )
        assert short.status_code == 422 and short.json()["error"]["field"] == "new_password"
        ok = c.post(
            "/api/v1/me/password",
            json={"current_password": DEMO_PASSWORD, "new_password": "another-password-2"},
        )
        assert ok.status_code == 200
        assert c.get("/api/v1/me").status_code == 200  # this token stays
    with _client(server, second) as c:
        assert c.get("/api/v1/me").status_code == 401  # every other one ends
    assert server.token("producer-other", "another-password-2")


def test_a_deactivated_user_is_refused_at_once_by_every_worker(server) -> None:
    op = server.token("operator-demo")
    victim = server.token("recycler-other")
    fresh = {"Connection": "close"}  # a new connection each time: both workers are asked
    with _client(server, victim) as c:
        for _ in range(20):  # both workers remember this caller
            assert c.get("/api/v1/me", headers=fresh).status_code == 200
    with _client(server, op) as c:
        users = c.get("/api/v1/users").json()["users"]
        uid = next(u["id"] for u in users if u["username"] == "recycler-other")
        r = c.post(f"/api/v1/users/{uid}/deactivate")
        assert r.status_code == 200 and r.json()["active"] is False
    with _client(server, victim) as c:
        # no 2-second grace in the worker that did not deactivate: each request, at once
        assert [c.get("/api/v1/me", headers=fresh).status_code for _ in range(10)] == [401] * 10
    with server.client() as anon:
        refused = anon.post(
            "/api/v1/auth/token", json={"username": "recycler-other", "password": DEMO_PASSWORD}
        )
        assert refused.status_code == 401
    with _client(server, op) as c:
        assert c.post(f"/api/v1/users/{uid}/activate").json()["active"] is True
        reset = c.post(f"/api/v1/users/{uid}/reset-password").json()
        assert reset["must_change_password"] and reset["one_time_password"]
        assert c.post("/api/v1/users/999999/deactivate").status_code == 404
        me = c.get("/api/v1/me").json()["id"]
        own = c.post(f"/api/v1/users/{me}/deactivate")
        assert own.status_code == 409
    assert server.token("recycler-other", reset["one_time_password"])


def test_tokens_carry_an_expiry_and_logins_are_kept_per_user(server) -> None:
    token = server.token("regulator-demo")
    with _client(server, token) as c:
        tokens = c.get("/api/v1/auth/tokens").json()["tokens"]
        assert all(t["expires_at"] for t in tokens)
        logins = c.get("/api/v1/me/logins").json()["logins"]
        assert logins[0]["success"] is True and logins[0]["address"]
        assert c.get("/api/v1/users").status_code == 403
    with server.client() as anon:
        anon.post(
            "/api/v1/auth/token", json={"username": "regulator-demo", "password": "nope-nope"}
        )
    with _client(server, server.token("operator-demo")) as c:
        uid = next(
            u["id"]
            for u in c.get("/api/v1/users").json()["users"]
            if u["username"] == "regulator-demo"
        )
        history = c.get(f"/api/v1/users/{uid}/logins").json()["logins"]
        assert [h["success"] for h in history[:2]] == [False, True]
        listed = next(u for u in c.get("/api/v1/users").json()["users"] if u["id"] == uid)
        assert listed["last_login_at"]


def test_an_expired_token_is_refused(server) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session, create_engine, update

    from market.auth import token_digest
    from market.tables import ApiToken

    token = server.token("producer-demo")
    engine = create_engine(server.database_url)
    with Session(engine) as s:
        s.exec(
            update(ApiToken)
            .where(ApiToken.token_hash == token_digest(token))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        s.commit()
    engine.dispose()
    with _client(server, token) as c:
        r = c.get("/api/v1/lots")
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]


def test_users_add_takes_an_email(server) -> None:
    add_user(
        server.database_url,
        "mailed",
        "regulator",
        "省生态环境厅（示例）",
        email="m@example.cn",
        password="a-long-password-3",
    )
    with _client(server, server.token("operator-demo")) as c:
        users = c.get("/api/v1/users").json()["users"]
    assert next(u for u in users if u["username"] == "mailed")["email"] == "m@example.cn"


# ----------------------------------------------------------------------------- pages


def _browser_login(server: LiveServer, username: str, password: str) -> tuple[httpx.Client, str]:
    c = httpx.Client(base_url=server.url, timeout=60)
    token = csrf_field(c.get("/login").text)
    r = c.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
    )
    assert r.status_code == 303, r.text[:500]
    return c, r.headers["location"]


def test_the_operator_manages_users_and_a_user_changes_a_password_on_the_pages(server) -> None:
    op, _ = _browser_login(server, "operator-demo", DEMO_PASSWORD)
    try:
        page = op.get("/account/users")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert "用户管理" in page.text and "producer-demo" in page.text and "最近登录" in page.text
        made = op.post(
            "/account/users",
            data={
                "csrf_token": csrf_field(page.text),
                "username": "paged-user",
                "role": "recycler",
                "organisation": "云岭石膏建材公司（示例）",
                "email": "",
            },
        )
        assert made.status_code == 200, made.text[:500]
        import re

        one_time = re.search(r'class="one-time">([^<]+)<', made.text).group(1)  # type: ignore[union-attr]
        no_csrf = op.post("/account/users/1/deactivate", data={})
        assert no_csrf.status_code == 403
    finally:
        op.close()
    user, landing = _browser_login(server, "paged-user", one_time)
    try:
        assert landing == "/account/password"
        page = user.get("/account/password")
        assert "您的密码已被运营方重置" in page.text
        assert user.get("/lots").status_code == 403
        form = {
            "csrf_token": csrf_field(page.text),
            "current_password": one_time,
            "new_password": "paged-password-1",
        }
        again = "new_password_again"
        mismatch = user.post("/account/password", data=form | {again: "paged-password-2"})
        assert mismatch.status_code == 400 and "与新密码不一致" in mismatch.text
        done = user.post("/account/password", data=form | {again: "paged-password-1"})
        assert done.status_code == 303
        assert user.get("/lots").status_code == 200  # still signed in, now free to work
        history = user.get("/account/password").text
        assert "成功" in history
    finally:
        user.close()
