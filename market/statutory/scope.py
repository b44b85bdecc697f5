"""The 台账's period and scope: a year or a month, one yard or one producer's yards, and who
may read them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from market import audit
from market.auth import Actor
from market.errors import InvalidInput, NotFound
from market.services.common import MAX_ID, OVERSEERS
from market.tables import (
    Organisation,
    Site,
)

GUIDELINE = "生态环境部公告 2021年第82号《一般工业固体废物管理台账制定指南（试行）》"
CATEGORY = "一般工业固体废物"
FIRST_YEAR, LAST_YEAR = 2000, 2100


def parse_period(year: Any, month: Any = None) -> audit.Period:
    """`year` (2000–2100) and optionally `month` (1–12): a one-line refusal for anything else."""
    text = str(year).strip() if year is not None else ""
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise InvalidInput.about("year", year, "is not a year such as 2025")
    y = int(text)
    if not FIRST_YEAR <= y <= LAST_YEAR:
        raise InvalidInput.about(
            "year",
            year,
            "is outside {FIRST_YEAR}–{LAST_YEAR}",
            FIRST_YEAR=FIRST_YEAR,
            LAST_YEAR=LAST_YEAR,
        )
    if month is None or month == "":
        return audit.Period.year_of(y)
    m_text = str(month).strip()
    if not (m_text.isascii() and m_text.isdigit() and 1 <= int(m_text) <= 12 and len(m_text) <= 2):
        raise InvalidInput.about("month", month, "is not a month 1–12")
    return audit.Period.month_of(y, int(m_text))


@dataclass(frozen=True)
class Scope:
    organisation: Organisation
    yards: tuple[Site, ...]
    site_id: int | None


def scope_of_site(session: Session, actor: Actor, site_id: int) -> Scope:
    site = session.get(Site, site_id) if 0 < site_id <= MAX_ID else None
    if site is None or site.kind != "yard" or not _may_read(actor, site.organisation_id):
        raise NotFound("site_id: {value} does not exist", field="site_id", value=site_id)
    org = session.get(Organisation, site.organisation_id)
    assert org is not None
    return Scope(org, (site,), site.id)


def scope_of_organisation(session: Session, actor: Actor, org_id: int) -> Scope:
    org = session.get(Organisation, org_id) if 0 < org_id <= MAX_ID else None
    if org is None or not _may_read(actor, org_id):
        raise NotFound("organisation: {value} does not exist", field="organisation", value=org_id)
    yards = session.exec(
        select(Site)
        .where(Site.organisation_id == org_id, Site.kind == "yard")
        .order_by(col(Site.id))
    ).all()
    return Scope(org, tuple(yards), None)


def _may_read(actor: Actor, org_id: int) -> bool:
    if actor.role in OVERSEERS:
        return True
    return actor.role == "producer" and actor.organisation_id == org_id
