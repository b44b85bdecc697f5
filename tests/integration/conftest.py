"""Fixtures of the integration tests (the machinery lives in tests/support)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import builders as b
from tests.support.ledger import sealed_yard
from tests.support.sessions import Client, logged_in


@pytest.fixture
def producer_page(db: Any, settings: Any) -> Iterator[tuple[Client, int]]:
    """A producer with a yard, logged in to the app in process: (browser session, yard id)."""
    from web.app import create_app

    who = b.actor(db, "producer")
    yard = b.site(db, who)
    client = logged_in(create_app(settings, db), who.username)
    yield client, yard.id
    client.close()


@pytest.fixture
def seal_key(tmp_path: Any) -> Any:
    """A seal key of this test's own (made in its temporary folder)."""
    from market.seals import load_or_create

    return load_or_create(tmp_path / "seal.pem")


@pytest.fixture
def sealed(db: Any, seal_key: Any) -> dict[str, Any]:
    """A yard with three approved months (January to March 2025) and an open April."""
    return sealed_yard(db, seal_key)
