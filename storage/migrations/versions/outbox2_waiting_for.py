"""what a deferred outbox row waits for

Revision ID: outbox2
Revises: channels1

A message for a channel circlebot is not installed in yet waits in the outbox until someone posts in
that channel. The rows were found again by their last error's text, so rewording that message would
have left them waiting for the next hourly look. They now carry what they wait for in a column of
their own, `waiting_for` ("install:<channel id>"). The rows waiting when this runs get theirs from
that text, the last time it is read.
Create Date: 2026-12-02 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "outbox2"
down_revision: str | Sequence[str] | None = "channels1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# bot/teams_delivery.py's awaiting_install() up to this revision, around the channel id.
_BEFORE = "circlebot is not installed in the team of channel "
_AFTER = " yet: the message is posted once it is"

outbox = sa.table(
    "outbox",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("last_error", sa.Text),
    sa.column("waiting_for", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("waiting_for", sa.String(length=600), nullable=True))
        batch.create_index("ix_outbox_waiting_for", ["waiting_for"], unique=False)
    bind = op.get_bind()
    waiting = bind.execute(
        sa.select(outbox.c.id, outbox.c.last_error).where(
            outbox.c.status == "pending", outbox.c.last_error.like(f"{_BEFORE}%{_AFTER}")
        )
    ).all()
    for row_id, last_error in waiting:
        channel_id = last_error[len(_BEFORE) : -len(_AFTER)]
        bind.execute(sa.update(outbox).where(outbox.c.id == row_id).values(waiting_for=f"install:{channel_id}"))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_waiting_for")
        batch.drop_column("waiting_for")
