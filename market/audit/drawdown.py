"""How fast yards draw their stock down, and the monthly series behind it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import extract
from sqlmodel import Session, col, func

from market.audit import trust
from market.audit.rules import (
    PHOSPHOGYPSUM,
    Key,
    Rules,
    Sums,
    kind_label,
    round_t,
    rules,
    stock_change,
    total,
)
from market.audit.scope import Scope, check_scope, require_overseer
from market.auth import Actor
from market.errors import InvalidInput
from market.tables import (
    LedgerEntry,
    Site,
)
from market.wide import wide
from seed_data import Policy, load_policy

# ----------------------------------------------------------------------------- drawdown


def drawdown(
    session: Session, actor: Actor, scope: Scope, *, until: date | None = None
) -> dict[str, Any]:
    """Monthly generation, consumption and ledger stock of one material, with the line the
    policy asks consumption to reach (the trajectory for phosphogypsum, the target otherwise).

    Flows count approved months only: a month no yard in scope has had approved is a gap, never
    a zero (an unreported month is not a month in which nothing happened)."""
    require_overseer(actor)
    if scope.material is None:
        raise InvalidInput("material: is required for the drawdown series", field="material")
    check_scope(session, scope)
    policy = load_policy()
    r = rules()
    day = col(LedgerEntry.occurred_on)
    y, m = extract("year", day), extract("month", day)
    where = [*scope.conditions()]
    if until is not None:
        where.append(day <= until)
    names_delivery = col(LedgerEntry.delivery_id).is_not(None)
    label = kind_label()
    rows = session.exec(
        wide(col(LedgerEntry.site_id), y, m, label, names_delivery, func.sum(LedgerEntry.tonnes))
        .join(Site, col(Site.id) == LedgerEntry.site_id)
        .where(*where)
        .group_by(col(LedgerEntry.site_id), y, m, label, names_delivery)
    ).all()
    approved = trust.approved_pairs(session, {row[0] for row in rows})
    by_month: dict[tuple[int, int], dict[Key, float]] = {}
    all_month: dict[tuple[int, int], dict[Key, float]] = {}
    reported: set[tuple[int, int]] = set()
    for site_id, year, month, kind, receipt, tonnes in rows:
        ym = (int(year), int(month))
        key = (kind, bool(receipt))
        whole = all_month.setdefault(ym, {})
        whole[key] = whole.get(key, 0.0) + float(tonnes or 0)
        if (site_id, f"{ym[0]:04d}-{ym[1]:02d}") in approved:
            reported.add(ym)
            sums = by_month.setdefault(ym, {})
            sums[key] = sums.get(key, 0.0) + float(tonnes or 0)
    return {
        "material": scope.material,
        "scope": scope.public(),
        **monthly_series(
            all_month, r, policy, scope.material, approved=by_month, reported=reported
        ),
    }


def monthly_series(
    by_month: Mapping[tuple[int, int], Sums],
    r: Rules,
    policy: Policy,
    material: str,
    *,
    approved: Mapping[tuple[int, int], Sums] | None = None,
    reported: set[tuple[int, int]] | None = None,
) -> dict[str, Any]:
    """Pure: month sums → the drawdown series, every month from the first to the last.

    With `reported`, flows come from `approved` and months outside `reported` are None (gaps);
    the ledger's stock runs over every entry up to the last reported month."""
    months: list[tuple[int, int]] = []
    if by_month:
        (y, m), last = min(by_month), max(by_month)
        while (y, m) <= last:
            months.append((y, m))
            y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    last_reported = max(reported) if reported else None
    stock = 0.0
    out: dict[str, list[Any]] = {
        "months": [],
        "generated_t": [],
        "utilised_t": [],
        "consumed_t": [],
        "closing_stock_t": [],
        "required_t": [],
        "required_rate": [],
    }
    pg = material == PHOSPHOGYPSUM
    for y, m in months:
        stock += stock_change(by_month.get((y, m), {}))
        rate = policy.min_consumption_ratio(y) if pg else policy.utilisation_target
        out["months"].append(f"{y}-{m:02d}")
        out["required_rate"].append(rate)
        if reported is not None and (y, m) not in reported:
            for k in ("generated_t", "utilised_t", "consumed_t", "required_t"):
                out[k].append(None)
            gap = last_reported is None or (y, m) > last_reported
            out["closing_stock_t"].append(None if gap else round_t(stock))
            continue
        sums = (
            (approved or {}).get((y, m), {}) if reported is not None else by_month.get((y, m), {})
        )
        g = total(sums, r.generation)
        out["generated_t"].append(round_t(g))
        out["utilised_t"].append(round_t(total(sums, r.utilisation)))
        out["consumed_t"].append(round_t(total(sums, r.consumption)))
        out["closing_stock_t"].append(round_t(stock))
        out["required_t"].append(None if rate is None else round_t(rate * g))
    return out | {"required_is": "consumption" if pg else "utilisation"}
