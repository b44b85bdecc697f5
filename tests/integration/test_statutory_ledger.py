"""The statutory 台账 (生态环境部公告 2021年第82号 tables) agrees with the regulator's audit: the
same yard, the same year, the same generation, storage and flows, on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from market import audit, statutory
from market.services import deliveries
from tests.support import builders as b


def _dispatch(db, who, contract_id, manifest, tonnes, at):
    with db.unit_of_work() as uow:
        d, _ = deliveries.dispatch_delivery(
            uow,
            who,
            contract_id,
            {
                "manifest_no": manifest,
                "tonnes": tonnes,
                "truck_plate": "云A·1",
                "dispatched_at": at,
            },
        )
    return d


def _receive(db, who, delivery_id, tonnes, at, settings):
    with db.unit_of_work() as uow:
        deliveries.confirm_receipt(
            uow, who, delivery_id, {"received_tonnes": tonnes, "received_at": at}, settings
        )


@pytest.fixture
def history(db, settings):
    """A yard with two years of history: generation, own use (one claim attested, one still
    pending), treatment, disposal, and trucks to a recycler, some received in the next year."""
    w = b.deal(db, settings, tonnes=2000, stock=None)
    p, yard = w["producer"], w["yard"].id
    b.entry(db, p, yard, "opening", 20_000, "2024-01-01")
    b.entry(db, p, yard, "generation", 12_000, "2024-06-30")
    for month in range(1, 13):
        b.entry(db, p, yard, "generation", 1_000 + month, f"2025-{month:02d}-28")
    b.entry(db, p, yard, "utilisation", 400, "2025-03-15")
    b.entry(db, p, yard, "utilisation", 250, "2025-07-15", attest=False)  # pending claim
    b.entry(db, p, yard, "treatment", 300, "2025-05-10")
    b.entry(db, p, yard, "disposal", 120, "2025-09-09")
    b.entry(db, p, yard, "generation", 900, "2026-01-28")
    b.backdate_contract(db, w["contract"].id, "2025-02-01")
    c = w["contract"].id
    trucks = [
        _dispatch(db, p, c, "M-1", 35, "2025-04-01T08:00:00+08:00"),
        _dispatch(db, p, c, "M-2", 34.5, "2025-08-01T08:00:00+08:00"),
        _dispatch(db, p, c, "M-3", 36, "2025-12-31T20:00:00+08:00"),
    ]
    r = w["recycler"]
    _receive(db, r, trucks[0].id, 35, "2025-04-01T12:00:00+08:00", settings)
    _receive(db, r, trucks[1].id, 34.4, "2025-08-01T12:00:00+08:00", settings)
    _receive(db, r, trucks[2].id, 36, "2026-01-01T09:00:00+08:00", settings)  # next year
    return w


def _flows(xlsx: bytes) -> tuple[list[dict], dict]:
    ws = load_workbook(io.BytesIO(xlsx))["表2"]
    headers = [c.value for c in ws[3]]
    rows, total = [], {}
    for row in ws.iter_rows(min_row=4, values_only=True):
        named = dict(zip(headers, row, strict=False))
        if row[1] == "合计":
            total = named
        elif row[0] is not None:
            rows.append(named)
    return rows, total


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_workbooks_generation_storage_and_flows_equal_the_audit_for_the_yard_and_year(
    db, history, year
):
    w = history
    reg = b.regulator(db)
    with db.read_session() as s:
        data = statutory.build(
            s, statutory.scope_of_site(s, w["producer"], w["yard"].id), audit.Period.year_of(year)
        )
        sheet_rows, total = _flows(statutory.workbook(data))
        # the yard is its producer's only yard: the audit's producer-and-material scope is the yard
        audited = audit.summary(
            s,
            reg,
            audit.Period.year_of(year),
            audit.Scope(organisation_id=w["producer"].organisation_id, material="phosphogypsum"),
        )["totals"]
    assert len(sheet_rows) == 1
    row = sheet_rows[0]
    assert row["固体废物名称"] == "磷石膏"
    assert row["期初贮存量（吨）"] == pytest.approx(audited["opening_stock_t"], abs=1e-6)
    assert row["产生量（吨）"] == pytest.approx(audited["generated_t"], abs=1e-6)
    assert row["期末贮存量（吨）"] == pytest.approx(audited["closing_stock_t"], abs=1e-6)
    assert row["委托利用/处置量（吨）"] == pytest.approx(audited["dispatched_t"], abs=1e-6)
    assert row["自行利用量（吨）"] + row["其中接收方确认量（吨）"] == pytest.approx(
        audited["utilised_t"], abs=1e-6
    )
    assert row["自行处置量（吨）"] == pytest.approx(
        audited["treated_t"] + audited["disposed_t"], abs=1e-6
    )
    assert total["产生量（吨）"] == pytest.approx(audited["generated_t"], abs=1e-6)
    # and the storage balance closes: opening + in − out = closing
    out = (
        row["自行利用量（吨）"]
        + row["自行处置量（吨）"]
        + row["委托利用/处置量（吨）"]
        + row["待认定的自行利用/处置（吨）"]
    )
    assert row["期初贮存量（吨）"] + row["产生量（吨）"] + row[
        "更正量（吨）"
    ] - out == pytest.approx(row["期末贮存量（吨）"], abs=1e-6)


def test_2025_in_figures_the_pending_claim_is_not_own_use_and_next_years_receipt_is_not_2025s(
    db, history
):
    with db.read_session() as s:
        data = statutory.build(
            s,
            statutory.scope_of_site(s, history["producer"], history["yard"].id),
            audit.Period.year_of(2025),
        )
    (row,) = data["flows"]
    assert row["generated_t"] == sum(1_000 + m for m in range(1, 13))
    assert row["own_use_t"] == 400  # the 250 t claim still pending is listed apart
    assert row["pending_claims_t"] == 250
    assert row["dispatched_t"] == pytest.approx(105.5)
    assert row["received_t"] == pytest.approx(69.4)  # M-3 was weighed on 1 January 2026
    assert [c["manifest_no"] for c in data["contracted"]] == ["M-1", "M-2", "M-3"]
    assert len(data["generation"]) == 12


def test_a_month_of_the_workbook_equals_the_audit_for_that_month(db, history):
    reg = b.regulator(db)
    period = statutory.parse_period("2025", "8")
    with db.read_session() as s:
        data = statutory.build(
            s, statutory.scope_of_site(s, history["producer"], history["yard"].id), period
        )
        audited = audit.summary(
            s,
            reg,
            period,
            audit.Scope(
                organisation_id=history["producer"].organisation_id, material="phosphogypsum"
            ),
        )["totals"]
    (row,) = data["flows"]
    for ours, theirs in (
        ("generated_t", "generated_t"),
        ("opening_stock_t", "opening_stock_t"),
        ("closing_stock_t", "closing_stock_t"),
        ("dispatched_t", "dispatched_t"),
    ):
        assert row[ours] == pytest.approx(audited[theirs], abs=1e-6), ours


def test_the_producers_workbook_over_all_yards_equals_the_audit_for_the_producer(db, history):
    w = history
    second = b.site(db, w["producer"], b.QUJING)
    b.entry(db, w["producer"], second.id, "opening", 5_000, "2024-01-01")
    b.entry(db, w["producer"], second.id, "generation", 777, "2025-10-10")
    reg = b.regulator(db)
    with db.read_session() as s:
        data = statutory.build(
            s,
            statutory.scope_of_organisation(s, w["producer"], w["producer"].organisation_id),
            audit.Period.year_of(2025),
        )
        audited = audit.summary(
            s,
            reg,
            audit.Period.year_of(2025),
            audit.Scope(organisation_id=w["producer"].organisation_id),
        )["totals"]
    assert len(data["flows"]) == 2
    assert data["totals"]["generated_t"] == pytest.approx(audited["generated_t"], abs=1e-6)
    assert data["totals"]["opening_stock_t"] == pytest.approx(audited["opening_stock_t"], abs=1e-6)
    assert data["totals"]["closing_stock_t"] == pytest.approx(audited["closing_stock_t"], abs=1e-6)
