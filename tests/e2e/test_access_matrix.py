"""Who may do what, tried over HTTP: every API route as every role, as another organisation of
the same role, and anonymously. Expected answers come from the "who" column of docs/api.md."""

from __future__ import annotations

import pytest

from tests.support.api import first_site, post_lot
from tests.support.live import DEMO_PASSWORD
from tests.support.sessions import csrf_field

USERS = (
    "producer-demo",
    "producer-other",
    "recycler-demo",
    "recycler-other",
    "regulator-demo",
    "operator-demo",
)


@pytest.fixture(scope="module")
def world(live_server):
    """Objects owned by the demo producer and recycler, made through the API itself."""
    tokens = {u: live_server.token(u, DEMO_PASSWORD) for u in USERS}
    c = {u: live_server.client(t) for u, t in tokens.items()}
    yard = first_site(c["producer-demo"], "yard")
    plant = first_site(c["recycler-demo"], "plant")
    lot = post_lot(c["producer-demo"], yard["id"], 900)
    offer = (
        c["recycler-demo"]
        .post(
            "/api/v1/offers",
            json={
                "site_id": plant["id"],
                "material": "phosphogypsum",
                "use": "cement_retarder",
                "capacity_t": 900,
                "max_haul_km": 300,
            },
        )
        .json()
    )
    run = c["operator-demo"].post("/api/v1/match-runs", json={}).json()
    proposal = next(p for p in run["proposals"] if p["lot_id"] == lot["id"])
    owner = proposal["recycler_id"]
    bidder = next(
        u
        for u in ("recycler-demo", "recycler-other")
        if c[u].get("/api/v1/me").json()["organisation_id"] == owner
    )
    bid = (
        c[bidder]
        .post(
            f"/api/v1/proposals/{proposal['id']}/bids",
            json={"price_cny_t": 1, "tonnes": proposal["tonnes"]},
        )
        .json()
    )
    contract = c["producer-demo"].post(f"/api/v1/bids/{bid['id']}/accept").json()
    delivery = (
        c["producer-demo"]
        .post(
            f"/api/v1/contracts/{contract['id']}/deliveries",
            json={"tonnes": 10, "manifest_no": "ACL-1"},
        )
        .json()
    )
    private = (
        c["producer-other"]
        .post(
            "/api/v1/lots",
            json={
                "site_id": next(
                    s for s in c["producer-other"].get("/api/v1/sites").json()["sites"]
                )["id"],
                "material": "phosphogypsum",
                "tonnes": 50,
            },
        )
        .json()
    )
    c["producer-other"].delete(f"/api/v1/lots/{private['id']}")
    ids = {
        "yard": yard["id"],
        "plant": plant["id"],
        "lot": lot["id"],
        "offer": offer["id"],
        "run": run["id"],
        "proposal": proposal["id"],
        "bid": bid["id"],
        "contract": contract["id"],
        "delivery": delivery["id"],
        "private_lot": private["id"],
        "bidder": bidder,
        "other_recycler": ({"recycler-demo", "recycler-other"} - {bidder}).pop(),
    }
    yield c, ids
    for client in c.values():
        client.close()


