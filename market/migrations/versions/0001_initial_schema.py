"""initial schema (2026-11-23)"""

from alembic import op

from market.migrations.columns import (
    big_integer,
    day,
    drop_tables,
    fk,
    flag,
    integer,
    json,
    material,
    number,
    stamp,
    string,
    table,
    unique,
)

revision = "0001"
down_revision = None


def upgrade() -> None:
    table("login_failure", string("username", 80), stamp("failed_at"), indexed=["username"])
    table(
        "material",
        string("code", 40),
        string("name_zh", 80),
        string("name_en", 80),
        string("family", 40),
        integer("priority"),
        key=["code"],
    )
    table(
        "organisation",
        string("name", 200),
        string("kind", 20),
        number("pg_ratio", nullable=True),
        stamp("created_at"),
        unique("name"),
    )
    table(
        "site",
        fk("organisation_id", "organisation"),
        string("name", 200),
        string("kind", 10),
        number("lat"),
        number("lon"),
        string("prefecture", 40),
        integer("prefecture_code"),
        string("county", 40),
        integer("county_code"),
        stamp("created_at"),
        unique("organisation_id", "name", name="uq_site_org_name"),
        indexed=["organisation_id"],
    )
    table(
        "users",
        string("username", 80),
        string("password_hash", 200),
        string("role", 20),
        fk("organisation_id", "organisation"),
        flag("is_active"),
        stamp("created_at"),
        unique("username"),
        indexed=["organisation_id"],
    )
    table(
        "api_token",
        fk("user_id", "users"),
        string("name", 100),
        string("token_hash", 64),
        stamp("created_at"),
        stamp("last_used_at", nullable=True),
        stamp("revoked_at", nullable=True),
        unique("token_hash"),
        indexed=["user_id"],
    )
    table(
        "app_setting",
        string("key", 60),
        json("value"),
        fk("updated_by", "users", nullable=True),
        stamp("updated_at"),
        key=["key"],
    )
    table(
        "ledger_head",
        fk("site_id", "site"),
        integer("seq"),
        string("hash", 64),
        key=["site_id"],
    )
    table(
        "lot",
        fk("site_id", "site"),
        material(),
        number("tonnes"),
        json("quality"),
        string("lab_report", 200),
        day("sampled_on", nullable=True),
        day("available_from"),
        day("available_until", nullable=True),
        number("asking_price_cny_t"),
        number("max_haul_km", nullable=True),
        stamp("withdrawn_at", nullable=True),
        integer("version"),
        fk("created_by", "users"),
        stamp("created_at"),
        stamp("updated_at"),
        indexed=["material", "site_id"],
    )
    table(
        "match_run",
        fk("started_by", "users", nullable=True),
        string("trigger", 20),
        stamp("started_at"),
        stamp("finished_at", nullable=True),
        string("status", 20),
        json("params"),
        json("problem"),
        json("totals"),
        json("stats"),
        json("unmatched"),
    )
    table(
        "offer",
        fk("site_id", "site"),
        material(),
        string("use_code", 40, nullable=True),
        number("capacity_t"),
        day("period_start"),
        day("period_end"),
        json("spec"),
        number("price_cny_t"),
        number("max_haul_km", nullable=True),
        stamp("withdrawn_at", nullable=True),
        fk("created_by", "users"),
        stamp("created_at"),
        indexed=["material", "site_id"],
    )
    table(
        "lot_revision",
        fk("lot_id", "lot"),
        integer("version"),
        json("snapshot"),
        fk("changed_by", "users"),
        stamp("changed_at"),
        string("change", 20),
        indexed=["lot_id"],
    )
    table(
        "proposal",
        fk("run_id", "match_run"),
        fk("lot_id", "lot"),
        fk("offer_id", "offer"),
        number("tonnes"),
        number("road_km"),
        number("haul_cost"),
        number("co2_kg"),
        json("margins"),
        indexed=["lot_id", "offer_id", "run_id"],
    )
    table(
        "bid",
        fk("proposal_id", "proposal"),
        fk("organisation_id", "organisation"),
        fk("user_id", "users"),
        number("price_cny_t"),
        number("tonnes"),
        string("status", 20),
        stamp("created_at"),
        stamp("decided_at", nullable=True),
        indexed=["organisation_id", "proposal_id"],
    )
    table(
        "contract",
        fk("bid_id", "bid", nullable=True),
        fk("lot_id", "lot"),
        fk("offer_id", "offer"),
        number("tonnes"),
        number("price_cny_t"),
        string("status", 20),
        fk("created_by", "users"),
        stamp("created_at"),
        stamp("closed_at", nullable=True),
        unique("bid_id"),
        indexed=["lot_id", "offer_id"],
    )
    table(
        "delivery",
        fk("contract_id", "contract"),
        fk("producer_org_id", "organisation"),
        string("manifest_no", 60),
        number("tonnes"),
        string("truck_plate", 20),
        stamp("dispatched_at"),
        fk("dispatched_by", "users"),
        string("idempotency_key", 100, nullable=True),
        number("received_tonnes", nullable=True),
        stamp("received_at", nullable=True),
        fk("received_by", "users", nullable=True),
        string("status", 20),
        string("note", 500),
        unique("producer_org_id", "idempotency_key", name="uq_delivery_idem"),
        unique("producer_org_id", "manifest_no", name="uq_delivery_manifest"),
        indexed=["contract_id"],
    )
    table(
        "ledger_entry",
        big_integer("id"),
        fk("site_id", "site"),
        integer("seq"),
        string("kind", 20),
        material(),
        number("tonnes"),
        day("occurred_on"),
        string("document", 200),
        fk("delivery_id", "delivery", nullable=True),
        fk("recorded_by", "users"),
        stamp("recorded_at"),
        string("prev_hash", 64),
        string("hash", 64),
        unique("delivery_id", "kind", name="uq_ledger_delivery_kind"),
        unique("site_id", "seq", name="uq_ledger_site_seq"),
    )
    op.create_index(
        "ix_ledger_site_material_day", "ledger_entry", ["site_id", "material", "occurred_on"]
    )


def downgrade() -> None:
    drop_tables(
        "ledger_entry",
        "delivery",
        "contract",
        "bid",
        "proposal",
        "lot_revision",
        "offer",
        "match_run",
        "lot",
        "ledger_head",
        "app_setting",
        "api_token",
        "users",
        "site",
        "organisation",
        "material",
        "login_failure",
    )
