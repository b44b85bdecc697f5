"""The 台账's tables for a scope and period: the flows (the audit's figures), the entries and
deliveries behind them, and the description of each waste."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import case
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from market import audit, clock
from market import catalogue as catalogue_mod
from market.audit_trust import base_kind, kind_label
from market.papers.facts import UNVERIFIED_CODE
from market.statutory.scope import (
    CATEGORY,
    GUIDELINE,
    Scope,
)
from market.tables import (
    Contract,
    Delivery,
    DeliveryPapers,
    LedgerEntry,
    Lot,
    Offer,
    Organisation,
    Site,
    User,
)
from market.wide import wide


def _sums(
    session: Session, site_ids: Sequence[int], period: audit.Period
) -> dict[tuple[int, str], tuple[dict[audit.Key, float], dict[audit.Key, float]]]:
    """(yard, material) → the audit's sums before the period and within it."""
    if not site_ids:
        return {}
    day = col(LedgerEntry.occurred_on)
    tonnes = col(LedgerEntry.tonnes)
    label = kind_label()
    names_delivery = col(LedgerEntry.delivery_id).is_not(None)
    q = (
        wide(
            col(LedgerEntry.site_id),
            col(LedgerEntry.material),
            label,
            names_delivery,
            func.sum(case((day < period.start, tonnes), else_=0.0)),
            func.sum(case((day >= period.start, tonnes), else_=0.0)),
        )
        .where(day <= period.end, col(LedgerEntry.site_id).in_(site_ids))
        .group_by(col(LedgerEntry.site_id), col(LedgerEntry.material), label, names_delivery)
    )
    out: dict[tuple[int, str], tuple[dict[audit.Key, float], dict[audit.Key, float]]] = {}
    for site_id, material, kind, receipt, before, within in session.exec(q).all():
        b, w = out.setdefault((site_id, material), ({}, {}))
        key = (kind, bool(receipt))
        b[key] = float(before or 0.0)
        w[key] = float(within or 0.0)
    return out


def _t(value: float) -> float:
    return round(value + 0.0, 3)


def flow_row(within: Mapping[audit.Key, float], f: audit.Figures) -> dict[str, float]:
    """The flow summary's figures, each the audit's or a split of one of them."""
    own_use = sum(t for (k, receipt), t in within.items() if k == "utilisation" and not receipt)
    received = sum(t for (k, receipt), t in within.items() if k == "utilisation" and receipt)
    pending = sum(
        t
        for (k, _r), t in within.items()
        if ":" in k and base_kind(k) in ("utilisation", "treatment")
    )
    return {
        "opening_stock_t": f.opening_stock_t,
        "generated_t": f.generated_t,
        "own_use_t": _t(own_use),
        "treated_t": f.treated_t,
        "disposed_t": f.disposed_t,
        "own_disposal_t": _t(f.treated_t + f.disposed_t),
        "dispatched_t": f.dispatched_t,
        "received_t": _t(received),
        "utilised_t": f.utilised_t,
        "pending_claims_t": _t(pending),
        "corrected_t": f.corrected_t,
        "closing_stock_t": f.ledger_closing_stock_t,
    }


def _code(material: str) -> str:
    return catalogue_mod.waste_code(material) or UNVERIFIED_CODE


def _name(material: str) -> str:
    m = catalogue_mod.catalogue().materials.get(material)
    return m.name_zh if m else material


