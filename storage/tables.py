"""Every table, imported in one place so SQLModel.metadata is complete for Alembic and tests."""

from sqlmodel import SQLModel

from storage.outbox import OutboxRow
from storage.timers import TimerRow

metadata = SQLModel.metadata

__all__ = ["OutboxRow", "TimerRow", "metadata"]
