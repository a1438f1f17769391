"""What the on-call dialogs share: running a use case in one transaction, which circle, who is meant."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, TypeVar

from botbuilder.core import TurnContext

from adapters.oncall.timers import oncall_context
from adapters.schedule_planner import SchedulePlanner
from bot.mentions import mentioned_accounts
from bot.oncall.notifier import TeamsOnCallNotifier
from dialogs.incidents.desk import channel_of, member_of
from domain.circle import Circle, Member
from domain.clock import Clock
from domain.oncall.moments import OnCallError
from domain.oncall.ports import PluggableReadiness
from domain.oncall.service import OnCallContext
from domain.ports import UnitsOfWork

T = TypeVar("T")
P = ParamSpec("P")

_MENTION = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)


@dataclass
class OnCallDesk:
    """Where the on-call dialogs reach the rota and handover use cases."""

    uow: UnitsOfWork
    clock: Clock
    notifier: TeamsOnCallNotifier
    planner: SchedulePlanner
    readiness: PluggableReadiness = field(default_factory=PluggableReadiness)

    async def run(
        self, use_case: Callable[Concatenate[OnCallContext, P], Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run one on-call use case and commit it with its timers and messages."""
        async with self.uow() as uow:
            ctx = oncall_context(uow, self.clock, self.notifier, self.readiness)
            result = await use_case(ctx, *args, **kwargs)
            await uow.commit()
            return result

    async def change_rota(
        self,
        use_case: Callable[Concatenate[OnCallContext, Circle, P], Awaitable[T]],
        circle: Circle,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run a rota change, then re-plan the circle's schedules at once (not at the next periodic plan)."""
        result = await self.run(use_case, circle, *args, **kwargs)
        await self.planner.plan(circles=[circle.name])
        return result

    async def read(self, query: Callable[[OnCallContext], Awaitable[T]]) -> T:
        """Run a lookup on a read-only unit of work."""
        async with self.uow.reader() as uow:
            return await query(oncall_context(uow, self.clock, self.notifier, self.readiness))

    async def unready(self, circle: Circle) -> dict[str, str] | None:
        """Members not on-call ready, with why (the Team Leader's `/oncall`); None when not tracked."""
        async with self.uow.reader() as uow:
            return await self.readiness.unready(uow, circle)

    async def all_circles(self) -> list[Circle]:
        async with self.uow.reader() as uow:
            return await uow.circles.active()

    async def circles_for(self, turn_context: TurnContext) -> list[Circle]:
        """The circle of this channel; elsewhere, the circles the person belongs to."""
        async with self.uow.reader() as uow:
            channel_id = channel_of(turn_context)
            here = await uow.circles.by_channel(channel_id) if channel_id else None
            if here is not None:
                return [here]
            return [c for c in await uow.circles.active() if member_of(turn_context, c) is not None]

    async def one_circle(self, turn_context: TurnContext) -> Circle:
        """The one circle this command is about, or an OnCallError saying how to pick it."""
        circles = await self.circles_for(turn_context)
        if len(circles) == 1:
            return circles[0]
        if not circles:
            raise OnCallError(
                "I don't know which circle you mean: use this in your circle's channel "
                "(you are not a member of any circle in circles.yaml)"
            )
        names = ", ".join(c.name for c in circles)
        raise OnCallError(f"you are in several circles ({names}): use this in the circle's channel")


def mentions_as_handles(turn_context: TurnContext, circle: Circle, text: str) -> str:
    """Replace each Teams @mention ("<at>Sara Romano</at>") with "@<handle>" so words split cleanly."""
    by_text: dict[str, Member] = {}
    for mentioned in mentioned_accounts(turn_context.activity):
        member = circle.member_by_teams_id(mentioned.id) or (
            circle.member_by_aad_id(mentioned.aad_object_id) if mentioned.aad_object_id else None
        )
        if member is not None and mentioned.tag:
            by_text[mentioned.tag.strip().lower()] = member

    def replace(match: re.Match[str]) -> str:
        member = by_text.get(match.group(0).strip().lower())
        return f"@{member.handle}" if member else "@" + "_".join(match.group(1).split())

    return _MENTION.sub(replace, text)


def find_member(circle: Circle, word: str) -> Member:
    """The member a word names: "@sara", "sara", or a display name without spaces."""
    wanted = word.lstrip("@").strip().lower()
    member = circle.member(wanted)
    if member is None:
        squashed = [m for m in circle.members if "".join(m.display_name.split()).lower() == wanted.replace("_", "")]
        first_names = [m for m in circle.members if m.display_name.split()[0].lower() == wanted]
        candidates = squashed or (first_names if len(first_names) == 1 else [])
        member = candidates[0] if candidates else None
    if member is None:
        handles = ", ".join(m.handle for m in circle.members)
        raise OnCallError(f"`{word}` is not a member of {circle.name}; @mention them or use a handle ({handles})")
    return member


def caller_of(turn_context: TurnContext, circle: Circle) -> Member | None:
    """The circle member typing this, if they are one."""
    return member_of(turn_context, circle)
