"""Property tests over every service that takes input, on SQLite and (fewer examples) PostgreSQL.

Arbitrary JSON-ish input — text with control characters, lone surrogates and markup, NaN,
infinities, -0.0, integers of hundreds of digits, booleans, nested objects, missing and stray
keys — either succeeds or raises a `DomainError` whose message names a field; and a refused call
writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import SQLModel, func, select

from market import planning
from market.errors import DomainError, NotAuthenticated
from market.services import deliveries, ledger, lots, offers, schedule, sites, trade, users
from market.services.matching import run_match
from matching.jsonio import PARAM_KEYS
from tests.support.strategies import arbitrary, json_values, refused_naming_a_field
from tests.support.worlds import HostileWorld, hostile_world

DATES = st.sampled_from(["2025-01-01", "2030-12-31", "1989-12-31", "2201-01-01", "2025-02-30"])
MOMENTS = st.sampled_from(["2025-01-01T08:00", "2025-01-01T00:00Z", "2999-01-01T00:00+08:00"])
TONNES = st.one_of(st.floats(-10, 1e10), st.sampled_from([1, 10, "25", "-0", 1e9, 1e9 + 1]))
TEXT = st.one_of(st.text(max_size=30), st.sampled_from(["<b>", "{{7*7}}", "\ud800", "a\x00"]))


def counts(world: HostileWorld) -> dict[str, int]:
    with world.db.read_session() as session:
        return {
            t.name: session.exec(select(func.count()).select_from(t)).one()
            for t in SQLModel.metadata.sorted_tables
        }


def explore(
    world: HostileWorld,
    strategy: st.SearchStrategy[Any],
    call: Callable[[Any], Any],
    *,
    examples: int = 60,
    may_write_when_refused: tuple[str, ...] = (),
) -> None:
    """Run `call` over the strategy's values: success, or a refusal that names a field and
    leaves every table as it was."""
    n = examples if world.db.is_sqlite else max(8, examples // 5)

    @settings(
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(value=strategy)
    def check(value: Any) -> None:
        before = counts(world)
        try:
            call(value)
        except DomainError as exc:
            refused_naming_a_field(exc)
            after = counts(world)
            for table in may_write_when_refused:
                before.pop(table, None)
                after.pop(table, None)
            assert after == before, f"a refused call wrote: {exc.message}"

    check()


@pytest.fixture
def world(db, settings) -> HostileWorld:
    return hostile_world(db, settings)


def uow_call(world: HostileWorld, fn: Callable[..., Any], *args: Any) -> Callable[[Any], Any]:
    def call(value: Any) -> Any:
        with world.db.unit_of_work() as uow:
            return fn(uow, *args, value)

    return call


def test_sites(world):
    data = arbitrary(
        sites.SITE_FIELDS,
        name=TEXT,
        kind=st.sampled_from(["yard", "plant", "YARD"]),
        lat=st.floats(20, 30) | st.sampled_from(["25", 91, -0.0]),
        lon=st.floats(97, 107) | st.sampled_from(["102.7", 181]),
    )
    for who in ("producer", "recycler", "regulator"):
        explore(world, data, uow_call(world, sites.post_site, world.actors[who]), examples=40)


def test_lots_posted_edited_and_withdrawn(world):
    p = world.actors["producer"]
    data = arbitrary(
        lots.LOT_FIELDS,
        site_id=st.sampled_from([world.ids["yard"], world.ids["yard_other"], 0, -1, 2**62]),
        material=st.sampled_from(["phosphogypsum", "red_mud", "Phosphogypsum"]),
        tonnes=TONNES,
        quality=st.dictionaries(st.sampled_from(["caso4_2h2o_pct", "ira", "x"]), json_values),
        available_from=DATES,
        available_until=DATES,
        sampled_on=DATES,
        asking_price_cny_t=st.floats(-2e5, 2e5),
        max_haul_km=st.floats(-1, 6000),
    )
    explore(world, data, uow_call(world, lots.post_lot, p))
    edit = arbitrary(tuple(lots.EDITABLE), tonnes=TONNES, available_until=DATES)
    explore(world, edit, uow_call(world, lots.update_lot, p, world.ids["lot"]))
    ids = st.sampled_from([world.ids["lot_other"], 0, 2**62, world.ids["lot"]])

    def withdraw(lot_id: int) -> Any:
        with world.db.unit_of_work() as uow:
            return lots.withdraw_lot(uow, p, lot_id)

    explore(world, ids, withdraw, examples=10)


def test_offers(world):
    data = arbitrary(
        offers.OFFER_FIELDS,
        site_id=st.sampled_from([world.ids["plant"], world.ids["plant_other"], world.ids["yard"]]),
        material=st.sampled_from(["phosphogypsum", "fly_ash"]),
        use=st.sampled_from(["cement_retarder", "nope", ""]),
        capacity_t=TONNES,
        period_start=DATES,
        period_end=DATES,
        spec=st.dictionaries(
            st.sampled_from(["caso4_2h2o_pct", "ira"]),
            st.fixed_dictionaries({}, optional={"min": json_values, "max": json_values}),
        ),
        price_cny_t=st.floats(),
    )
    explore(world, data, uow_call(world, offers.post_offer, world.actors["recycler"]))


def test_ledger_entries(world):
    data = arbitrary(
        ledger.ENTRY_FIELDS,
        kind=st.sampled_from(["generation", "correction", "opening", "dispatch", "p2o5_output"]),
        material=st.sampled_from(["phosphogypsum", "red_mud"]),
        tonnes=TONNES,
        occurred_on=DATES,
        document=TEXT,
    )
    for site in ("yard", "yard_other", "plant"):
        explore(
            world,
            data,
            uow_call(world, ledger.post_entry, world.actors["producer"], world.ids[site]),
            examples=40,
        )


def test_bids_acceptance_and_rejection(world):
    data = arbitrary(trade.BID_FIELDS, price_cny_t=st.floats(-2e5, 2e5), tonnes=TONNES)
    r = world.actors["recycler"]
    explore(world, data, uow_call(world, trade.place_bid, r, world.ids["proposal"]))
    explore(world, data, uow_call(world, trade.place_bid, world.actors["recycler_other"], 1))
    ids = st.sampled_from([world.ids["bid"], 0, 2**62])
    for fn in (trade.accept_bid, trade.reject_bid):

        def decide(bid_id: int, fn: Any = fn) -> Any:
            with world.db.unit_of_work() as uow:
                return fn(uow, world.actors["producer_other"], bid_id)

        explore(world, ids, decide, examples=5)


def test_dispatch_receipt_and_resolve(world):
    p, r = world.actors["producer"], world.actors["recycler"]
    dispatch = arbitrary(
        deliveries.DISPATCH_FIELDS,
        tonnes=TONNES,
        manifest_no=TEXT,
        dispatched_at=MOMENTS,
        truck_plate=TEXT,
        idempotency_key=TEXT,
    )
    explore(
        world, dispatch, uow_call(world, deliveries.dispatch_delivery, p, world.ids["contract"])
    )
    receipt = arbitrary(
        deliveries.RECEIPT_FIELDS, received_tonnes=TONNES, received_at=MOMENTS, note=TEXT
    )

    def receive(value: Any) -> Any:
        with world.db.unit_of_work() as uow:
            return deliveries.confirm_receipt(uow, r, world.ids["delivery"], value, world.settings)

    explore(world, receipt, receive)
    resolve = arbitrary(deliveries.RESOLVE_FIELDS, accepted_tonnes=TONNES, note=TEXT)
    explore(world, resolve, uow_call(world, deliveries.resolve_dispute, p, world.ids["disputed"]))


def test_match_run_params(world):
    params = arbitrary(
        PARAM_KEYS,
        cost_per_t_km=st.floats(0, 1e300),
        circuity=st.floats(0.5, 1e300),
        priorities=st.dictionaries(st.sampled_from(["phosphogypsum", "red_mud"]), json_values),
        mode=st.sampled_from(["divisible", "min_shipment"]),
        min_shipment_t=TONNES,
        time_limit_s=st.floats(0, 400),
    )

    def run(value: Any) -> Any:
        return run_match(world.db, world.actors["operator"], world.settings, value)

    explore(world, params, run, examples=30)


def test_the_schedule(world):
    def put(value: Any) -> Any:
        with world.db.unit_of_work() as uow:
            return schedule.set_schedule(uow, world.actors["operator"], value)

    explore(world, json_values, put, examples=40)


def test_users_organisations_and_logins(world):
    accounts = st.fixed_dictionaries(
        {
            "username": st.one_of(TEXT, st.sampled_from(["ok-user", "a", "x" * 81])),
            "role": st.sampled_from(["producer", "admin"]),
            "org": TEXT,
            "password": st.sampled_from(["short", "long enough password", "\x00" * 12]),
        }
    )

    def add(value: dict[str, Any]) -> Any:
        with world.db.unit_of_work() as uow:
            return users.add_user(uow, **value)

    explore(world, accounts, add, examples=25)

    def login(value: dict[str, Any]) -> Any:
        try:
            with world.db.unit_of_work() as uow:
                return users.login(
                    uow, value["username"], value["password"], max_failures=5, lockout_s=60
                )
        except NotAuthenticated as exc:
            # deliberately vague: which of the two was wrong is not said
            assert exc.message == "username or password is wrong"
            return None

    # a failed login is recorded (that is the throttle), nothing else
    explore(world, accounts, login, examples=25, may_write_when_refused=("login_attempt",))


def test_planning_requests(world):
    drawdown = arbitrary(
        planning.DRAWDOWN_KEYS,
        horizon_months=st.integers(-1, 130),
        materials=st.lists(st.sampled_from(["phosphogypsum", "red_mud", "x"]), max_size=2),
    )
    regulator = world.actors["regulator"]

    def plan(value: Any) -> Any:
        return planning.drawdown(world.db, regulator, world.settings, value)

    explore(world, drawdown, plan, examples=15)
    siting = arbitrary(
        planning.SITING_KEYS,
        material=st.sampled_from(["phosphogypsum"]),
        capacity_t_per_year=st.floats(-1, 2e8),
        candidates=st.sampled_from(["安宁, 24.9, 102.5", [{"name": "x", "lat": 25, "lon": 102}]]),
        source=st.sampled_from(["lots", "stock"]),
    )

    def site(value: Any) -> Any:
        return planning.siting_analysis(world.db, regulator, world.settings, value)

    explore(world, siting, site, examples=15)
