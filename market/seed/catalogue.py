"""Mirroring the catalogue's materials into the `material` table."""

from __future__ import annotations

from market.db import Database
from market.tables import Material
from seed_data import load_catalogue


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
