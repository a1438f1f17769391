"""Every table, imported in one place so SQLModel.metadata is complete for Alembic and tests."""

from sqlmodel import SQLModel

from storage.bot_state import BotStateRow
from storage.circles import CircleRow, CircleSettingRow
from storage.conversations import ConversationReferenceRow, ProcessedActivityRow
from storage.incidents import IncidentRow, TimelineRow
from storage.outbox import OutboxRow
from storage.sent_messages import SentMessageRow
from storage.timers import TimerRow

metadata = SQLModel.metadata

__all__ = [
    "BotStateRow",
    "CircleRow",
    "CircleSettingRow",
    "ConversationReferenceRow",
    "IncidentRow",
    "OutboxRow",
    "ProcessedActivityRow",
    "SentMessageRow",
    "TimelineRow",
    "TimerRow",
    "metadata",
]