def build(session: Session, scope: Scope, period: audit.Period) -> dict[str, Any]:
    """The guideline's tables for the scope and period, as rows of plain values."""
    site_ids = [s.id for s in scope.yards if s.id is not None]
    yards = {s.id: s for s in scope.yards}
    r = audit.rules()
    sums = _sums(session, site_ids, period)
    flows: list[dict[str, Any]] = []  # rows of plain values, for the page and the workbook
    for (site_id, material), (before, within) in sorted(
        sums.items(), key=lambda kv: (kv[0][0], kv[0][1])
    ):
        f = audit.figures(before, within, r)
        row = flow_row(within, f)
        if not any(abs(v) > 1e-9 for v in row.values()):
            continue
        flows.append(
            {
                "site_id": site_id,
                "yard": yards[site_id].name,
                "material": material,
                "name": _name(material),
                "code": _code(material),
                "category": CATEGORY,
            }
            | row
        )

    day = col(LedgerEntry.occurred_on)
    entries = session.exec(
        select(LedgerEntry, User.username)
        .join(User, col(User.id) == LedgerEntry.recorded_by)
        .where(
            col(LedgerEntry.site_id).in_(site_ids or [0]),
            day >= period.start,
            day <= period.end,
        )
        .order_by(day, col(LedgerEntry.site_id), col(LedgerEntry.seq))
    ).all()

    def entry_row(e: LedgerEntry, who: str) -> dict[str, Any]:
        return {
            "date": e.occurred_on.isoformat(),
            "yard": yards[e.site_id].name,
            "material": e.material,
            "name": _name(e.material),
            "code": _code(e.material),
            "tonnes": _t(e.tonnes),
            "kind": e.kind,
            "document": e.document,
            "attestation": e.attestation,
            "recorded_by": who,
            "seq": e.seq,
            "entry_id": e.id,
        }

    generation = [entry_row(e, u) for e, u in entries if e.kind == "generation"]
    own_use = [
        entry_row(e, u) for e, u in entries if e.kind == "utilisation" and e.delivery_id is None
    ]
    own_disposal = [entry_row(e, u) for e, u in entries if e.kind in ("treatment", "disposal")]

    # storage: every entry that moves the yard's stock, in and out, with the running balance
    storage: list[dict[str, Any]] = []
    running: dict[tuple[int, str], float] = {
        key: audit.figures(b, {}, r).ledger_closing_stock_t for key, (b, _w) in sums.items()
    }
    for e, u in entries:
        effect = (
            0.0
            if (e.kind == "utilisation" and e.delivery_id is not None)
            else (audit.stock_change({(e.kind, e.delivery_id is not None): e.tonnes}))
        )
        if e.kind == "opening":
            effect = e.tonnes
        if abs(effect) < 1e-12 or e.kind == "p2o5_output":
            continue
        key = (e.site_id, e.material)
        running[key] = running.get(key, 0.0) + effect
        moved = entry_row(e, u)
        moved |= {
            "in_t": _t(effect) if effect > 0 else None,
            "out_t": _t(-effect) if effect < 0 else None,
            "balance_t": _t(running[key]),
            "direction": _DIRECTION.get(e.kind, e.kind),
        }
        storage.append(moved)

    Plant = aliased(Site)
    Recycler = aliased(Organisation)
    deliveries = session.exec(
        wide(Delivery, Lot, Plant, Recycler, Offer, DeliveryPapers)
        .join(Contract, col(Contract.id) == Delivery.contract_id)
        .join(Lot, col(Lot.id) == Contract.lot_id)
        .join(Offer, col(Offer.id) == Contract.offer_id)
        .join(Plant, col(Plant.id) == Offer.site_id)
        .join(Recycler, col(Recycler.id) == Plant.organisation_id)
        .outerjoin(DeliveryPapers, col(DeliveryPapers.delivery_id) == Delivery.id)
        .where(col(Lot.site_id).in_(site_ids or [0]))
        .order_by(col(Delivery.dispatched_at), col(Delivery.id))
    ).all()
    contracted: list[dict[str, Any]] = []
    cat = catalogue_mod.catalogue()
    for d, lot, plant, recycler, offer, papers in deliveries:
        out_day = clock.china_day(d.dispatched_at)
        if not period.start <= out_day <= period.end:
            continue
        mat = cat.materials.get(lot.material)
        use = next((u.name_zh for u in mat.uses if u.code == offer.use_code), "") if mat else ""
        received = d.settled_tonnes if d.settled_tonnes is not None else d.received_tonnes
        contracted.append(
            {
                "date": out_day.isoformat(),
                "yard": yards[lot.site_id].name,
                "manifest_no": d.manifest_no,
                "material": lot.material,
                "name": _name(lot.material),
                "code": _code(lot.material),
                "tonnes": _t(d.tonnes),
                "way": "委托利用",
                "use": use or "综合利用",
                "recycler": recycler.name,
                "plant": plant.name,
                "place": f"{plant.prefecture}{plant.county}",
                "contract_id": d.contract_id,
                "truck_plate": d.truck_plate,
                "driver": papers.driver if papers else "",
                "received_t": _t(received) if received is not None else None,
                "received_on": clock.china_day(d.received_at).isoformat() if d.received_at else "",
                "status": d.status,
                "ticket": "有" if papers is not None and papers.ticket_document_id else "",
            }
        )

    basic = []
    for material in sorted({f["material"] for f in flows} | {c["material"] for c in contracted}):
        m = cat.materials.get(material)
        basic.append(
            {
                "name": _name(material),
                "code": _code(material),
                "category": CATEGORY,
                "source": "、".join(
                    sorted({f["yard"] for f in flows if f["material"] == material})
                ),
                "form": _FORM.get(m.family, "固态") if m else "固态",
                "components": _components(material),
                "hazard": "否（非危险废物）",
                "storage": "、".join(
                    sorted({f["yard"] for f in flows if f["material"] == material})
                ),
                "ways": "贮存；"
                + "；".join(
                    sorted(
                        {"委托利用" for c in contracted if c["material"] == material}
                        | {"自行利用" for o in own_use if o["material"] == material}
                        | {"自行处置" for o in own_disposal if o["material"] == material}
                    )
                ),
            }
        )
    totals = {
        k: _t(sum(f[k] for f in flows))
        for k in (
            "opening_stock_t",
            "generated_t",
            "own_use_t",
            "own_disposal_t",
            "dispatched_t",
            "received_t",
            "pending_claims_t",
            "corrected_t",
            "closing_stock_t",
        )
    }
    return {
        "organisation": scope.organisation.name,
        "organisation_id": scope.organisation.id,
        "site_id": scope.site_id,
        "yards": [y.name for y in scope.yards],
        "period": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "guideline": GUIDELINE,
        "basic": basic,
        "flows": flows,
        "totals": totals,
        "generation": generation,
        "storage": storage,
        "own_use": own_use,
        "own_disposal": own_disposal,
        "contracted": contracted,
        "made_at": clock.now().strftime("%Y-%m-%d %H:%M"),
    }


_DIRECTION = {
    "opening": "期初盘点入库",
    "generation": "产生入库",
    "dispatch": "出库（委托利用/处置）",
    "utilisation": "出库（自行利用）",
    "treatment": "出库（自行处置：无害化处理）",
    "disposal": "出库（自行处置：填埋）",
    "correction": "更正",
}
_FORM = {"tailings": "半固态（浆状/泥状）", "red_mud": "半固态（泥状）"}


def _components(material: str) -> str:
    cat = catalogue_mod.catalogue()
    m = cat.materials.get(material)
    if m is None:
        return ""
    return "、".join(cat.parameters[p].name_zh for p in m.parameters[:4] if p in cat.parameters)
