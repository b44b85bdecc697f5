"""Loading the catalogue and the illustrative demo data set, through the services.

`seed_demo` runs in one batch unit of work and records a marker with it, so it lands whole or not
at all, and a second run finds the marker and adds nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import select

from geo.distance import geodesic_km
from market import seed_trucks
from market.auth import UNUSABLE_PASSWORD, Actor, hash_password
from market.db import Database, UnitOfWork
from market.services import documents, ledger, lots, offers, sites
from market.services.users import ensure_organisation
from market.settings import Settings
from market.tables import AppSetting, Contract, Material, User
from seed_data import DemoDataSet, DemoSite, load_catalogue, load_demo

DEMO_MARKER = "demo_data_set"


def sync_catalogue(db: Database) -> int:
    """Mirror the catalogue's materials into the `material` table; returns rows changed."""
    changed = 0
    with db.unit_of_work() as uow:
        for m in load_catalogue().materials.values():
            row = uow.session.get(Material, m.code)
            values = {
                "name_zh": m.name_zh,
                "name_en": m.name_en,
                "family": m.family,
                "priority": m.priority,
            }
            if row is None:
                uow.session.add(Material(code=m.code, **values))
                changed += 1
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                uow.session.add(row)
                changed += 1
        uow.commit()
    return changed


@dataclass
class SeedReport:
    created: bool
    organisations: int = 0
    sites: int = 0
    lots: int = 0
    offers: int = 0
    ledger_entries: int = 0
    deliveries: int = 0


def demo_seeded(db: Database) -> bool:
    with db.read_session() as session:
        return session.get(AppSetting, DEMO_MARKER) is not None


def month_starts(end: date, months: int) -> list[date]:
    first = date(end.year, end.month, 1)
    out = []
    for _ in range(months):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(out))


def month_end(start: date) -> date:
    nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def seed_demo(db: Database, settings: Settings) -> SeedReport:
    if demo_seeded(db):
        return SeedReport(created=False)
    sync_catalogue(db)
    demo = load_demo()
    with db.unit_of_work(batch=True) as uow:
        report = _load(uow, demo, settings)
        uow.session.add(
            AppSetting(
                key=DEMO_MARKER,
                value={"label": demo.label_en, "loaded_at": datetime.now(UTC).isoformat()},
            )
        )
        uow.finish()
    return report


