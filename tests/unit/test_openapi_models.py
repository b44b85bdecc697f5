"""The document's bodies and answers come from the models that declare them: a component named
after a model of `market.schemas.bodies` (a request) or `market.schemas.answers` (an answer) is
that model's, and every component a request or an answer uses is declared so, but for the few
still written by hand in the API modules named below."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from market.schemas import answers, bodies
from market.settings import Settings
from web.app import create_app
from web.openapi import document
from web.openapi.schemas import component, response

ANSWERS_BY_HAND = {
    "DrawdownPlan": "web/planning_api.py",
    "SitingResult": "web/planning_api.py",
    "Job": "web/jobs_api.py",
    "JobAccepted": "web/jobs_api.py",
    "Todo": "web/daily_api.py",
    "Notification": "web/daily_api.py",
    "NotificationList": "web/daily_api.py",
    "NotificationSettings": "web/daily_api.py",
}
"""Answers their modules still write by hand."""

BODIES_BY_HAND = {
    "Checkpoint": "web/audit_api.py (market.audit.checkpoints reads it)",
    "MatchRunRequest": "web/openapi/schemas.py (market.matching reads it)",
    "MatchParams": "web/openapi/schemas.py (market.matching reads it)",
    "DrawdownRequest": "web/planning_api.py",
    "SitingRequest": "web/planning_api.py",
    "NotificationSettingsChange": "web/daily_api.py",
}
"""Request bodies their modules still write by hand."""


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    create_app(Settings(database_url="sqlite://"))  # every API module registers its part
    return document()


def models(module: Any, base: type[BaseModel]) -> dict[str, type[BaseModel]]:
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, base)
        and value is not base
        and value.__module__ == module.__name__
    }


def referenced(schema: Any, schemas: dict[str, Any], seen: set[str] | None = None) -> set[str]:
    """The components `schema` names, and those they name, and so on."""
    seen = set() if seen is None else seen
    if isinstance(schema, dict):
        target = schema.get("$ref")
        if target is not None:
            name = target.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                referenced(schemas[name], schemas, seen)
        for value in schema.values():
            referenced(value, schemas, seen)
    elif isinstance(schema, list):
        for value in schema:
            referenced(value, schemas, seen)
    return seen


def used_by(doc: dict[str, Any], part: str) -> set[str]:
    schemas = doc["components"]["schemas"]
    out: set[str] = set()
    for operations in doc["paths"].values():
        for operation in operations.values():
            out |= referenced(operation.get(part, {}), schemas)
    return out


def test_every_answer_model_is_its_component(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    declared = models(answers, answers.Answer)
    assert declared
    for name, model in declared.items():
        assert schemas.get(name) == response(model), name


def test_every_answer_of_the_document_is_declared(doc: dict[str, Any]) -> None:
    declared = models(answers, answers.Answer)
    used = used_by(doc, "responses")
    assert {"Error", "Site", "Verification", "Document"} <= used
    undeclared = used - set(declared) - set(ANSWERS_BY_HAND)
    assert not undeclared, f"answers written by hand: {sorted(undeclared)}"
    assert not set(declared) & set(ANSWERS_BY_HAND)


def test_every_body_model_is_its_component(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    for name, model in models(bodies, BaseModel).items():
        if name in schemas:
            assert schemas[name] == component(model), name


def test_every_body_of_the_document_is_declared(doc: dict[str, Any]) -> None:
    declared = set(models(bodies, BaseModel))
    used = used_by(doc, "requestBody")
    undeclared = used - declared - set(BODIES_BY_HAND) - set(models(answers, answers.Answer))
    assert not undeclared, f"bodies written by hand: {sorted(undeclared)}"
