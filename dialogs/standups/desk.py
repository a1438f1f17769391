"""What the stand-up dialogs and timers share: the use cases' collaborators on one unit of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, TypeVar

from botbuilder.core import TurnContext

from adapters.standups.timers import standup_context
from dialogs.turns import channel_of, member_of
from domain.circle import Circle, Member
from domain.clock import Clock
from domain.ports import UnitOfWork, UnitsOfWork
from domain.standups.model import StandupError
from domain.standups.ports import NoWipActivities, StandupNotifier, WipActivityLookup
from domain.standups.service import StandupContext

T = TypeVar("T")
P = ParamSpec("P")
UseCase = Callable[Concatenate[StandupContext, P], Awaitable[T]]


@dataclass
class StandupDesk:
    """Where the stand-up dialogs reach the stand-up use cases: one unit of work per call."""

    uow: UnitsOfWork
    clock: Clock
    notifier: StandupNotifier
    # The activities feature (issue #14) plugs its lookup in here; without it nobody has a WIP activity.
    wip: WipActivityLookup = field(default_factory=NoWipActivities)

    def context(self, uow: UnitOfWork) -> StandupContext:
        return standup_context(uow, self.clock, self.notifier, self.wip)

    async def run(self, use_case: UseCase[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run one use case and commit it with its timers and messages."""
        async with self.uow() as uow:
            result = await use_case(self.context(uow), *args, **kwargs)
            await uow.commit()
            return result

    async def read(self, use_case: UseCase[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a lookup on a read-only unit of work."""
        async with self.uow.reader() as uow:
            return await use_case(self.context(uow), *args, **kwargs)

    async def caller_circle(self, turn_context: TurnContext, name: str | None = None) -> tuple[Circle, Member | None]:
        """The circle of this channel; in a chat, the one stand-up circle of the person (or `name`)."""
        async with self.uow.reader() as uow:
            channel_id = channel_of(turn_context)
            here = await uow.circles.by_channel(channel_id) if channel_id else None
            if here is not None:
                return here, member_of(turn_context, here)
            if name is not None:  # a card's button names its circle: read only that one
                named = await uow.circles.get(name)
                mine = [named] if named is not None and member_of(turn_context, named) is not None else []
            else:
                mine = [c for c in await uow.circles.active() if member_of(turn_context, c) is not None]
        with_standup = [c for c in mine if c.standup is not None and c.standup.enabled]
        if name is not None:
            chosen = next((c for c in with_standup if c.name == name), None)
            if chosen is None:
                raise StandupError(f"you have no stand-up in a circle called {name!r}")
            return chosen, member_of(turn_context, chosen)
        if len(with_standup) == 1:
            return with_standup[0], member_of(turn_context, with_standup[0])
        if not with_standup:
            raise StandupError(
                "none of your circles holds a stand-up (a `standup:` block in circles.yaml turns it on)"
                if mine
                else "you are not a member of any circle in circles.yaml, so you have no stand-up"
            )
        names = ", ".join(c.name for c in with_standup)
        raise StandupError(f"you are in several circles ({names}): use this in the circle's channel")
