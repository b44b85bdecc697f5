from __future__ import annotations


def test_the_demo_server_answers_health_and_serves_the_login_page(live_server):
    with live_server.client() as c:
        assert c.get("/healthz").json() == {"status": "ok", "database": "up"}
        page = c.get("/login")
    assert page.status_code == 200
    assert "登录" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_the_demo_accounts_log_in_through_the_api(live_server):
    for username in ("producer-demo", "recycler-demo", "regulator-demo", "operator-demo"):
        token = live_server.token(username)
        with live_server.client(token) as c:
            me = c.get("/api/v1/me").json()
        assert me["username"] == username
        assert me["role"] == username.split("-")[0]
