"""Races and floods on the production shape (issue 10): PostgreSQL, `serve --workers 2`.

The server trusts X-Forwarded-For from 127.0.0.1 (as behind its reverse proxy), so one test
machine can speak from many client addresses.
"""

from __future__ import annotations

import concurrent.futures
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.support.api import first_site, post_lot, post_plant_and_offer
from tests.support.live import DEMO_PASSWORD, LiveServer, serving
from tests.support.worlds import demo_database

pytestmark = pytest.mark.postgres

# the production defaults of the login throttle, not the e2e suites' relaxed ones
THROTTLE = {
    "WASTEMATCH_LOGIN_PER_ADDRESS_PER_MIN": "60",
    "WASTEMATCH_LOGIN_ADDRESS_MAX_FAILURES": "50",
}


@pytest.fixture(scope="module")
def pg_two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    here = tmp_path_factory.mktemp("busy")
    with (
        demo_database("postgres", None, here) as url,
        serving(url, here / "server.log", workers=2, env=THROTTLE) as server,
    ):
        yield server


def login(server: LiveServer, username: str, password: str, address: str) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=120) as c:
        return c.post(
            "/api/v1/auth/token",
            json={"username": username, "password": password},
            headers={"X-Forwarded-For": address},
        )


def parallel(n: int, fn, *args) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(n)

    def one(_: int) -> httpx.Response:
        barrier.wait()
        return fn(*args)

    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def at_once(*calls) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    """Each call in its own thread, released together."""
    barrier = threading.Barrier(len(calls))

    def one(call) -> httpx.Response:  # type: ignore[no-untyped-def]
        barrier.wait()
        return call()

    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


def test_thirty_parallel_wrong_passwords_get_no_more_than_five_checked(pg_two_workers) -> None:
    answers = parallel(30, login, pg_two_workers, "producer-other", "wrong-password", "10.7.0.1")
    statuses = Counter(r.status_code for r in answers)
    # 401 is a password that was checked; 429 one the throttle refused unchecked
    assert statuses[401] == 5, statuses
    assert statuses[429] == 25, statuses
    assert set(statuses) == {401, 429}


def test_an_attacker_elsewhere_cannot_lock_the_owner_out(pg_two_workers) -> None:
    for _ in range(8):
        login(pg_two_workers, "recycler-other", "guess-guess-guess", "10.66.0.1")
    # the attacker's own address is locked for this name ...
    refused = login(pg_two_workers, "recycler-other", DEMO_PASSWORD, "10.66.0.1")
    assert refused.status_code == 429 and refused.json()["error"]["field"] == "username"
    # ... the owner's is not: the right password gets through, after the per-user delay
    started = time.monotonic()
    ok = login(pg_two_workers, "recycler-other", DEMO_PASSWORD, "10.1.0.1")
    assert ok.status_code == 201, ok.text
    assert time.monotonic() - started >= 2.0
    # and a guess from the owner's address is still wrong, not a way round the lock
    wrong = login(pg_two_workers, "recycler-other", "guess-again-guess", "10.1.0.1")
    assert wrong.status_code == 401


def test_one_address_spraying_many_names_is_refused(pg_two_workers) -> None:
    names = [f"nobody-{i}" for i in range(55)]
    answers = [login(pg_two_workers, n, "wrong-password", "10.8.0.1") for n in names]
    statuses = [r.status_code for r in answers]
    assert statuses[:50] == [401] * 50
    assert set(statuses[50:]) == {429}
    assert answers[-1].json()["error"]["field"] == "address"


