"""The catalogue of materials, the yards and plants, and the lots a yard offers."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from market.tables.common import utcnow

SITE_KINDS = ("yard", "plant")


class Material(SQLModel, table=True):
    """A mirror of the catalogue in seed_data, kept in step by `wastematch db upgrade`."""

    __tablename__ = "material"
    code: str = Field(primary_key=True, max_length=40)
    name_zh: str = Field(max_length=80)
    name_en: str = Field(max_length=80)
    family: str = Field(max_length=40)
    priority: int = 1


class Site(SQLModel, table=True):
    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_site_org_name"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=10)
    lat: float
    lon: float
    prefecture: str = Field(max_length=40)
    prefecture_code: int
    county: str = Field(max_length=40)
    county_code: int
    created_at: datetime = Field(default_factory=utcnow)


class Lot(SQLModel, table=True):
    __tablename__ = "lot"
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    material: str = Field(foreign_key="material.code", max_length=40, index=True)
    tonnes: float
    quality: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    lab_report: str = Field(default="", max_length=200)
    sampled_on: date | None = None
    available_from: date
    available_until: date | None = None
    asking_price_cny_t: float = 0.0
    max_haul_km: float | None = None
    withdrawn_at: datetime | None = None
    version: int = 1
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class LotRevision(SQLModel, table=True):
    """The lot as it was before each edit or withdrawal: a lot's history is never lost."""

    __tablename__ = "lot_revision"
    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    version: int
    snapshot: dict[str, Any] = Field(sa_type=JSON)
    changed_by: int = Field(foreign_key="users.id")
    changed_at: datetime = Field(default_factory=utcnow)
    change: str = Field(max_length=20)


class LotLabReport(SQLModel, table=True):
    """The laboratory's report behind a lot's assay, shown to the recyclers who consider it."""

    __tablename__ = "lot_lab_report"
    lot_id: int = Field(foreign_key="lot.id", primary_key=True)
    document_id: int = Field(foreign_key="document.id")
    sha256: str = Field(max_length=64)
    attached_by: int = Field(foreign_key="users.id")
    attached_at: datetime = Field(default_factory=utcnow)
