"""The one shape of a module's routes (web/routing.py): decorators on the handlers; each route
of the app named once, and the templates linking by those names (`path_for`), never by path."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from market.settings import Settings
from web.app import create_app
from web.routing import Routes, joined


def _table(routes: Sequence[Route]) -> list[tuple[str, str, list[str]]]:
    return [(r.path, r.name, sorted(r.methods or [])) for r in routes]


def test_routes_come_out_in_the_order_the_handlers_were_decorated() -> None:
    routes = Routes()

    @routes.get("/b")
    async def b(request: Request) -> Response:
        return PlainTextResponse("b")

    @routes.post("/a", name="posted_a")
    async def a(request: Request) -> Response:
        return PlainTextResponse("a")

    @routes.route("/c", methods=["GET", "POST"])
    async def c(request: Request) -> Response:
        return PlainTextResponse("c")

    assert _table(routes()) == [
        ("/b", "b", ["GET", "HEAD"]),
        ("/a", "posted_a", ["POST"]),
        ("/c", "c", ["GET", "HEAD", "POST"]),
    ]


def test_a_handler_with_two_decorators_is_served_at_both_paths_in_reading_order() -> None:
    routes = Routes()

    @routes.get("/first")
    async def before(request: Request) -> Response:
        return PlainTextResponse("")

    @routes.post("/x/{id:int}/read")
    @routes.post("/x/{id:int}/open")
    async def action(request: Request) -> Response:
        return PlainTextResponse("")

    assert [r.path for r in routes()] == ["/first", "/x/{id:int}/read", "/x/{id:int}/open"]
    assert routes()[1].endpoint is routes()[2].endpoint is action


def test_a_package_joins_its_modules_routes_part_after_part() -> None:
    one, two = Routes(), Routes()

    @two.get("/two")
    async def second(request: Request) -> Response:
        return PlainTextResponse("")

    @one.get("/one")
    async def first(request: Request) -> Response:
        return PlainTextResponse("")

    assert [r.path for r in joined(one, two) if isinstance(r, Route)] == ["/one", "/two"]


# --------------------------------------------------------------------------- the app's names

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
SPELLED_PATH = re.compile(r"""(?:=|\(|~\s*|,\s*)["'](/(?!static/)[a-z][^"']*)["']""")
PATH_FOR = re.compile(r"""path_for\('([\w:]+)'((?:, \w+=[^,)]+(?:\([^)]*\))?)*)\)""")


def _app_routes() -> list[tuple[str, str]]:
    """(name, full path) of every route of the app, an API route as "api:<name>"."""
    app = create_app(Settings())
    out: list[tuple[str, str]] = []

    def walk(routes: Sequence[BaseRoute], prefix: str, ns: str) -> None:
        for r in routes:
            if isinstance(r, Mount):
                if r.name != "static":
                    walk(r.routes, prefix + r.path, f"{r.name}:" if r.name else "")
            elif isinstance(r, Route):
                out.append((ns + r.name, prefix + r.path))

    walk(app.routes, "", "")
    return out


def test_every_route_of_the_app_has_a_name_of_its_own() -> None:
    names = [name for name, _ in _app_routes()]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []


def test_templates_name_the_pages_they_link_to_and_spell_no_path() -> None:
    spelled = [
        f"{page.relative_to(TEMPLATES)}: {found}"
        for page in sorted(TEMPLATES.rglob("*.html"))
        for found in SPELLED_PATH.findall(page.read_text(encoding="utf-8"))
    ]
    assert spelled == []


def test_every_path_for_in_the_templates_names_a_route_and_its_parameters() -> None:
    params = {name: set(re.findall(r"{(\w+)", path)) for name, path in _app_routes()}
    wrong = []
    for page in sorted(TEMPLATES.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        calls = PATH_FOR.findall(text)
        assert len(calls) == text.count("path_for("), f"{page}: a path_for call not read"
        for name, args in calls:
            given = set(re.findall(r", (\w+)=", args))
            if params.get(name) != given:
                wrong.append(f"{page.relative_to(TEMPLATES)}: {name} {sorted(given)}")
    assert wrong == []
