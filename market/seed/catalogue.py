"""Mirroring the catalogue's materials into the `material` table."""

from __future__ import annotations

from typing import TypedDict

from market.db import Database
from market.tables import Material
from seed_data import load_catalogue


class _MaterialFields(TypedDict):
    """What the `material` table mirrors of a catalogue entry, besides its code."""

    name_zh: str
    name_en: str
    family: str
    priority: int


def sync_catalogue(db: Database) -> int:
    """Mirror the catalogue's materials into the `material` table; returns rows changed."""
    changed = 0
    with db.unit_of_work() as uow:
        for m in load_catalogue().materials.values():
            row = uow.session.get(Material, m.code)
            values: _MaterialFields = {
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
