"""Every table, imported in one place so SQLModel.metadata is complete for Alembic and tests."""

from sqlmodel import SQLModel

from storage.activities.tables import ActivityFeedbackRow, ActivityRow
from storage.alerts.repository import AlertGroupRow
from storage.bot_state import BotStateRow
from storage.circles import CircleRow, CircleSettingRow
from storage.conversations import ConversationReferenceRow, ProcessedActivityRow
from storage.incidents.repository import IncidentLinksRow, IncidentRow, TimelineRow
from storage.oncall.handovers import HandoverRow
from storage.outbox import OutboxRow
from storage.postmortems.repository import PostmortemActionRow, PostmortemRow
from storage.rota_overrides import RotaOverrideRow
from storage.runbooks.tables import DrillRow, RunbookCopyRow
from storage.schedules import ScheduleWatermarkRow
from storage.sent_messages import SentMessageRow
from storage.standups.tables import StandupAwayRow, StandupBlockerRow, StandupDayRow, StandupEntryRow
from storage.timers import TimerRow

metadata = SQLModel.metadata

__all__ = [
    "ActivityFeedbackRow",
    "ActivityRow",
    "AlertGroupRow",
    "BotStateRow",
    "CircleRow",
    "CircleSettingRow",
    "ConversationReferenceRow",
    "DrillRow",
    "HandoverRow",
    "IncidentLinksRow",
    "IncidentRow",
    "OutboxRow",
    "PostmortemActionRow",
    "PostmortemRow",
    "ProcessedActivityRow",
    "RotaOverrideRow",
    "RunbookCopyRow",
    "ScheduleWatermarkRow",
    "SentMessageRow",
    "StandupAwayRow",
    "StandupBlockerRow",
    "StandupDayRow",
    "StandupEntryRow",
    "TimelineRow",
    "TimerRow",
    "metadata",
]
