"""Faults: the server killed mid-burst, and the database out of reach for a while."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import socket
import threading

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import func, select

from market.db import Database
from market.integrity import verify_all
from market.tables import LedgerEntry
from tests.support.api import first_site, post_lot, post_plant_and_offer
from tests.support.live import free_port, serving, start_server, stop_server
from tests.support.worlds import demo_database

DELIVERIES = 40


def contract_with_deliveries(server) -> list[int]:
    """A fresh contract between the demo producer and recycler, with DELIVERIES dispatched."""
    tokens = {u: server.token(f"{u}-demo") for u in ("producer", "recycler", "operator")}
    with (
        server.client(tokens["producer"]) as producer,
        server.client(tokens["recycler"]) as recycler,
        server.client(tokens["operator"]) as operator,
    ):
        post_plant_and_offer(recycler, f"fault plant {free_port()}")
        lot = post_lot(producer, first_site(producer)["id"], 400)
        run = operator.post("/api/v1/match-runs", json={}).json()
        proposal = next(p for p in run["proposals"] if p["lot_id"] == lot["id"])
        bid = recycler.post(
            f"/api/v1/proposals/{proposal['id']}/bids",
            json={"price_cny_t": 3, "tonnes": proposal["tonnes"]},
        ).json()
        contract = producer.post(f"/api/v1/bids/{bid['id']}/accept").json()
        ids = []
        for i in range(DELIVERIES):
            d = producer.post(
                f"/api/v1/contracts/{contract['id']}/deliveries",
                json={
                    "tonnes": proposal["tonnes"] / DELIVERIES,
                    "manifest_no": f"FAULT-{contract['id']}-{i}",
                },
                headers={"Idempotency-Key": f"k-{contract['id']}-{i}"},
            )
            assert d.status_code == 201, d.text
            ids.append(d.json()["id"])
        return ids, tokens["recycler"], proposal["tonnes"] / DELIVERIES


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, demo_sqlite_template, tmp_path):
    with demo_database(request.param, demo_sqlite_template, tmp_path) as url:
        yield url


def test_a_server_killed_mid_burst_loses_no_receipt_and_doubles_none(database, tmp_path):
    with serving(database, tmp_path / "first.log") as server:
        ids, recycler_token, tonnes = contract_with_deliveries(server)
        done = threading.Event()
        answered: list[int] = []

        def confirm(delivery_id: int) -> int:
            try:
                with httpx.Client(
                    base_url=server.url,
                    timeout=10,
                    headers={"Authorization": f"Bearer {recycler_token}"},
                ) as c:
                    r = c.post(
                        f"/api/v1/deliveries/{delivery_id}/receipt",
                        json={"received_tonnes": tonnes},
                    )
                    answered.append(r.status_code)
                    if len(answered) >= DELIVERIES // 3:
                        done.set()
                    return r.status_code
            except httpx.HTTPError:
                return -1

        with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
            futures = [pool.submit(confirm, i) for i in ids]
            done.wait(timeout=60)
            os.kill(server.process.pid, signal.SIGKILL)  # no goodbye, no cleanup
            outcomes = [f.result() for f in futures]
        server.process.wait(timeout=10)
        assert 0 < sum(1 for o in outcomes if o == 201) < DELIVERIES, outcomes

    with serving(database, tmp_path / "second.log") as restarted:
        with restarted.client(recycler_token) as c:
            retried = [
                c.post(
                    f"/api/v1/deliveries/{i}/receipt", json={"received_tonnes": tonnes}
                ).status_code
                for i in ids
            ]
        assert set(retried) <= {200, 201}, retried

    db = Database(database)
    try:
        with db.read_session() as s:
            per_delivery = dict(
                s.exec(
                    select(LedgerEntry.delivery_id, func.count())
                    .where(LedgerEntry.kind == "utilisation", LedgerEntry.delivery_id.in_(ids))
                    .group_by(LedgerEntry.delivery_id)
                ).all()
            )
            report = verify_all(s)
    finally:
        db.dispose()
    assert per_delivery == {i: 1 for i in ids}
    assert report["ok"], report["breaks"][:3]


class TcpProxy:
    """A loopback TCP relay we can cut and restore, standing in for a network partition."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(50)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self) -> None:
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would leave the
            # kernel socket listening until that call returns
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            for s in self._sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self._sockets.clear()


@pytest.mark.postgres
def test_an_unreachable_database_gives_clear_503s_and_the_app_recovers_by_itself(tmp_path):
    with demo_database("postgres", None, tmp_path) as url:
        proxy = None
        server = None
        try:
            parsed = make_url(url)
            proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
            proxy.start()
            via_proxy = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(
                hide_password=False
            )
            server = start_server(via_proxy, tmp_path / "server.log")
            token = server.token("regulator-demo")
            with server.client(token) as c:
                assert c.get("/api/v1/lots").status_code == 200
                proxy.cut()
                down = c.get("/api/v1/lots")
                assert down.status_code == 503
                assert down.json()["error"]["code"] == "unavailable"
                assert down.headers["retry-after"] == "5"
                assert c.get("/healthz").status_code == 503
                page = c.get("/lots")
                assert page.status_code == 503 and "Traceback" not in page.text
                proxy.start()
                assert c.get("/api/v1/lots").status_code == 200
                assert c.get("/healthz").json() == {"status": "ok", "database": "up"}
        finally:
            if server is not None:
                stop_server(server)
            if proxy is not None:
                proxy.cut()
