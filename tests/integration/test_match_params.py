"""Match-run parameters are bounded, and one bad run hides nobody's proposals (issue 10)."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from market import views
from market.auth import Actor
from market.errors import InvalidInput
from market.seed import seed_demo
from market.services.matching import run_match
from market.services.users import actor_by_username
from market.tables import MatchRun

OPERATOR = Actor(1, "operator", "operator", 1, "operator org")


def _runs(db) -> int:  # type: ignore[no-untyped-def]
    with db.read_session() as s:
        return int(s.exec(select(func.count()).select_from(MatchRun)).one())


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"circuity": 1e300}, "params.circuity"),
        ({"circuity": 0.5}, "params.circuity"),
        ({"cost_per_t_km": 1e9}, "params.cost_per_t_km"),
        ({"co2_kg_per_t_km": -1}, "params.co2_kg_per_t_km"),
        ({"min_shipment_t": 1e12}, "params.min_shipment_t"),
        ({"priorities": {f"no-such-{i}": 1 for i in range(20_000)}}, "params.priorities"),
        ({"priorities": {"phosphogypsum": 99}}, "params.priorities.phosphogypsum"),
    ],
)
def test_a_parameter_out_of_its_range_is_refused_and_nothing_is_stored(db, settings, params, field):
    with pytest.raises(InvalidInput) as refused:
        run_match(db, OPERATOR, settings, params)
    assert refused.value.field == field
    assert refused.value.message.startswith(field + ": ")
    assert _runs(db) == 0


def test_a_run_that_matches_nothing_does_not_hide_the_last_good_one(db, settings):
    seed_demo(db, settings)
    with db.unit_of_work() as uow:
        operator = actor_by_username(uow, "operator-demo")
    good = run_match(db, operator, settings)
    assert good.totals["matched_t"] > 0
    # a run that matched nothing (a mistaken parameter within range, a solver that gave up)
    with db.unit_of_work() as uow:
        bad = MatchRun(status="optimal", totals={"matched_t": 0, "unmatched_t": 1})
        uow.session.add(bad)
        uow.commit()
    assert bad.id is not None and bad.id > good.id
    with db.read_session() as s:
        assert views.latest_run_id(s) == good.id
        assert views.list_proposals(s, operator)  # the good run's proposals, not none
