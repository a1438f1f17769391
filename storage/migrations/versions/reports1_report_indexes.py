"""report indexes: incidents by circle and declaration time, open incidents, timeline entries by kind

Revision ID: reports1
Revises: config1
Create Date: 2026-12-01 15:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "reports1"
down_revision: str | Sequence[str] | None = "config1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index("ix_incident_circle_declared", ["circle", "declared_at"], unique=False)
        batch_op.create_index("ix_incident_open", ["status", "circle", "severity"], unique=False)
    with op.batch_alter_table("incident_timeline", schema=None) as batch_op:
        batch_op.create_index("ix_incident_timeline_kind", ["kind", "incident_number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident_timeline", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_timeline_kind")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_open")
        batch_op.drop_index("ix_incident_circle_declared")
