"""What every feature's desk shares: a use case runs in one unit of work, and who is typing.

A desk is where a feature's dialogs reach its use cases (tests/unit/test_layers.py lets only desks open
units of work). Each desk says how to build its feature's context on an open unit of work; running a use
case in one transaction, or on a read-only one, is the same for all of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Concatenate, Generic, ParamSpec, TypeVar

from botbuilder.core import TurnContext

from dialogs.turns import channel_of, member_of
from domain.circle import Circle, Member
from domain.ports import UnitOfWork, UnitsOfWork

Ctx = TypeVar("Ctx")
T = TypeVar("T")
P = ParamSpec("P")


class Desk(ABC, Generic[Ctx]):
    """A feature's desk: `context` builds the feature's use-case context on an open unit of work."""

    uow: UnitsOfWork

    @abstractmethod
    def context(self, uow: UnitOfWork) -> Ctx:
        """The use-case context on an open unit of work."""

    async def run(self, use_case: Callable[Concatenate[Ctx, P], Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run one use case and commit it with its effects (timers, messages, outbox rows)."""
        async with self.uow() as uow:
            result = await use_case(self.context(uow), *args, **kwargs)
            await uow.commit()
            return result

    async def read(self, use_case: Callable[Concatenate[Ctx, P], Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a lookup on a read-only unit of work."""
        async with self.uow.reader() as uow:
            return await use_case(self.context(uow), *args, **kwargs)

    async def circles(self) -> list[Circle]:
        """Every active circle."""
        async with self.uow.reader() as uow:
            return await uow.circles.active()

    async def circle(self, name: str) -> Circle | None:
        async with self.uow.reader() as uow:
            return await uow.circles.get(name)

    async def circle_member(self, turn_context: TurnContext, not_a_member: Exception) -> tuple[Circle, Member]:
        """The circle and member of the person typing: the channel's circle, else the first circle they are in.

        Raises `not_a_member` (the feature's error, saying what to do) when they are in no circle.
        """
        async with self.uow.reader() as uow:
            channel_id = channel_of(turn_context)
            if channel_id:
                circle = await uow.circles.by_channel(channel_id)
                member = member_of(turn_context, circle)
                if circle is not None and member is not None:
                    return circle, member
            for circle in await uow.circles.active():
                member = member_of(turn_context, circle)
                if member is not None:
                    return circle, member
        raise not_a_member