# (method, path template, body) → expected status per user; "other" means the same-role user
# of another organisation.
def cases(ids):
    r_own, r_other = ids["bidder"], ids["other_recycler"]
    parties = (r_own, r_other)  # the recycler that bid, and the one that did not

    def who(*statuses, recyclers=("recycler-demo", "recycler-other")):
        """The statuses in `USERS` order; `recyclers=parties` for routes of the deal."""
        users = ("producer-demo", "producer-other", *recyclers, "regulator-demo", "operator-demo")
        return dict(zip(users, statuses, strict=True))

    everyone_ok = {u: 200 for u in USERS}
    lot = {"site_id": ids["yard"], "material": "phosphogypsum", "tonnes": 1}
    offer = {"site_id": ids["plant"], "material": "phosphogypsum", "capacity_t": 1}
    ledger_entry = {"kind": "generation", "material": "phosphogypsum", "tonnes": 1}
    # who(producer, other producer, recycler, other recycler, regulator, operator)
    return [
        ("GET", "/api/v1/me", None, everyone_ok),
        ("GET", "/api/v1/materials", None, everyone_ok),
        ("POST", "/api/v1/lots", lot, who(201, 404, 403, 403, 403, 403)),
        (
            "PATCH",
            "/api/v1/lots/{lot}",
            {"asking_price_cny_t": 3},
            who(200, 404, 403, 403, 403, 403),
        ),
        ("GET", "/api/v1/lots/{private_lot}", None, who(404, 200, 404, 404, 200, 200)),
        ("DELETE", "/api/v1/lots/{private_lot}", None, who(404, 200, 403, 403, 403, 403)),
        ("POST", "/api/v1/offers", offer, who(403, 403, 201, 404, 403, 403)),
        ("GET", "/api/v1/sites/{yard}/ledger", None, who(200, 404, 404, 404, 200, 200)),
        ("POST", "/api/v1/sites/{yard}/ledger", ledger_entry, who(201, 404, 403, 403, 403, 403)),
        ("POST", "/api/v1/match-runs", {}, who(403, 403, 403, 403, 201, 201)),
        ("GET", "/api/v1/match-runs/{run}", None, who(403, 403, 403, 403, 200, 200)),
        # the owner passes authorisation and meets the rule instead: the lot is all under contract
        (
            "POST",
            "/api/v1/proposals/{proposal}/bids",
            {"price_cny_t": 1, "tonnes": 1},
            who(403, 403, 409, 404, 403, 403, recyclers=parties),
        ),
        (
            "GET",
            "/api/v1/contracts/{contract}",
            None,
            who(200, 404, 200, 404, 200, 200, recyclers=parties),
        ),
        (
            "POST",
            "/api/v1/contracts/{contract}/deliveries",
            {"tonnes": 1, "manifest_no": "ACL-{n}"},
            who(201, 404, 403, 403, 403, 403),
        ),
        (
            "POST",
            "/api/v1/deliveries/{delivery}/receipt",
            {"received_tonnes": 10},
            who(403, 403, 201, 404, 403, 403, recyclers=parties),
        ),
        ("POST", "/api/v1/bids/{bid}/accept", None, who(409, 404, 403, 403, 403, 403)),
        # the papers: the parties and overseers read them; another organisation finds nothing
        *(
            ("GET", path, None, who(200, 404, 200, 404, 200, 200, recyclers=parties))
            for path in (
                "/api/v1/deliveries/{delivery}/manifest.pdf",
                "/api/v1/contracts/{contract}/contract.pdf",
            )
        ),
        (
            "GET",
            "/api/v1/sites/{yard}/statutory-ledger.xlsx?year=2025",
            None,
            who(200, 404, 404, 404, 200, 200),
        ),
        (
            "POST",
            "/api/v1/contracts/{contract}/trucks",
            {"csv": "云A·ACL{n},ACL driver,1"},
            who(201, 404, 403, 403, 403, 403),
        ),
    ]


def test_every_route_answers_each_role_as_the_contract_says(world):
    clients, ids = world
    failures = []
    n = 0
    for method, template, body, expected in cases(ids):
        for user in USERS:  # always in this order, whatever the order of `expected`
            if user not in expected:
                continue
            n += 1
            path = template.format(**{k: v for k, v in ids.items()})
            payload = None
            if body is not None:
                payload = {k: (v.format(n=n) if isinstance(v, str) else v) for k, v in body.items()}
            r = clients[user].request(method, path, json=payload)
            if r.status_code != expected[user]:
                failures.append(
                    f"{method} {template} as {user}: {r.status_code} "
                    f"(expected {expected[user]}) {r.text[:120]}"
                )
            elif r.status_code >= 400:
                assert "error" in r.json() and r.json()["error"]["message"]
    assert not failures, "\n".join(failures)


def test_anonymous_callers_get_401_on_every_api_route_but_the_token_exchange(live_server):
    import web.app  # noqa: F401 - every API module registers its paths when the app is built
    from web.openapi import document

    public = {"/auth/token", "/audit/seal-key"}  # the public key is for anyone to check seals
    with live_server.client() as c:
        for path, ops in document()["paths"].items():
            for method in ops:
                if path in public:
                    continue
                url = "/api/v1" + path.replace("{id}", "1").replace("{entry_id}", "1")
                r = c.request(method.upper(), url, json={} if method != "get" else None)
                assert r.status_code == 401, (method, path, r.status_code)
                assert r.json()["error"]["code"] == "unauthenticated"


def test_a_browser_session_cannot_write_through_the_api_without_its_csrf_token(live_server):
    with live_server.client() as c:
        page = c.get("/login")
        token = csrf_field(page.text)
        c.post(
            "/login",
            data={
                "username": "producer-demo",
                "password": DEMO_PASSWORD,
                "csrf_token": token,
                "next": "/",
            },
        )
        assert c.get("/api/v1/me").status_code == 200
        r = c.post("/api/v1/sites", json={"name": "x", "lat": 25.0, "lon": 102.7})
        assert r.status_code == 403 and "csrf" in r.json()["error"]["message"]
