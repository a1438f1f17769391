"""The stand-up as recurring work: prompts, reminders, the summary post and the window close.

Every run is keyed by what it announces (circle, stand-up day, the instant its members are asked
in their zones), so planning the same range twice arms nothing new and a restart at 09:29 or
09:31 neither loses nor doubles a prompt.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from domain.circle import Circle, Member
from domain.recurring import Occurrence
from domain.standups.calendar import (
    is_standup_day,
    local_day,
    member_window_closes,
    participants,
    prompt_at,
    summary_at,
    window_closes,
    zone_of,
)

PROMPT = "standup.prompt"
REMIND = "standup.remind"
OPEN = "standup.open"
CLOSE = "standup.close"
REFRESH = "standup.refresh"  # not recurring: armed when an answer arrives, see service.refresh_soon


class StandupSchedule:
    """Implements domain.recurring.RecurringSchedule for every circle with a `standup:` block."""

    name = "standup"

    def occurrences(self, circle: Circle, start: datetime, end: datetime) -> Iterator[Occurrence]:
        policy = circle.standup
        if policy is None or not policy.enabled:
            return
        # Zones differ by at most 26 hours: look a day either side, keep what falls in [start, end).
        first = local_day(start, zone_of(circle)) - timedelta(days=1)
        last = local_day(end, zone_of(circle)) + timedelta(days=1)
        day = first
        while day <= last:
            if is_standup_day(policy, day):
                for occurrence in self.of_day(circle, day):
                    if start <= occurrence.due_at < end:
                        yield occurrence
            day += timedelta(days=1)

    def of_day(self, circle: Circle, day: date) -> Iterator[Occurrence]:
        """Every run of `day`'s stand-up, whatever the time."""
        policy = circle.standup
        assert policy is not None
        closes = window_closes(circle, day)
        when = day.isoformat()
        # Members asked at the same instant (same zone, not on holiday) are one run: one
        # transaction prompts them all, which keeps a whole company's 09:30 within Teams' pace.
        by_instant: dict[datetime, list[Member]] = {}
        for member in participants(circle):
            if day not in member.holidays:
                by_instant.setdefault(prompt_at(circle, member, day), []).append(member)
        for asked, members in sorted(by_instant.items()):
            member_closes = member_window_closes(circle, members[0], day)
            payload = {"circle": circle.name, "day": when, "members": [m.handle for m in members]}
            names = ", ".join(m.display_name for m in members)
            instant = asked.strftime("%H%MZ")
            yield Occurrence(
                PROMPT,
                f"standup:prompt:{circle.name}:{when}:{instant}",
                asked,
                payload,
                catch_up_until=member_closes,
                description=f"the {when} stand-up prompt of {names} ({circle.name})",
            )
            if policy.remind_after is not None and policy.remind_after < policy.window:
                yield Occurrence(
                    REMIND,
                    f"standup:remind:{circle.name}:{when}:{instant}",
                    asked + policy.remind_after,
                    payload,
                    catch_up_until=member_closes,
                    description=f"the {when} stand-up reminder of {names} ({circle.name})",
                )
        # After the prompts due at the same moment (timers of one instant fire in planning order),
        # so the card shows at once who was asked, who is on an incident, who cannot be reached.
        yield Occurrence(
            OPEN,
            f"standup:open:{circle.name}:{when}",
            summary_at(circle, day),
            {"circle": circle.name, "day": when},
            catch_up_until=closes,
            description=f"the {when} stand-up summary of {circle.name}",
        )
        yield Occurrence(
            CLOSE,
            f"standup:close:{circle.name}:{when}",
            closes,
            {"circle": circle.name, "day": when},
            # Closing late is still closing: the card must become final and blockers escalate.
            catch_up_until=closes + timedelta(days=7),
            description=f"the close of the {when} stand-up of {circle.name}",
        )
