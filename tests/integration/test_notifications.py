"""Each event that puts work on someone notifies every user of the organisation concerned, in
the same transaction, and queues a mail (in the user's language) for those with an address who
want that kind; the to-do counts what waits. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from market import clock, notifications, todo_query
from market.errors import InvalidState
from market.services import corrections, deliveries, reports, trade
from market.services.matching import run_match
from market.tables import MailOutbox, Notification, Proposal
from tests.support import builders as b


def colleague(db, who):
    """A second user of the same organisation."""
    return b.actor(db, who.role, org=who.organisation)


def notes(db, who, kind=None):
    with db.read_session() as s:
        q = select(Notification).where(Notification.user_id == who.user_id)
        if kind:
            q = q.where(Notification.kind == kind)
        return s.exec(q.order_by(col(Notification.id))).all()


def mails(db, to=None):
    with db.read_session() as s:
        q = select(MailOutbox).order_by(col(MailOutbox.id))
        if to:
            q = q.where(MailOutbox.to_addr == to)
        return s.exec(q).all()


def kinds(db, who):
    return [n.kind for n in notes(db, who)]


def todo(db, who):
    with db.read_session() as s:
        return {i["kind"]: i for i in todo_query.todo_for(s, who)}


@pytest.fixture
def market(db, settings):
    producer = b.actor(db, "producer")
    producer2 = colleague(db, producer)
    recycler = b.actor(db, "recycler")
    operator = b.actor(db, "operator")
    b.with_email(db, producer, "producer@example.test")
    b.with_email(db, recycler, "recycler@example.test", lang="en")
    yard = b.site(db, producer, b.ANNING)
    b.entry(db, producer, yard.id, "opening", 50_000, b.days_ago(40))
    lot = b.lot(db, producer, yard.id, tonnes=5000)
    plant = b.site(db, recycler, b.KUNMING)
    offer = b.offer(db, recycler, plant.id, capacity_t=8000)
    run = run_match(db, operator, settings)
    with db.read_session() as s:
        proposal = s.exec(select(Proposal).where(Proposal.run_id == run.id)).one()
    return {
        "producer": producer,
        "producer2": producer2,
        "recycler": recycler,
        "operator": operator,
        "yard": yard,
        "lot": lot,
        "offer": offer,
        "run": run,
        "proposal": proposal,
    }


def place(db, m, **data):
    with db.unit_of_work() as uow:
        return trade.place_bid(uow, m["recycler"], m["proposal"].id, {"price_cny_t": 12} | data)


def contract_for(db, m, tonnes=1000):
    bid = place(db, m, tonnes=tonnes)
    with db.unit_of_work() as uow:
        return trade.accept_bid(uow, m["producer"], bid.id)


def dispatch(db, m, contract, manifest="YN-1", tonnes=500):
    with db.unit_of_work() as uow:
        d, _ = deliveries.dispatch_delivery(
            uow, m["producer"], contract.id, {"tonnes": tonnes, "manifest_no": manifest}
        )
    return d


def receive(db, m, delivery, tonnes, settings):
    with db.unit_of_work() as uow:
        d, _ = deliveries.confirm_receipt(
            uow, m["recycler"], delivery.id, {"received_tonnes": tonnes}, settings
        )
    return d


def test_a_match_run_tells_the_recycler_its_proposals_and_nobody_else(db, market):
    m = market
    assert kinds(db, m["recycler"]) == ["proposals_ready"]
    assert notes(db, m["recycler"])[0].params == {"run": m["run"].id, "count": 1}
    assert kinds(db, m["producer"]) == [] and kinds(db, m["operator"]) == []


def test_a_bid_notifies_every_user_of_the_lots_organisation_and_mails_the_one_with_an_address(
    db, market
):
    m = market
    place(db, m, tonnes=1000)
    for who in (m["producer"], m["producer2"]):
        [note] = notes(db, who, "bid_placed")
        assert note.url == "/bids"
        assert note.params == {"lot": m["lot"].id, "tonnes": 1000, "price": 12}
    [mail] = mails(db, "producer@example.test")
    assert mail.subject == f"【固废撮合】批次 #{m['lot'].id} 收到新投标：1,000 吨，12 元/吨"
    assert "查看：{site}/bids" in mail.body
    assert todo(db, m["producer"])["bid_to_decide"]["count"] == 1


def test_accepting_notifies_the_recycler_in_english_when_it_chose_english(db, market):
    m = market
    contract = contract_for(db, m)
    [note] = notes(db, m["recycler"], "bid_accepted")
    assert note.url == f"/contracts/{contract.id}"
    mail = mails(db, "recycler@example.test")[-1]
    assert mail.subject.startswith("[wastematch] Your bid #")
    assert f"contract #{contract.id}, 1,000 t" in mail.subject
    assert "bid_to_decide" not in todo(db, m["producer"])
    assert todo(db, m["producer"])["dispatch_due"]["url"] == f"/contracts/{contract.id}"


def test_declining_a_bid_tells_the_recycler(db, market):
    m = market
    bid = place(db, m)
    with db.unit_of_work() as uow:
        trade.reject_bid(uow, m["producer"], bid.id)
    assert kinds(db, m["recycler"])[-1] == "bid_rejected"


def test_a_refused_event_writes_no_notification(db, market):
    m = market
    contract = contract_for(db, m)
    before = len(notes(db, m["recycler"]))
    with pytest.raises(InvalidState), db.unit_of_work() as uow:
        trade.accept_bid(uow, m["producer"], contract.bid_id)
    assert len(notes(db, m["recycler"])) == before


def test_a_dispatch_puts_a_receipt_on_the_recyclers_to_do_and_the_receipt_tells_the_producer(
    db, market, settings
):
    m = market
    contract = contract_for(db, m)
    d = dispatch(db, m, contract)
    [note] = notes(db, m["recycler"], "delivery_dispatched")
    assert note.params == {"manifest": "YN-1", "tonnes": 500, "contract": contract.id}
    assert todo(db, m["recycler"])["receipt_to_confirm"]["count"] == 1
    receive(db, m, d, 498, settings)
    assert [n.params["tonnes"] for n in notes(db, m["producer"], "delivery_received")] == [498]
    assert "receipt_to_confirm" not in todo(db, m["recycler"])


def test_a_dispute_and_its_settlement_go_back_and_forth_between_the_parties(db, market, settings):
    m = market
    contract = contract_for(db, m)
    d = receive(db, m, dispatch(db, m, contract), 400, settings)
    assert d.status == "disputed"
    assert [n.params for n in notes(db, m["producer"], "delivery_disputed")] == [
        {"manifest": "YN-1", "tonnes": 400, "dispatched": 500}
    ]
    assert todo(db, m["producer"])["settlement_to_answer"]["count"] == 1
    assert "settlement_to_answer" not in todo(db, m["recycler"])

    with db.unit_of_work() as uow:
        deliveries.propose_settlement(uow, m["producer"], d.id, {"settled_tonnes": 480})
    assert notes(db, m["recycler"], "settlement_proposed")[0].params["tonnes"] == 480
    assert "settlement_to_answer" not in todo(db, m["producer"])
    assert todo(db, m["recycler"])["settlement_to_answer"]["count"] == 1

    with db.unit_of_work() as uow:
        _, agreed = deliveries.propose_settlement(uow, m["recycler"], d.id, {"settled_tonnes": 480})
    assert agreed
    assert notes(db, m["producer"], "delivery_settled")[0].params["tonnes"] == 480
    assert "settlement_to_answer" not in todo(db, m["recycler"])


def test_reports_go_to_every_regulator_and_their_decisions_back_to_the_producer(db, market):
    m = market
    regulator = b.regulator(db)
    b.with_email(db, regulator, f"regulator{regulator.user_id}@example.test")
    period = clock.month_of(clock.today() - timedelta(days=40))
    assert todo(db, m["producer"])["report_due"]["url"] == f"/yards/{m['yard'].id}/reports"
    with db.unit_of_work() as uow:
        report = reports.submit(uow, m["producer"], m["yard"].id, {"period": period}, 10)
    [note] = notes(db, regulator, "report_submitted")
    assert note.url == f"/review/reports/{report.id}"
    assert note.params == {"site": m["yard"].name, "period": period}
    [mail] = mails(db, f"regulator{regulator.user_id}@example.test")
    assert mail.subject == f"【固废撮合】{m['yard'].name} {period} 月报已提交，待审核"
    assert todo(db, regulator)["report_to_review"]["count"] >= 1

    with db.unit_of_work() as uow:
        reports.return_report(uow, regulator, report.id, {"reason": "发运量与联单不符"})
    [returned] = notes(db, m["producer"], "report_returned")
    assert returned.params["reason"] == "发运量与联单不符"
    assert todo(db, m["producer"])["report_returned"]["count"] == 1

    with db.unit_of_work() as uow:
        reports.submit(uow, m["producer"], m["yard"].id, {"period": period}, 10)
    with db.unit_of_work() as uow:
        reports.approve(uow, regulator, report.id, {}, b.seal_key())
    assert kinds(db, m["producer2"])[-1] == "report_approved"
    assert "report_returned" not in todo(db, m["producer"])


def test_a_correction_goes_to_the_regulators_and_its_decision_to_the_producer(db, market):
    m = market
    regulator = b.regulator(db)
    period = clock.month_of(clock.today() - timedelta(days=40))
    with db.unit_of_work() as uow:
        report = reports.submit(uow, m["producer"], m["yard"].id, {"period": period}, 10)
    with db.unit_of_work() as uow:
        reports.approve(uow, regulator, report.id, {}, b.seal_key())
    with db.unit_of_work() as uow:
        row = corrections.request(
            uow,
            m["producer"],
            m["yard"].id,
            {
                "period": period,
                "material": "phosphogypsum",
                "kind": "generation",
                "tonnes": 10,
                "reason": "漏记",
            },
        )
    assert notes(db, regulator, "correction_requested")[-1].params["correction"] == row.id
    assert todo(db, regulator)["correction_to_review"]["count"] >= 1
    with db.unit_of_work() as uow:
        corrections.reject(uow, regulator, row.id, {"reason": "证据不足"})
    [decided] = notes(db, m["producer"], "correction_decided")
    assert decided.params["decision"] == "rejected"
    with db.read_session() as s:
        shown = notifications.list_for(s, m["producer"], "zh")["notifications"][0]
    assert shown["title"] == f"{m['yard'].name} {period} 的更正申请 #{row.id}：已驳回"


def test_a_user_who_turned_a_kind_off_gets_it_in_the_app_but_not_by_mail(db, market):
    m = market
    with db.unit_of_work() as uow:
        notifications.set_preferences(uow, m["producer"], {"mail_kinds": ["report_returned"]})
    place(db, m)
    assert notes(db, m["producer"], "bid_placed")
    assert mails(db, "producer@example.test") == []


def test_a_user_reads_only_their_own_notifications(db, market):
    m = market
    place(db, m)
    mine = notes(db, m["producer"])[0]
    with pytest.raises(notifications.NotFound), db.unit_of_work() as uow:
        notifications.mark_read(uow, m["producer2"], mine.id)
    with db.unit_of_work() as uow:
        notifications.mark_read(uow, m["producer"], mine.id)
    with db.read_session() as s:
        assert notifications.unread_count(s, m["producer"].user_id) == 0
        assert notifications.unread_count(s, m["producer2"].user_id) == 1
