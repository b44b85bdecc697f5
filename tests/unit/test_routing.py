"""The one shape of a module's routes (web/routing.py): decorators on the handlers."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

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
