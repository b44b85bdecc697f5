"""trusted figures: reporting months, seals, evidence, attestation, corrections, settlements
(2026-12-06)

One opening survey per yard and material becomes a unique index: a database that already holds
two must have one of them removed by hand before this migration runs.
"""

import sqlalchemy as sa
from alembic import op

from market.migrations.columns import (
    BIG_ID,
    blob,
    day,
    drop_tables,
    fk,
    integer,
    json,
    material,
    number,
    partial_unique_index,
    stamp,
    string,
    table,
    unique,
)

revision = "0004"
down_revision = "0003_accounts"

OPENING = "kind = 'opening'"


def upgrade() -> None:
    table(
        "evaluator_link",
        fk("evaluator_org_id", "organisation"),
        fk("producer_org_id", "organisation"),
        stamp("created_at"),
        key=["evaluator_org_id", "producer_org_id"],
    )
    table(
        "correction_request",
        fk("site_id", "site"),
        string("period", 7),
        material(),
        string("kind", 20),
        number("tonnes"),
        string("reason", 1000),
        json("evidence"),
        string("status", 20),
        fk("requested_by", "users"),
        stamp("requested_at"),
        fk("decided_by", "users", nullable=True),
        stamp("decided_at", nullable=True),
        string("decision_note", 1000),
        indexed=["site_id"],
    )
    table(
        "document",
        string("sha256", 64),
        integer("size"),
        string("media_type", 100),
        string("filename", 200),
        blob("content"),
        fk("organisation_id", "organisation"),
        fk("uploaded_by", "users"),
        stamp("uploaded_at"),
        indexed=["organisation_id", "sha256"],
    )
    table(
        "report",
        fk("site_id", "site"),
        string("period", 7),
        string("status", 20),
        day("due_on"),
        stamp("submitted_at", nullable=True),
        fk("submitted_by", "users", nullable=True),
        stamp("approved_at", nullable=True),
        fk("approved_by", "users", nullable=True),
        string("note", 1000),
        unique("site_id", "period", name="uq_report_site_period"),
        indexed=["site_id"],
    )
    table(
        "report_event",
        fk("report_id", "report"),
        string("action", 20),
        fk("by", "users"),
        stamp("at"),
        string("note", 1000),
        indexed=["report_id"],
    )
    table(
        "seal",
        fk("report_id", "report"),
        fk("site_id", "site"),
        string("period", 7),
        integer("version"),
        string("statement"),
        string("signature", 200),
        string("key_id", 64),
        stamp("created_at"),
        unique("site_id", "period", "version", name="uq_seal_version"),
        indexed=["report_id"],
    )
    table(
        "settlement",
        fk("delivery_id", "delivery"),
        string("side", 20),
        number("settled_tonnes"),
        string("note", 500),
        fk("by", "users"),
        stamp("at"),
        indexed=["delivery_id"],
    )
    table(
        "attestation",
        fk("entry_id", "ledger_entry", type_=BIG_ID),
        string("decision", 20),
        string("note", 1000),
        fk("by", "users"),
        fk("organisation_id", "organisation"),
        stamp("at"),
        unique("entry_id"),
    )
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.add_column(number("settled_tonnes", nullable=True))
        batch_op.add_column(stamp("settled_at", nullable=True))

    with op.batch_alter_table("ledger_entry") as batch_op:
        batch_op.add_column(json("evidence", server_default=sa.text("'[]'")))
        batch_op.add_column(integer("correction_id", nullable=True))
        batch_op.add_column(string("attestation", 20, server_default="not_required"))
        batch_op.create_foreign_key(
            "fk_ledger_entry_correction", "correction_request", ["correction_id"], ["id"]
        )
    partial_unique_index("uq_ledger_opening", "ledger_entry", ["site_id", "material"], OPENING)


def downgrade() -> None:
    with op.batch_alter_table("ledger_entry") as batch_op:
        batch_op.drop_constraint("fk_ledger_entry_correction", type_="foreignkey")
        batch_op.drop_index("uq_ledger_opening")
        batch_op.drop_column("attestation")
        batch_op.drop_column("correction_id")
        batch_op.drop_column("evidence")

    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_column("settled_at")
        batch_op.drop_column("settled_tonnes")

    drop_tables(
        "attestation",
        "settlement",
        "seal",
        "report_event",
        "report",
        "document",
        "correction_request",
        "evaluator_link",
    )
