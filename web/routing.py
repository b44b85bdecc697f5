"""One shape for a module's routes: `routes = Routes()`, a decorator on each handler
(`@routes.get("/path")`, `@routes.post(...)`, `@routes.route("/p", methods=[...])`), and
`routes()` the Starlette routes in the order the handlers were registered.

A handler served at two paths takes two decorators; they register top to bottom, as they read.
The `Route`s are built only when `routes()` is called, that is when the app is made, after
`web.app` has registered its bounded `int` convertor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from starlette.routing import BaseRoute, Route

H = TypeVar("H", bound=Callable[..., Any])


class Routes:
    def __init__(self) -> None:
        self._entries: list[tuple[str, Callable[..., Any], list[str], str | None]] = []

    def route(
        self, path: str, *, methods: Sequence[str], name: str | None = None
    ) -> Callable[[H], H]:
        def register(handler: H) -> H:
            # decorators apply bottom-up: a handler's later decorator goes before its earlier one
            at = len(self._entries)
            while at and self._entries[at - 1][1] is handler:
                at -= 1
            self._entries.insert(at, (path, handler, list(methods), name))
            return handler

        return register

    def get(self, path: str, *, name: str | None = None) -> Callable[[H], H]:
        return self.route(path, methods=["GET"], name=name)

    def post(self, path: str, *, name: str | None = None) -> Callable[[H], H]:
        return self.route(path, methods=["POST"], name=name)

    def all(self) -> list[Route]:
        return [Route(p, h, methods=m, name=n) for p, h, m, n in self._entries]

    def __call__(self) -> list[Route]:
        return self.all()


def joined(*parts: Routes) -> list[BaseRoute]:
    """The routes of a package whose handlers live in several modules, part after part."""
    return [route for part in parts for route in part.all()]