def test_a_login_flood_does_not_starve_a_producers_lot_list(pg_two_workers) -> None:
    token = pg_two_workers.token("producer-demo")
    stop = threading.Event()
    results: list[int] = []
    login_ms: list[float] = []

    def flood(i: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            started = time.perf_counter()
            r = login(pg_two_workers, "regulator-demo", DEMO_PASSWORD, f"10.9.{i}.{n % 250}")
            login_ms.append((time.perf_counter() - started) * 1000)
            results.append(r.status_code)

    def lot_list_ms(client: httpx.Client) -> float:
        started = time.perf_counter()
        assert client.get("/api/v1/lots", params={"mine": "1"}).status_code == 200
        return (time.perf_counter() - started) * 1000

    with pg_two_workers.client(token) as client:
        quiet = statistics.median(lot_list_ms(client) for _ in range(10))
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            futures = [pool.submit(flood, i) for i in range(32)]
            time.sleep(1.0)
            busy = [lot_list_ms(client) for _ in range(15)]
            stop.set()
            for f in futures:
                f.result()
    median, logins = statistics.median(busy), statistics.median(login_ms)
    print(f"lot list: {quiet:.0f} ms quiet, {median:.0f} ms in a flood of {logins:.0f} ms logins")
    assert results.count(201) > 5  # the flood did run
    # before: the hashing took every database thread, so the list queued behind the logins and
    # waited as long as one of them (200 ms here, 2.2 s on the machine of the report); now the
    # hashing has threads of its own and the list waits for nothing but the CPU. Measured against
    # the logins of the same moment, not in milliseconds, so a busy machine slows both alike.
    assert median < logins / 2, (quiet, busy, logins)


# ----------------------------------------------------------------------------- finding 5


@pytest.fixture(scope="module")
def market(pg_two_workers) -> dict:  # type: ignore[type-arg]
    """Two fresh proposals between producer-demo's yard and a new plant of recycler-demo."""
    server = pg_two_workers
    tokens = {u: server.token(f"{u}-demo") for u in ("producer", "recycler", "operator")}
    with (
        server.client(tokens["producer"]) as producer,
        server.client(tokens["recycler"]) as recycler,
        server.client(tokens["operator"]) as operator,
    ):
        yard = first_site(producer)
        post_plant_and_offer(recycler, "busy-day plant")
        lots = [
            post_lot(producer, yard["id"], 400, available_from="2026-01-01")["id"] for _ in range(2)
        ]
        run = operator.post("/api/v1/match-runs", json={}).json()
    proposals = [next(p for p in run["proposals"] if p["lot_id"] == lot) for lot in lots]
    return {"tokens": tokens, "proposals": proposals}


def _post(server: LiveServer, token: str, path: str, body: dict) -> httpx.Response:  # type: ignore[type-arg]
    with server.client(token) as c:
        return c.post(path, json=body)


def test_forty_parallel_bids_of_one_recycler_leave_one_open(pg_two_workers, market) -> None:
    proposal = market["proposals"][0]
    token = market["tokens"]["recycler"]
    answers = parallel(
        40,
        _post,
        pg_two_workers,
        token,
        f"/api/v1/proposals/{proposal['id']}/bids",
        {"price_cny_t": 3, "tonnes": proposal["tonnes"]},
    )
    assert {r.status_code for r in answers} <= {201, 409}, [r.text for r in answers][:3]
    with pg_two_workers.client(token) as c:
        bids = c.get(f"/api/v1/proposals/{proposal['id']}/bids").json()["bids"]
    assert [b["status"] for b in bids].count("open") == 1


def _contract(server: LiveServer, market: dict, index: int) -> int:  # type: ignore[type-arg]
    proposal = market["proposals"][index]
    with server.client(market["tokens"]["recycler"]) as c:
        bids = c.get(f"/api/v1/proposals/{proposal['id']}/bids").json()["bids"]
        bid = next((b for b in bids if b["status"] == "open"), None)
        if bid is None:
            bid = c.post(
                f"/api/v1/proposals/{proposal['id']}/bids",
                json={"price_cny_t": 3, "tonnes": proposal["tonnes"]},
            ).json()
    with server.client(market["tokens"]["producer"]) as c:
        r = c.post(f"/api/v1/bids/{bid['id']}/accept")
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


@pytest.fixture(scope="module")
def two_contracts(pg_two_workers, market) -> tuple[int, int]:
    return _contract(pg_two_workers, market, 0), _contract(pg_two_workers, market, 1)


def _delivery_races(server, market, contracts, body) -> Iterator[list]:
    """Six rounds of one delivery posted on each contract at the same moment, as the producer;
    `body(round, contract)` is each one's body. Yields each round's two answers."""
    token = market["tokens"]["producer"]
    for round_ in range(6):
        yield at_once(
            *(
                lambda c=c, n=round_: _post(
                    server, token, f"/api/v1/contracts/{c}/deliveries", body(n, c)
                )
                for c in contracts
            )
        )


def test_one_manifest_number_sent_on_two_contracts_at_once_is_a_409(
    pg_two_workers, market, two_contracts
) -> None:
    def body(n, c):
        return {"tonnes": 1, "manifest_no": f"RACE-M-{n}"}

    for answers in _delivery_races(pg_two_workers, market, two_contracts, body):
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [201, 409], [r.text for r in answers]
        assert {r.json().get("error", {}).get("code") for r in answers} >= {"duplicate_manifest"}


def test_one_idempotency_key_sent_on_two_contracts_at_once_is_a_409(
    pg_two_workers, market, two_contracts
) -> None:
    def body(n, c):
        return {"tonnes": 1, "manifest_no": f"RACE-K-{n}-{c}", "idempotency_key": f"K{n}"}

    for answers in _delivery_races(pg_two_workers, market, two_contracts, body):
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [201, 409], [r.text for r in answers]


def test_one_site_name_posted_twice_at_once_is_a_409(pg_two_workers, market) -> None:
    token = market["tokens"]["recycler"]
    for round_ in range(4):
        answers = parallel(
            6,
            _post,
            pg_two_workers,
            token,
            "/api/v1/sites",
            {"name": f"twin plant {round_}", "lat": 24.95, "lon": 102.45},
        )
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [201] + [409] * 5, [r.text for r in answers if r.status_code != 201]


# ----------------------------------------------------------------------------- finding 6


def _big_zone() -> dict:  # type: ignore[type-arg]
    import math

    n = 90_000
    ring = [
        [
            round(102.7 + 0.3 * math.cos(2 * math.pi * k / n), 6),
            round(25.0 + 0.3 * math.sin(2 * math.pi * k / n), 6),
        ]
        for k in range(n)
    ]
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def test_eight_heavy_siting_requests_do_not_starve_a_producers_lot_list(pg_two_workers) -> None:
    # A guard rather than a reproduction: with a 90,000-vertex zone the previous code also kept
    # the list well ahead of the siting requests (44 ms; 26 ms now). What held a worker for
    # minutes was repairing a tangled polygon, refused now (tests/unit/geo/test_zone_limits.py).
    regulator = pg_two_workers.token("regulator-demo")
    producer = pg_two_workers.token("producer-demo")
    body = {
        "material": "phosphogypsum",
        "capacity_t_per_year": 500_000,
        "zones": _big_zone(),
        "buffer_km": 5,
    }
    answers: list[int] = []
    siting_ms: list[float] = []

    def siting() -> None:
        with pg_two_workers.client(regulator) as c:
            started = time.perf_counter()
            answers.append(c.post("/api/v1/planning/siting", json=body).status_code)
            siting_ms.append((time.perf_counter() - started) * 1000)

    with pg_two_workers.client(producer) as client:

        def lot_list_ms() -> float:
            started = time.perf_counter()
            assert client.get("/api/v1/lots", params={"mine": "1"}).status_code == 200
            return (time.perf_counter() - started) * 1000

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(siting) for _ in range(8)]
            time.sleep(1.5)
            busy = [lot_list_ms() for _ in range(8)]
            for f in futures:
                f.result()
    median, heavy = statistics.median(busy), statistics.median(siting_ms)
    print(f"lot list under 8 siting requests: {median:.0f} ms; siting answers {sorted(answers)}")
    assert set(answers) <= {200, 429} and 200 in answers
    # against the siting requests of the same moment, not in milliseconds: the list must not
    # queue behind them (a busy machine slows both alike)
    assert median < heavy / 2, (busy, siting_ms)
