"""Logging in and reading forms: a browser-like session over HTTP to a live server, or in
process over the ASGI app; the CSRF token, a field's error and an input's value on a page."""

from __future__ import annotations

import asyncio
import html as htmllib
import re
from typing import Any, Protocol

import httpx

from tests.support.live import DEMO_PASSWORD, LiveServer

HTMX = {"HX-Request": "true"}


def csrf_meta(page: str) -> str:
    """The CSRF token a page carries in its <meta name="csrf-token">."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found, "no CSRF meta tag"
    return found.group(1)


def csrf_field(page: str) -> str:
    """The CSRF token of a form's hidden csrf_token field (the login form's)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no csrf_token field"
    return found.group(1)


def field_error(page: str, name: str) -> str:
    """The error shown beside a form field, unescaped ("" when there is none)."""
    found = re.search(rf'id="err-{re.escape(name)}"[^>]*>([^<]+)<', page)
    return htmllib.unescape(found.group(1)) if found else ""


def input_value(page: str, name: str) -> str | None:
    found = re.search(rf'<input name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else None


class _Http(Protocol):
    def get(self, url: str, **kw: Any) -> httpx.Response: ...
    def post(self, url: str, **kw: Any) -> httpx.Response: ...


def log_in(http: _Http, username: str, password: str) -> None:
    """Log in through the login form as a browser would (the session cookie stays in `http`)."""
    page = http.get("/login")
    data = {"username": username, "password": password, "csrf_token": csrf_field(page.text)}
    login = http.post("/login", data=data | {"next": "/"})
    assert login.status_code == 303, login.text[-300:]


class Session:
    """A logged-in browser session over HTTP to a live server: forms are posted with its token.
    `with Session(...) as s:` closes it however the block ends."""

    def __init__(self, server: LiveServer, username: str) -> None:
        self.http = httpx.Client(base_url=server.url, timeout=60)
        try:
            log_in(self.http, username, DEMO_PASSWORD)
            self.csrf = csrf_meta(self.http.get("/").text)
        except BaseException:
            self.http.close()
            raise

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **kw: object) -> httpx.Response:
        return self.http.get(path, **kw)  # type: ignore[arg-type]

    def post(self, path: str, data: dict[str, str], htmx: bool = False) -> httpx.Response:
        return self.http.post(
            path, data={"csrf_token": self.csrf, **data}, headers=HTMX if htmx else {}
        )


class Client:
    """A synchronous client of the ASGI app in process, keeping its cookies (a browser
    session); starlette's TestClient wants httpx2."""

    def __init__(self, app: Any, headers: dict[str, str] | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://testserver",
            headers=headers or {},
            follow_redirects=False,
            timeout=120,
        )
        self.headers = self.http.headers
        self.cookies = self.http.cookies

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.http.request(method, url, **kw))

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def post_json(self, url: str, body: Any, page: str = "/my/lots") -> httpx.Response:
        """A JSON API write on the session's cookie, with the CSRF token of `page` in its
        header (as the pages' scripts send it)."""
        token = csrf_meta(self.get(page).text)
        return self.post(url, json=body, headers={"X-CSRF-Token": token})

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()


_OPEN: list[Client] = []


def client(app: Any, world: Any = None, who: str | None = None) -> Client:
    """An in-process client, as `who` of `world` (by API token) or anonymous; closed by
    `close_clients`."""
    headers = {}
    if world is not None and who is not None:
        headers["Authorization"] = f"Bearer {world.token(who)}"
    c = Client(app, headers)
    _OPEN.append(c)
    return c


def close_clients() -> None:
    while _OPEN:
        _OPEN.pop().close()


def logged_in(app: Any, username: str) -> Client:
    """An in-process browser session of a builders' account (its password is b.PASSWORD)."""
    from tests.support.builders import PASSWORD

    c = Client(app)
    log_in(c, username, PASSWORD)
    return c


def api_error(response: httpx.Response) -> dict[str, Any]:
    """The JSON API's error of a refusal: a code and a message, both non-empty strings."""
    assert response.headers["content-type"].startswith("application/json"), response.text[:200]
    error = response.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str), error
    assert error["message"]
    return error


def post_lot(c: Client, site_id: int, tonnes: str) -> httpx.Response:
    """Post the lot form (phosphogypsum, available today) with the tonnage as typed."""
    from market import clock

    lot = {
        "csrf_token": csrf_meta(c.get("/my/lots").text),
        "site_id": str(site_id),
        "material": "phosphogypsum",
        "tonnes": tonnes,
        "available_from": clock.today().isoformat(),
        "quality.caso4_2h2o_pct": "88",
    }
    return c.post("/my/lots", data=lot)


def call(
    app: Any, *requests: tuple[str, str, dict[str, Any]], base_url: str = "http://test"
) -> list[httpx.Response]:
    """(method, url, keywords) requests through the ASGI app in one client (one cookie jar),
    in order; their responses."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as c:
            return [await c.request(method, url, **kw) for method, url, kw in requests]

    return asyncio.run(run())


def bearer(db: Any, who: Any) -> dict[str, str]:
    """The Authorization header of a fresh API token of `who`."""
    from market.services.users import create_token

    with db.unit_of_work() as uow:
        return {"Authorization": f"Bearer {create_token(uow, who)[1]}"}
