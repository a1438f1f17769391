"""The stand-up's view of activities (issue #14): a member's WIP activity and the circle's overdue ones.

Read on the stand-up's own transaction through the unit of work's activity repository, so a
morning of prompts opens no extra connection per member.
"""

from __future__ import annotations

from datetime import date

from domain.activities.feedback import is_overdue
from domain.circle import Circle, Member
from domain.local_time import format_date
from domain.ports import UnitOfWork
from domain.standups.ports import WipActivity


class ActivityWip:
    """Implements domain.standups.ports.WipActivityLookup on the activities repository."""

    async def wip_of(self, uow: UnitOfWork, circle: Circle, member: Member) -> WipActivity | None:
        activity = await uow.activities.wip_of(circle.name, member.handle)
        if activity is None:
            return None
        return WipActivity(f"{activity.ref} {activity.title}", activity.web_url, activity.last_feedback)

    async def overdue(self, uow: UnitOfWork, circle: Circle, day: date) -> list[str]:
        lines = []
        for activity in await uow.activities.open_in_circle(circle.name):
            if not is_overdue(activity, day):
                continue
            owner = circle.member(activity.owner)
            due = f", due {format_date(activity.deadline, day)}" if activity.deadline else ""
            lines.append(f"{activity.ref} {activity.title} ({owner.display_name if owner else activity.owner}{due})")
        return lines
