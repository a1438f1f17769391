"""`/handover …` and the handover card's buttons: notes from the outgoing, acceptance by the incoming."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import TurnContext

from bot.cards import Card
from bot.commands import ALL_SCOPES, Command, CommandArgs
from bot.feature import FeatureHost
from bot.oncall.cards import ACCEPT_VERB, NOTES_INPUT, NOTES_VERB, handover_card, name_of, notes_sent_card
from dialogs.oncall.desk import OnCallDesk, caller_of
from dialogs.replies import answering_errors, say, sentence
from domain.circle import Circle
from domain.local_time import format_moment
from domain.oncall import service
from domain.oncall.handover import Handover
from domain.oncall.moments import OnCallError
from domain.oncall.service import OnCallContext
from domain.rota import Layer

USAGE = (
    "`/handover [secondary]` starts the next shift change's handover now · "
    "`/handover notes <text>` (outgoing) · `/handover accept` (incoming)"
)


def started_text(circle: Circle, handover: Handover, when: str, unreached: tuple[str, ...]) -> str:
    """What `/handover` did, true to who was reached: never "I sent X the card" when X could not get it."""
    incoming, outgoing = handover.incoming, handover.outgoing
    done = []
    if outgoing and outgoing not in unreached:
        done.append(f"I asked {name_of(circle, outgoing)} for notes")
    if incoming not in unreached:
        done.append(f"sent {name_of(circle, incoming)} the handover card to accept")
    text = f"Handover of {circle.name} {handover.layer} to {name_of(circle, incoming)} (shift from {when}) started"
    text += ": " + " and ".join(done) + "." if done else "."
    if unreached:
        names = " and ".join(name_of(circle, handle) for handle in unreached)
        text += (
            f" I could not reach {names}: I can only message people who have chatted with me once. "
            f"Ask them to say hi to me in a 1:1 chat, then type `/handover` again; the Team Leader is told."
        )
    return text


class HandoverCommands:
    """`/handover` typed anywhere, and the two card buttons."""

    def __init__(self, desk: OnCallDesk) -> None:
        self._desk = desk

    def register(self, host: FeatureHost) -> None:
        """Add the command and the card actions to the bot."""
        host.commands.register(
            Command("handover", "handover [secondary | notes <text> | accept]",
                    "Hand the on-call shift over: notes from the outgoing, acceptance by the incoming",
                    ALL_SCOPES, self.handle,
                    ("/handover", "/handover secondary", "/handover notes INC-7 still open, watch the queue",
                     "/handover accept"))
        )  # fmt: skip
        host.card_actions.register(ACCEPT_VERB, answering_errors(self.accept_button, OnCallError))
        host.card_actions.register(NOTES_VERB, answering_errors(self.notes_button, OnCallError))

    async def handle(self, turn_context: TurnContext, args: CommandArgs) -> None:
        """Entry point registered as the `handover` command."""
        try:
            await self._dispatch(turn_context, args.words)
        except OnCallError as error:
            await say(turn_context, sentence(str(error)))

    async def _dispatch(self, turn_context: TurnContext, words: list[str]) -> None:
        first = words[0].lower() if words else ""
        if first == "notes":
            return await self._notes(turn_context, " ".join(words[1:]))
        if first == "accept":
            return await self._accept(turn_context)
        if first in ("", "primary", "secondary"):
            return await self._start(turn_context, Layer(first or "primary"))
        raise OnCallError(f"I don't know `/handover {words[0]}`. {USAGE}")

    async def _start(self, turn_context: TurnContext, layer: Layer) -> None:
        circle = await self._desk.one_circle(turn_context)
        if caller_of(turn_context, circle) is None:
            raise OnCallError(f"only members of {circle.name} can start its handover")
        start = await self._desk.run(service.start_handover, circle, layer)
        handover = start.handover
        zone, now = circle.rota.zone, self._desk.clock.now()
        when = format_moment(handover.shift_start, zone, now)
        incoming = name_of(circle, handover.incoming)
        if not start.started:
            state = "accepted" if not handover.is_pending else "waiting for acceptance"
            text = f"The {layer} handover to {incoming} (shift from {when}) is already {state}."
            if start.unreached:
                text += f" I still cannot reach {incoming}: ask them to say hi to me once in a 1:1 chat."
            await say(turn_context, text)
            return
        await say(turn_context, started_text(circle, handover, when, start.unreached))

    async def _notes(self, turn_context: TurnContext, text: str) -> None:
        if not text.strip():
            raise OnCallError("write the notes after the command: `/handover notes db-2 disk at 85 %, watch it`")
        circle, handover, member = await self._pending(turn_context, as_incoming=False)
        await self._desk.run(service.add_handover_notes, _id(handover), member, text)
        await say(turn_context, f"Notes passed to {name_of(circle, handover.incoming)}.")

    async def _accept(self, turn_context: TurnContext) -> None:
        circle, handover, member = await self._pending(turn_context, as_incoming=True)
        await self._desk.run(service.accept_handover, _id(handover), member)
        await say(turn_context, f"You have the {handover.layer} on-call of {circle.name}. Good shift!")

    async def _pending(self, turn_context: TurnContext, *, as_incoming: bool) -> tuple[Circle, Handover, str]:
        """The caller's newest pending handover, as incoming or outgoing engineer, in their circles."""
        for circle in await self._desk.circles_for(turn_context):
            member = caller_of(turn_context, circle)
            if member is None:
                continue
            handover = await self._desk.read(_latest_pending(circle.name, member.handle, as_incoming))
            if handover is not None:
                return circle, handover, member.handle
        what = "to accept" if as_incoming else "waiting for your notes"
        raise OnCallError(f"you have no handover {what}; `/handover` starts the next one")

    # --- buttons ----------------------------------------------------------------------------------

    async def accept_button(self, turn_context: TurnContext, data: dict[str, Any]) -> Card:
        """Accept handover: the card comes back accepted (an OnCallError answers in words, see `register`)."""
        circle, handover = await self._from_button(data)
        member = caller_of(turn_context, circle)
        if member is None:
            raise OnCallError(f"only members of {circle.name} can accept its handover")
        handover = await self._desk.run(service.accept_handover, _id(handover), member.handle)
        brief = await self._desk.read(lambda ctx: service.handover_brief(ctx, circle, handover))
        return handover_card(circle, handover, brief, self._desk.clock.now())

    async def notes_button(self, turn_context: TurnContext, data: dict[str, Any]) -> Card:
        """Send notes: Teams merges the text input into the button's data."""
        circle, handover = await self._from_button(data)
        member = caller_of(turn_context, circle)
        if member is None:
            raise OnCallError(f"only members of {circle.name} can write its handover notes")
        text = data.get(NOTES_INPUT)
        handover = await self._desk.run(
            service.add_handover_notes, _id(handover), member.handle, text if isinstance(text, str) else ""
        )
        return notes_sent_card(circle, handover)

    async def _from_button(self, data: dict[str, Any]) -> tuple[Circle, Handover]:
        handover_id = data.get("handover")
        if not isinstance(handover_id, int):
            raise OnCallError("this card is out of date; type `handover` to start again")

        return await self._desk.read(lambda ctx: service.load_handover(ctx, handover_id))


def _latest_pending(
    circle: str, handle: str, as_incoming: bool
) -> Callable[[OnCallContext], Awaitable[Handover | None]]:
    async def query(ctx: OnCallContext) -> Handover | None:
        if as_incoming:
            return await ctx.handovers.latest_pending(circle, incoming=handle)
        return await ctx.handovers.latest_pending(circle, outgoing=handle)

    return query


def _id(handover: Handover) -> int:
    """A stored handover's id (a handover read from the database always has one)."""
    if handover.id is None:
        raise OnCallError("this handover was never saved; type `handover` to start again")
    return handover.id