def _load(uow: UnitOfWork, demo: DemoDataSet, settings: Settings) -> SeedReport:
    report = SeedReport(created=True)
    rng = random.Random(demo.seed)
    demo_users = {u.organisation: u for u in demo.users}
    actors: dict[str, Actor] = {}
    for o in demo.organisations:
        org = ensure_organisation(uow, o.name, o.kind, o.pg_ratio)
        assert org.id is not None
        report.organisations += 1
        du = demo_users.get(o.key)
        if du is not None:
            username, password_hash = du.username, hash_password(demo.password)
        else:
            # staff of the other demo organisations exist so that their records have an author;
            # their hash is not an argon2 hash, so no password ever matches it
            username, password_hash = f"{o.key}-staff", UNUSABLE_PASSWORD
        user = uow.session.exec(select(User).where(User.username == username)).first()
        if user is None:
            user = User(
                username=username,
                password_hash=password_hash,
                role=o.kind,
                organisation_id=org.id,
            )
            uow.session.add(user)
            uow.flush()
        assert user.id is not None
        actors[o.key] = Actor(user.id, username, o.kind, org.id, org.name)

    for o in demo.organisations:
        for producer in o.evaluates:
            link_evaluator(uow, actors[o.key].organisation_id, actors[producer].organisation_id)

    site_ids: dict[str, int] = {}
    for s in demo.sites:
        actor = actors[s.organisation]
        row = sites.post_site(
            uow, actor, {"name": s.name, "kind": s.kind, "lat": s.lat, "lon": s.lon}
        )
        assert row.id is not None
        site_ids[s.key] = row.id
        report.sites += 1

    history_start = month_starts(demo.history_end, demo.history_months)[0]
    current_start = demo.history_end + timedelta(days=1)
    current_end = date(current_start.year + 1, current_start.month, 1) - timedelta(days=1)
    site_by_key = {s.key: s for s in demo.sites}

    offer_rows: list[tuple[str, int, Any]] = []
    for o in demo.offers:
        site = site_by_key[o.site]
        row = offers.post_offer(
            uow,
            actors[site.organisation],
            {
                "site_id": site_ids[o.site],
                "material": o.material,
                "use": o.use,
                "capacity_t": o.capacity_t,
                "period_start": current_start.isoformat(),
                "period_end": current_end.isoformat(),
                "spec": {
                    k: {kk: vv for kk, vv in (("min", b.min), ("max", b.max)) if vv is not None}
                    for k, b in o.spec.items()
                },
                "price_cny_t": o.price_cny_t,
                "max_haul_km": o.max_haul_km,
            },
        )
        offer_rows.append((o.site, row.id or 0, o))
        report.offers += 1

    for lot in demo.lots:
        site = site_by_key[lot.site]
        lots.post_lot(
            uow,
            actors[site.organisation],
            {
                "site_id": site_ids[lot.site],
                "material": lot.material,
                "tonnes": lot.tonnes,
                "quality": lot.quality,
                "lab_report": lot.lab_report,
                "sampled_on": (current_start - timedelta(days=10)).isoformat(),
                "available_from": current_start.isoformat(),
                "available_until": current_end.isoformat(),
                "asking_price_cny_t": lot.asking_price_cny_t,
                "max_haul_km": lot.max_haul_km,
            },
        )
        report.lots += 1

    months = month_starts(demo.history_end, demo.history_months)
    evidence: dict[str, int] = {}
    for s in demo.sites:
        if s.kind != "yard":
            continue
        evidence[s.key] = _evidence(uow, actors[s.organisation], s, months)
        report.ledger_entries += _history(
            uow,
            rng,
            s,
            site_ids,
            actors,
            months,
            history_start,
            demo,
            offer_rows,
            site_by_key,
            settings,
            report,
            evidence[s.key],
        )
    _trust(uow, demo, actors, site_ids, months, settings)
    return report


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


def _jitter(rng: random.Random, value: float, spread: float = 0.1) -> float:
    return round(value * (1 + rng.uniform(-spread, spread)), 1)


def _history(
    uow: UnitOfWork,
    rng: random.Random,
    s: DemoSite,
    site_ids: dict[str, int],
    actors: dict[str, Actor],
    months: list[date],
    history_start: date,
    demo: DemoDataSet,
    offer_rows: list[tuple[str, int, Any]],
    site_by_key: dict[str, DemoSite],
    settings: Settings,
    report: SeedReport,
    evidence_id: int,
) -> int:
    actor = actors[s.organisation]
    site_id = site_ids[s.key]
    written = 0

    def post(kind: str, material: str, tonnes: float, on: date, doc: str) -> None:
        nonlocal written
        if tonnes <= 0:
            return
        data: dict[str, Any] = {
            "kind": kind,
            "material": material,
            "tonnes": tonnes,
            "occurred_on": on.isoformat(),
            "document": doc,
        }
        if kind in ("utilisation", "treatment"):
            data["evidence"] = [evidence_id]
        ledger.post_entry(uow, actor, site_id, data)
        written += 1

    for st in s.streams:
        post(
            "opening",
            st.material,
            st.opening_t,
            history_start,
            f"堆存量测绘 {history_start:%Y-%m} (illustrative)",
        )
        shares = _shares(s, st, offer_rows, site_by_key)
        # tonnes per month and contract, drawn first so each contract is for exactly what its
        # deliveries add up to and closes with the last receipt
        plan = [
            [_jitter(rng, st.monthly_delivered_t * share) for _k, _o, share in shares]
            for _ in months
        ]
        contracts = _framework_contracts(
            uow,
            s,
            st,
            site_ids,
            actors,
            months,
            shares,
            [round(sum(month[j] for month in plan), 3) for j in range(len(shares))],
            site_by_key,
        )
        for i, start in enumerate(months):
            end = month_end(start)
            post(
                "generation",
                st.material,
                _jitter(rng, st.monthly_generation_t),
                end,
                f"月报 {start:%Y-%m}",
            )
            if st.monthly_p2o5_t:
                post(
                    "p2o5_output",
                    st.material,
                    _jitter(rng, st.monthly_p2o5_t, 0.05),
                    end,
                    f"P2O5 产量月报 {start:%Y-%m}",
                )
            post(
                "utilisation",
                st.material,
                _jitter(rng, st.monthly_own_use_t),
                end,
                f"自用记录 {start:%Y-%m}",
            )
            post(
                "treatment",
                st.material,
                _jitter(rng, st.monthly_treatment_t),
                end,
                f"无害化处理记录 {start:%Y-%m}",
            )
            for n, (contract_id, recycler) in enumerate(contracts):
                tonnes = plan[i][n]
                at = datetime(start.year, start.month, 12 + n, 2, 0, tzinfo=UTC)
                rng.randint(10000, 99999)  # the old plate's draw, so later figures stay the same
                received = round(tonnes * (1 - rng.uniform(0, 0.012)), 1)
                loads = seed_trucks.month_loads(
                    f"YN{start:%Y%m}-{site_id:03d}-{contract_id}-{i}",
                    tonnes,
                    received,
                    at,
                    seed_trucks.truck_days(demo.history_end, start, end),
                    seed_trucks.yard_letter(uow, site_id),
                    demo.seed,
                )
                done = seed_trucks.deliver(uow, actor, recycler, contract_id, loads, settings)
                report.deliveries += done
                written += 2 * done
    return written


