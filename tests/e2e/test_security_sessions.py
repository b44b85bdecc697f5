from __future__ import annotations

import httpx

from tests.support.live import DEMO_PASSWORD
from tests.support.sessions import csrf_field


def login(server, username: str) -> httpx.Client:
    c = server.client()
    page = c.get("/login")
    token = csrf_field(page.text)
    r = c.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token, "next": "/"},
    )
    assert r.status_code == 303
    return c


def test_logging_out_ends_every_copy_of_the_session_cookie(live_server):
    browser = login(live_server, "recycler-demo")
    stolen = httpx.Client(base_url=live_server.url, cookies=dict(browser.cookies))
    try:
        assert stolen.get("/api/v1/me").status_code == 200
        page = browser.get("/")
        token = csrf_field(page.text)
        assert browser.post("/logout", data={"csrf_token": token}).status_code == 303
        assert stolen.get("/api/v1/me").status_code == 401
        again = login(live_server, "recycler-demo")
        assert again.get("/api/v1/me").status_code == 200
        assert stolen.get("/api/v1/me").status_code == 401
        again.close()
    finally:
        stolen.close()
        browser.close()
