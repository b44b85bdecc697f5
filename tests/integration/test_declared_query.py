"""Query parameters over HTTP, in process, on SQLite and PostgreSQL: every /api/v1 operation
refuses a name its OpenAPI operation does not declare, and takes every name it does declare.

Both tests are generated from the document itself, so a new route or parameter is covered as soon
as it is documented (and the second one asks for a sample value of any new name)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from market.services.matching import run_match
from market.services.users import create_token
from tests.support import builders as b
from web.app import create_app
from web.openapi import document

ROLES = ("producer", "recycler", "regulator", "operator")
MISSING_ID = 987_654_321
METHODS = ("get", "post", "patch", "put", "delete")

# a value every declared query parameter is answered 200 with; (path, name) before name
SAMPLES: dict[Any, str] = {
    ("/sites", "kind"): "yard",
    ("/audit/entries", "kind"): "generation",
    ("/reports", "status"): "submitted",
    ("/corrections", "status"): "pending",
    ("/attestations", "status"): "pending",
    "material": "phosphogypsum",
    "status": "open",
    "mine": "1",
    "limit": "5",
    "offset": "0",
    "run": "1",
    "period": "2025",
    "prefecture": "530100",
    "county": "530181",
    "format": "json",
    "lang": "en",
    ("/sites/{id}/ledger", "kind"): "generation",
    ("/sites/{id}/ledger", "month"): "2026-01",
    "from": "2026-01-01",
    "to": "2026-12-31",
    "sort": "cost",
    "unmatched_limit": "5",
    "unmatched_offset": "0",
    "unread": "1",
    "year": "2025",
    "month": "5",
}


def caller(operation: dict[str, Any]) -> str:
    """The first role the operation's "Who:" names; anyone else (any user, owner) a producer."""
    who = operation["description"]
    named = sorted((who.find(role), role) for role in ROLES if role in who)
    return named[0][1] if named else "producer"


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document()["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def query_names(operation: dict[str, Any]) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]


@pytest.fixture
def world(db, settings) -> dict[str, Any]:
    """A user of each role with a bearer token, a producer's yard, and the app over them."""
    actors = {role: b.actor(db, role) for role in ROLES}
    yard = b.site(db, actors["producer"])
    run = run_match(db, actors["operator"], settings)
    headers = {}
    for role, actor in actors.items():
        with db.unit_of_work() as uow:
            headers[role] = {"Authorization": f"Bearer {create_token(uow, actor)[1]}"}
    return {
        "app": create_app(settings, db),
        "headers": headers,
        "ids": {
            "/sites/{id}/ledger": yard.id,
            "/sites/{id}/corrections": yard.id,
            "/match-runs/{id}": run.id,
            "/sites/{id}/statutory-ledger.xlsx": yard.id,
            "/organisations/{id}/statutory-ledger.xlsx": actors["producer"].organisation_id,
        },
        "organisation": str(actors["producer"].organisation_id),
    }


def send(app: Any, requests: list[tuple[str, str, dict[str, str]]]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [await client.request(m, url, headers=h) for m, url, h in requests]

    return asyncio.run(run())


def test_every_operation_refuses_an_undeclared_query_parameter_before_looking_up_its_ids(world):
    ops = operations()
    assert len(ops) >= 30
    requests = [
        (
            method.upper(),
            "/api/v1" + re.sub(r"\{\w+\}", str(MISSING_ID), path) + "?bogus_param=1",
            world["headers"][caller(operation)],
        )
        for method, path, operation in ops
    ]
    # the document itself is served under /api/v1 too, and declares no parameter
    requests.append(("GET", "/api/v1/openapi.json?bogus_param=1", {}))
    failures = []
    for (method, url, _), answer in zip(requests, send(world["app"], requests), strict=True):
        expected = {
            "code": "invalid",
            "message": "bogus_param: '1' is not a known query parameter",
            "field": "bogus_param",
            "params": {"field": "bogus_param", "value": "1"},
        }
        if answer.status_code != 422 or answer.json() != {"error": expected}:
            failures.append(f"{method} {url}: {answer.status_code} {answer.text[:160]}")
    assert not failures, "\n".join(failures)


def test_the_check_comes_before_the_lookup_and_a_typo_is_named_with_its_value(world):
    producer = world["headers"]["producer"]
    missing, typo, head = send(
        world["app"],
        [
            ("GET", f"/api/v1/lots/{MISSING_ID}", producer),
            ("GET", "/api/v1/lots?materal=red_mud&status=open", producer),
            ("HEAD", "/api/v1/lots?materal=red_mud", producer),
        ],
    )
    assert missing.status_code == 404
    assert typo.status_code == 422
    assert typo.json()["error"] == {
        "code": "invalid",
        "message": "materal: 'red_mud' is not a known query parameter",
        "field": "materal",
        "params": {"field": "materal", "value": "red_mud"},
    }
    assert head.status_code == 422


def test_every_declared_query_parameter_is_still_taken_on_the_listing_routes(world):
    samples = SAMPLES | {"organisation": world["organisation"]}
    requests = []
    for method, path, operation in operations():
        names = query_names(operation)
        if method != "get" or not names:
            continue
        params = {name: samples.get((path, name), samples.get(name)) for name in names}
        unknown = [name for name, value in params.items() if value is None]
        assert not unknown, f"GET {path}: add a sample value of {unknown} to SAMPLES"
        url = path.replace("{id}", str(world["ids"][path])) if "{id}" in path else path
        query = "&".join(f"{name}={value}" for name, value in params.items())
        requests.append(("GET", f"/api/v1{url}?{query}", world["headers"][caller(operation)]))
    assert len(requests) >= 10
    failures = [
        f"{url}: {answer.status_code} {answer.text[:160]}"
        for (_, url, _), answer in zip(requests, send(world["app"], requests), strict=True)
        if answer.status_code != 200
    ]
    assert not failures, "\n".join(failures)