def _shares(
    s: DemoSite, st: Any, offer_rows: list[tuple[str, int, Any]], site_by_key: dict[str, DemoSite]
) -> list[tuple[str, Any, float]]:
    """The (at most two) nearest plants taking the material, and the share each receives."""
    if st.monthly_delivered_t <= 0:
        return []
    nearest = sorted(
        (geodesic_km(s.lat, s.lon, site_by_key[key].lat, site_by_key[key].lon), key, o)
        for key, _oid, o in offer_rows
        if o.material == st.material
    )[:2]
    split = [0.6, 0.4] if len(nearest) == 2 else [1.0]
    return [(key, o, share) for (_km, key, o), share in zip(nearest, split, strict=False)]


def _framework_contracts(
    uow: UnitOfWork,
    s: DemoSite,
    st: Any,
    site_ids: dict[str, int],
    actors: dict[str, Actor],
    months: list[date],
    shares: list[tuple[str, Any, float]],
    totals: list[float],
    site_by_key: dict[str, DemoSite],
) -> list[tuple[int, Actor]]:
    """Last two years' supply agreements with the nearest plants: a lot and an offer for the
    period (both expired now) and a contract for exactly the tonnes delivered under it."""
    if not shares:
        return []
    start, end = months[0], month_end(months[-1])
    lot = lots.post_lot(
        uow,
        actors[s.organisation],
        {
            "site_id": site_ids[s.key],
            "material": st.material,
            "tonnes": round(sum(totals), 3),
            "lab_report": f"框架协议 {start:%Y}–{end:%Y}",
            "sampled_on": start.isoformat(),
            "available_from": start.isoformat(),
            "available_until": end.isoformat(),
        },
    )
    out = []
    for (key, o, _share), total in zip(shares, totals, strict=True):
        recycler = actors[site_by_key[key].organisation]
        offer = offers.post_offer(
            uow,
            recycler,
            {
                "site_id": site_ids[key],
                "material": st.material,
                "capacity_t": total,
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "price_cny_t": o.price_cny_t,
            },
        )
        contract = Contract(
            lot_id=lot.id or 0,
            offer_id=offer.id or 0,
            tonnes=total,
            price_cny_t=o.price_cny_t,
            created_by=actors[s.organisation].user_id,
            created_at=datetime(start.year, start.month, 1, tzinfo=UTC),
        )
        uow.session.add(contract)
        uow.flush()
        out.append((contract.id or 0, recycler))
    return out
