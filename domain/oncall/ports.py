"""The ports the on-call use cases talk to; storage and bot implement them, tests use fakes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from domain.circle import Circle, Member
    from domain.incidents.model import Incident
    from domain.oncall.handover import Handover, HandoverBrief
    from domain.ports import UnitOfWork
    from domain.postmortems.model import Postmortem
    from domain.rota import Layer, Override, Shift


class OverrideRepository(Protocol):
    """Rota overrides asked for in chat; loading a circle merges them into its rota."""

    async def add(self, circle: str, override: Override, *, now: datetime) -> int:
        """Store an override; returns its id. Later overrides win over earlier ones."""
        ...

    async def upcoming(self, circle: str, now: datetime) -> list[tuple[int, Override]]:
        """Overrides of `circle` not over yet and not cancelled, oldest first."""
        ...

    async def cancel(self, override_id: int, *, circle: str, now: datetime) -> Override | None:
        """Withdraw an override of `circle`; None when there is no such active override."""
        ...


class HandoverRepository(Protocol):
    async def add(self, handover: Handover) -> Handover:
        """Insert and assign `id`."""
        ...

    async def get(self, handover_id: int) -> Handover | None: ...

    async def find(self, circle: str, layer: Layer, shift_start: datetime) -> Handover | None:
        """The handover of this shift change, if it was started."""
        ...

    async def save(self, handover: Handover) -> None: ...

    async def latest_pending(
        self, circle: str, *, incoming: str | None = None, outgoing: str | None = None
    ) -> Handover | None:
        """The circle's newest pending handover to (or from) this member handle."""
        ...


class IncidentHistory(Protocol):
    async def open_in_circle(self, circle: str) -> list[Incident]: ...

    async def declared_between(self, circle: str, start: datetime, end: datetime) -> list[Incident]: ...


class OnCallNotifier(Protocol):
    """What the rota says in Teams. Methods returning bool say whether the person could be reached
    privately (they need a stored 1:1 conversation); the use cases tell the Team Leader if not."""

    async def ask_handover_notes(self, uow: UnitOfWork, circle: Circle, handover: Handover) -> bool:
        """Ask the outgoing engineer for notes."""
        ...

    async def send_handover(self, uow: UnitOfWork, circle: Circle, handover: Handover, brief: HandoverBrief) -> bool:
        """Give the incoming engineer the handover card, or refresh it when it was sent already."""
        ...

    async def remind_handover(self, uow: UnitOfWork, circle: Circle, handover: Handover) -> bool:
        """Remind the incoming engineer to accept."""
        ...

    async def handover_accepted(self, uow: UnitOfWork, circle: Circle, handover: Handover) -> None:
        """Tell the outgoing engineer that the shift was taken over."""
        ...

    async def remind_shift(self, uow: UnitOfWork, circle: Circle, shift: Shift, before: timedelta) -> bool:
        """Tell an engineer that their shift starts in `before`."""
        ...

    async def tell_team_leader(self, uow: UnitOfWork, circle: Circle, text: str, *, key: str) -> None:
        """A note to the circle's Team Leader (in the circle's channel if they cannot be reached)."""
        ...

    async def ask_to_say_hi(self, uow: UnitOfWork, circle: Circle, members: Sequence[Member], *, key: str) -> None:
        """Ask, in the circle's channel, the people the bot cannot reach to say hi to it once."""
        ...

    async def unreachable(self, uow: UnitOfWork, members: Sequence[Member]) -> list[Member]:
        """The members the bot has no personal conversation with yet."""
        ...


class PostmortemHistory(Protocol):
    async def in_circle(self, circle: str, *, limit: int = 20) -> list[Postmortem]:
        """The circle's postmortems, newest first."""
        ...


class Readiness(Protocol):
    """Who is on-call ready (the runbooks feature's drills plug in); asked by the rota check and `/oncall`."""

    async def unready(self, uow: UnitOfWork, circle: Circle) -> dict[str, str] | None:
        """Members not on-call ready, by handle, with why ("no drill passed in the last 182 days");
        None when the circle does not track readiness."""
        ...

    async def warnings(self, uow: UnitOfWork, circle: Circle, start: datetime, end: datetime) -> list[str]:
        """One line per primary turn in [start, end) of a member who is not ready."""
        ...


class PluggableReadiness:
    """Everyone counts as ready until a feature that knows better plugs its Readiness in."""

    def __init__(self) -> None:
        self.source: Readiness | None = None

    def plug(self, source: Readiness) -> None:
        self.source = source

    async def unready(self, uow: UnitOfWork, circle: Circle) -> dict[str, str] | None:
        return await self.source.unready(uow, circle) if self.source else None

    async def warnings(self, uow: UnitOfWork, circle: Circle, start: datetime, end: datetime) -> list[str]:
        return await self.source.warnings(uow, circle, start, end) if self.source else []
