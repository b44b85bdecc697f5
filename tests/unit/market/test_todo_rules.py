"""The to-do's rules, without a database: who a dispute waits on, which months are due, what is
expiring, and how counts become items."""

from __future__ import annotations

from datetime import date

from market import todo
from market.todo import Fact

TODAY = date(2026, 3, 15)


def test_a_fresh_dispute_waits_on_the_producer_not_the_recycler_who_weighed_it():
    assert todo.settlement_waits_on("producer", [])
    assert not todo.settlement_waits_on("recycler", [])


def test_a_dispute_waits_on_whoever_did_not_propose_last():
    assert todo.settlement_waits_on("recycler", ["producer"])
    assert not todo.settlement_waits_on("producer", ["producer"])
    assert todo.settlement_waits_on("producer", ["producer", "recycler"])
    assert not todo.settlement_waits_on("recycler", ["producer", "recycler"])


def test_a_regulators_figure_is_not_a_partys_proposal():
    assert todo.settlement_waits_on("recycler", ["producer", "regulator"])


def test_every_ended_open_month_since_the_first_is_due_and_this_month_is_not():
    due = todo.months_to_submit("2025-12", {}, TODAY)
    assert due == ["2025-12", "2026-01", "2026-02"]


def test_submitted_approved_and_returned_months_are_not_due_to_submit():
    states = {"2025-12": "approved", "2026-01": "submitted", "2026-02": "returned"}
    assert todo.months_to_submit("2025-12", states, TODAY) == []


def test_a_yard_without_entries_has_no_month_due():
    assert todo.months_to_submit(None, {}, TODAY) == []


def test_a_yard_that_began_this_month_has_no_month_due():
    assert todo.months_to_submit("2026-03", {}, TODAY) == []


def test_expiring_means_ending_within_fourteen_days_from_today():
    assert todo.expiring(TODAY, TODAY)
    assert todo.expiring(date(2026, 3, 28), TODAY)
    assert not todo.expiring(date(2026, 3, 29), TODAY)
    assert not todo.expiring(date(2026, 3, 14), TODAY)
    assert not todo.expiring(None, TODAY)


def test_a_contract_fully_dispatched_is_not_due():
    assert todo.remaining(100, 40)
    assert not todo.remaining(100, 100)
    assert not todo.remaining(100, 100 - 1e-9)


def test_items_keep_the_roles_kinds_in_order_and_drop_empty_ones():
    facts = {
        "report_due": Fact(2),
        "bid_to_decide": Fact(3),
        "dispatch_due": Fact(0),
        "report_to_review": Fact(5),  # not a producer's
    }
    out = todo.items("producer", facts)
    assert [i["kind"] for i in out] == ["bid_to_decide", "report_due"]
    assert out[0] == {
        "kind": "bid_to_decide",
        "count": 3,
        "url": "/bids",
        "title": "Bids to decide",
    }
    assert todo.total(out) == 5


def test_an_item_links_to_the_one_page_that_holds_it_all_or_else_to_its_list():
    one = todo.items("regulator", {"report_to_review": Fact(1, "/review/reports/7")})
    many = todo.items("regulator", {"report_to_review": Fact(2)})
    assert one[0]["url"] == "/review/reports/7"
    assert many[0]["url"] == "/review/reports"


def test_every_kind_the_contract_names_belongs_to_some_role():
    named = {
        "bid_to_decide",
        "dispatch_due",
        "receipt_to_confirm",
        "settlement_to_answer",
        "report_due",
        "report_returned",
        "report_to_review",
        "correction_to_review",
        "attestation_to_review",
        "offer_expiring",
    }
    held = {k for kinds in todo.ROLE_KINDS.values() for k in kinds}
    assert named <= held
    assert held <= set(todo.KINDS)


def test_an_operator_has_an_empty_to_do():
    assert todo.items("operator", {"bid_to_decide": Fact(3)}) == []
