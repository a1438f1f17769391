"""one conversation reference per channel

Revision ID: channels1
Revises: standups1

Posts in a channel used to store a conversation reference each ("<channel id>;messageid=<post>"),
one row for every post the bot heard, never read again while the channel's own row existed, and
all sorted by every lookup of the channel's address. A channel is now stored once, under its own
id (bot/conversation_references.py). This gives each channel that has only thread rows a row of its
own, from its newest thread (without the poster, the locale and the message id, as the bot stores
it now), and deletes the thread rows.
Create Date: 2026-12-02 02:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "channels1"
down_revision: str | Sequence[str] | None = "standups1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OF_THE_POSTER = ("activityId", "user", "locale")

conversation_reference = sa.table(
    "conversation_reference",
    sa.column("conversation_id", sa.String),
    sa.column("conversation_type", sa.String),
    sa.column("channel_id", sa.String),
    sa.column("team_id", sa.String),
    sa.column("tenant_id", sa.String),
    sa.column("service_url", sa.String),
    sa.column("user_teams_id", sa.String),
    sa.column("user_aad_id", sa.String),
    sa.column("reference", sa.JSON),
    sa.column("created_at", storage.types.UtcDateTime(timezone=True)),
    sa.column("updated_at", storage.types.UtcDateTime(timezone=True)),
)


def upgrade() -> None:
    bind = op.get_bind()
    table = conversation_reference
    is_thread = sa.and_(table.c.conversation_type == "channel", table.c.conversation_id.like("%;messageid=%"))
    has_own_row = sa.select(table.c.conversation_id).where(table.c.conversation_type == "channel", ~is_thread)
    orphans = bind.execute(
        sa.select(table.c.channel_id)
        .where(is_thread, table.c.channel_id.is_not(None), table.c.channel_id.not_in(has_own_row))
        .distinct()
    ).scalars()
    for channel_id in list(orphans):
        newest = bind.execute(
            sa.select(table)
            .where(is_thread, table.c.channel_id == channel_id)
            .order_by(table.c.updated_at.desc())
            .limit(1)
        ).one()
        bind.execute(sa.insert(table).values(_channel_row(newest._mapping, channel_id)))
    bind.execute(sa.delete(table).where(is_thread))


def _channel_row(thread: Any, channel_id: str) -> dict[str, Any]:
    reference = {key: value for key, value in dict(thread["reference"] or {}).items() if key not in _OF_THE_POSTER}
    reference["conversation"] = {**dict(reference.get("conversation") or {}), "id": channel_id}
    return {
        "conversation_id": channel_id,
        "conversation_type": "channel",
        "channel_id": channel_id,
        "team_id": thread["team_id"],
        "tenant_id": thread["tenant_id"],
        "service_url": thread["service_url"],
        "user_teams_id": None,
        "user_aad_id": None,
        "reference": reference,
        "created_at": thread["created_at"],
        "updated_at": thread["updated_at"],
    }


def downgrade() -> None:
    pass  # the thread rows were never needed: the code before this reads the channel's row first
