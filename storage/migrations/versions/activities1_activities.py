"""activities

Revision ID: activities1
Revises: schedules1

Activities (#14): the activity table and its daily feedback.
Create Date: 2026-12-01 15:23:58.428650
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "activities1"
down_revision: str | Sequence[str] | None = "schedules1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tasks", sa.JSON(), nullable=False),
        sa.Column("definition_of_done", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("repository", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("project", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("marker", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("extra_labels", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("iid", sa.Integer(), nullable=True),
        sa.Column("web_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("started_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("wip_since", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_feedback_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_feedback", sa.Text(), nullable=True),
        sa.Column("feedback_level", sa.Integer(), nullable=False),
        sa.Column("status_changed_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("risk_notified", sa.Boolean(), nullable=False),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("missing_sections", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("marker"),
        sa.UniqueConstraint("project", "iid", name="uq_activity_issue"),
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index("ix_activity_circle_owner_status", ["circle", "owner", "status"], unique=False)

    op.create_table(
        "activity_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("activity_id", "day", "sequence", name="uq_activity_feedback"),
    )
    with op.batch_alter_table("activity_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_feedback_activity_id"), ["activity_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("activity_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_feedback_activity_id"))

    op.drop_table("activity_feedback")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_circle_owner_status")

    op.drop_table("activity")
