"""The statutory 台账: a yard's (or a producer's) 一般工业固体废物管理台账 for a year or a month,
in the tables of the Ministry of Ecology and Environment's guideline (生态环境部公告 2021年第82号
《一般工业固体废物管理台账制定指南（试行）》; see seed_data/README.md for the source and for how
each column is filled).

Every figure is the audit's: the flows are `market.audit.figures` of the same sums the audit
takes (kinds labelled by `audit_trust.kind_label`, so an unattested claim is not counted as
own use), for the same yard and period. The record tables list the entries and deliveries
behind those figures.

By job: `scope` (the period and who may read which yard or producer), `book` (the 台账's
tables, built from the audit's sums), `sheets` (the Excel workbook of those tables).
"""

from __future__ import annotations

from market.statutory.book import build, flow_row
from market.statutory.scope import (
    CATEGORY,
    FIRST_YEAR,
    GUIDELINE,
    LAST_YEAR,
    Scope,
    parse_period,
    scope_of_organisation,
    scope_of_site,
)
from market.statutory.sheets import SHEETS, cell, filename, workbook

__all__ = [
    "CATEGORY",
    "FIRST_YEAR",
    "LAST_YEAR",
    "GUIDELINE",
    "SHEETS",
    "Scope",
    "build",
    "cell",
    "filename",
    "flow_row",
    "parse_period",
    "scope_of_organisation",
    "scope_of_site",
    "workbook",
]
