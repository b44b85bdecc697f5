"""The demo's trust data: evidence documents, attestations of claims and evaluator links."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from market.auth import Actor
from market.db import UnitOfWork
from market.services import documents
from market.settings import Settings
from seed_data import DemoDataSet, DemoSite


def _evidence(uow: UnitOfWork, actor: Actor, s: DemoSite, months: list[date]) -> int:
    """One workbook per yard: the own-use and treatment records its claims cite."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "自用与处置记录"
    ws.append([f"{s.name}：自用与无害化处理月度记录（示例数据，非真实记录）"])
    ws.append(["月份", "物料", "说明"])
    for start in months:
        for st in s.streams:
            ws.append([f"{start:%Y-%m}", st.material, "示例"])
    buf = io.BytesIO()
    wb.save(buf)
    doc = documents.upload(
        uow,
        actor,
        content=buf.getvalue(),
        filename=f"own-use-{s.key}.xlsx",
        max_bytes=10_000_000,
    )
    assert doc.id is not None
    return doc.id


def _trust(
    uow: UnitOfWork,
    demo: DemoDataSet,
    actors: dict[str, Actor],
    site_ids: dict[str, int],
    months: list[date],
    settings: Settings,
) -> None:
    """History approved up to the month before the last; the last month submitted and waiting
    (one yard's returned); own claims attested, but for the demo producer's last one; and one
    correction waiting for the regulator."""
    from market.seals import load_or_create
    from market.services import corrections, reports
    from market.tables import LedgerEntry

    key = load_or_create(settings.seal_key_path())
    regulator = next(a for a in actors.values() if a.role == "regulator")
    evaluator = next((a for a in actors.values() if a.role == "evaluator"), None)
    demo_user = {u.role: u for u in demo.users}
    producer = next(a for a in actors.values() if a.username == demo_user["producer"].username)
    evaluated = {actors[p].organisation_id for o in demo.organisations for p in o.evaluates}
    last = f"{months[-1]:%Y-%m}"
    yards = [s for s in demo.sites if s.kind == "yard"]
    producer_yard = next(
        site_ids[s.key] for s in yards if actors[s.organisation].user_id == producer.user_id
    )
    # attest every claim, except the demo producer's own-use claim of the last month
    claims = uow.session.exec(select(LedgerEntry).where(LedgerEntry.attestation == "pending")).all()
    site_owner = {site_ids[s.key]: actors[s.organisation] for s in yards}
    for e in claims:
        assert e.id is not None
        if (
            e.site_id == producer_yard
            and f"{e.occurred_on:%Y-%m}" == last
            and e.kind == "utilisation"
        ):
            continue
        owner = site_owner[e.site_id]
        by = evaluator if evaluator and owner.organisation_id in evaluated else regulator
        corrections.attest(
            uow, by, e.id, {"decision": "attested", "note": "示例：现场核查与记录相符"}, key
        )
    returned_yard = next(site_ids[s.key] for s in yards if s.organisation == "pg_jinning")
    for s in yards:
        site_id = site_ids[s.key]
        owner = actors[s.organisation]
        for start in months:
            period = f"{start:%Y-%m}"
            submitted = reports.submit(
                uow, owner, site_id, {"period": period}, settings.report_due_day
            )
            assert submitted.id is not None
            if period == last:
                if site_id == returned_yard:
                    reports.return_report(
                        uow,
                        regulator,
                        submitted.id,
                        {"reason": "示例：本月外运量与转移联单合计不符，请核对后重新报送"},
                    )
                continue
            reports.approve(uow, regulator, submitted.id, {}, key)
    before_last = f"{months[-2]:%Y-%m}"
    corrections.request(
        uow,
        producer,
        producer_yard,
        {
            "period": before_last,
            "material": "phosphogypsum",
            "kind": "generation",
            "tonnes": 320,
            "reason": "示例：月末两车次过磅单漏录，补报产生量",
        },
    )


def link_evaluator(uow: UnitOfWork, evaluator_org_id: int, producer_org_id: int) -> None:
    from market.tables import EvaluatorLink

    if uow.session.get(EvaluatorLink, (evaluator_org_id, producer_org_id)) is None:
        uow.session.add(
            EvaluatorLink(evaluator_org_id=evaluator_org_id, producer_org_id=producer_org_id)
        )
        uow.flush()
