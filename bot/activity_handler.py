"""The bot: remembers where it can write, greets once, and routes text to commands and dialogs."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from botbuilder.core import BotAdapter, BotState, InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import ActivityTypes, ChannelAccount
from botframework.connector.auth import AuthenticationConstants

from adapters.metrics import Metrics, timed_turns
from bot.card_actions import VERB_KEY, CardActionRegistry, CardActionResult
from bot.cards import CARD_CONTENT_TYPE, card_message, readable, truncate_for_teams, welcome_card
from bot.commands import PERSONAL, TEAM, CommandRegistry, normalise_command_text, scope_of
from bot.conversation_references import conversation_record
from bot.dialog_runner import DialogRunner
from bot.mentions import mentions
from bot.teams_delivery import installation_in
from domain.clock import Clock
from storage import outbox
from storage.activity_claims import ActivityClaims
from storage.conversations import ConversationRecord
from storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

# Called with channel messages that are neither commands nor addressed to the bot (with the
# ChannelMessage.Read.Group permission Teams sends them all), e.g. to record an incident's thread.
ChannelListener = Callable[[TurnContext, str], Awaitable[None]]

ADAPTIVE_CARD_ACTION = "adaptiveCard/action"
MESSAGE_RESPONSE_TYPE = "application/vnd.microsoft.activity.message"
ERROR_RESPONSE_TYPE = "application/vnd.microsoft.error"
# Label values for the turn counter; anything else counts as "other" so a client cannot grow it.
_KNOWN_TYPES = frozenset(
    {
        "message", "conversationUpdate", "installationUpdate", "invoke", "event", "messageReaction",
        "messageUpdate", "messageDelete", "typing", "endOfConversation",
    }
)  # fmt: skip
_MENTION_TAG = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
# An unchanged conversation reference is rewritten at most this often: its updated_at says
# "last refreshed", which is all channel_conversation/personal_conversation order by.
REFERENCE_REFRESH = timedelta(minutes=10)
# Conversations whose last saved reference we remember; beyond it the oldest is forgotten
# (and simply saved again on its next message).
MAX_REMEMBERED_REFERENCES = 10_000


class CircleBot(TeamsActivityHandler):  # type: ignore[misc]
    """Thin on purpose: features live in commands, card actions and dialogs registered at wiring."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        claims: ActivityClaims,
        clock: Clock,
        metrics: Metrics,
        commands: CommandRegistry,
        card_actions: CardActionRegistry,
        dialogs: DialogRunner,
        states: list[BotState],
    ) -> None:
        self._uow = uow
        self._claims = claims
        self._clock = clock
        self._metrics = metrics
        self._commands = commands
        self._card_actions = card_actions
        self._dialogs = dialogs
        self._states = states
        self._channel_listeners: list[ChannelListener] = []
        # conversation id -> (the reference last saved by this process, when)
        self._saved_references: OrderedDict[str, tuple[ConversationRecord, datetime]] = OrderedDict()

    def add_channel_listener(self, listener: ChannelListener) -> None:
        """Hear channel messages that are not for the bot; listeners must not reply."""
        self._channel_listeners.append(listener)

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        activity_type = activity.type if activity.type in _KNOWN_TYPES else "other"
        self._metrics.turns.labels(type=activity_type).inc()
        finished = timed_turns(self._metrics, activity_type)
        try:
            if not await self._remember(turn_context):
                log.info("skipped a redelivered activity", extra={"activity_id": activity.id})
                return
            await super().on_turn(turn_context)
            for state in self._states:
                await state.save_changes(turn_context)
        finally:
            finished()

    async def _remember(self, turn_context: TurnContext) -> bool:
        """Claim the activity id and store the conversation reference; False for a redelivery.

        The reference is written when it changed or was last written over REFERENCE_REFRESH ago,
        so a conversation's updated_at means "last refreshed", not "last message".
        """
        activity = turn_context.activity
        # Without the id of the message being answered (no address), the reference of a busy chat
        # or channel stays the same from one message to the next, and need not be rewritten.
        record = conversation_record(activity)
        # Invokes are not deduplicated: Teams waits for their answer, and a skipped one gets none.
        claim = bool(activity.id and record and activity.type != ActivityTypes.invoke)
        now = self._clock.now()
        save = record is not None and self._needs_saving(record, now)
        if not claim and not save:
            return True
        if claim and not save:
            # Most turns: only the claim, committed together with the other turns' of the moment.
            return await self._claims.claim(activity.id[:512], activity.conversation.id, now=now)
        async with self._uow() as uow:
            if claim and record is not None:
                conversation_id = activity.conversation.id  # the thread's, for a channel post
                first_time = await uow.conversations.claim_activity(activity.id[:512], conversation_id, now=now)
                if not first_time:
                    return False
            if save and record is not None:
                # Only a turn whose token was checked may move where the bot writes: in anonymous
                # mode anyone could otherwise redirect a channel's incident cards.
                await uow.conversations.save(record, now=now, move_address=_authenticated(turn_context))
                if record.channel_id and record.channel_id not in self._saved_references:
                    # Messages queued for this channel before the bot was installed go now, the
                    # first time this process stores the channel (parked rows also look again every
                    # AWAIT_INSTALL_EVERY on their own).
                    await outbox.wake_waiting(uow.session, waiting_for=installation_in(record.channel_id), now=now)
            await uow.commit()
        if save and record is not None:
            self._saved_references[record.conversation_id] = (record, now)
            self._saved_references.move_to_end(record.conversation_id)
            if len(self._saved_references) > MAX_REMEMBERED_REFERENCES:
                self._saved_references.popitem(last=False)
        return True

    def _needs_saving(self, record: ConversationRecord, now: datetime) -> bool:
        saved = self._saved_references.get(record.conversation_id)
        return saved is None or saved[0] != record or now - saved[1] >= REFERENCE_REFRESH

    # --- installation and greeting ----------------------------------------------------------

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._welcome_once(turn_context)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        # Not calling super(): its members-added dispatch looks up every added user through the
        # connector (TeamsInfo.get_member), which we do not use. Only the bot's own arrival matters.
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        members: list[ChannelAccount] = activity.members_added or []
        if bot_id and any(member.id == bot_id for member in members):
            await self._welcome_once(turn_context)

    async def _welcome_once(self, turn_context: TurnContext) -> None:
        scope = scope_of(turn_context.activity.conversation.conversation_type)
        if scope not in (TEAM, PERSONAL):
            return
        async with self._uow() as uow:
            record = conversation_record(turn_context.activity)
            conversation_id = record.conversation_id if record else turn_context.activity.conversation.id
            first = await uow.conversations.mark_welcomed(conversation_id, now=self._clock.now())
            await uow.commit()
        if first:
            await turn_context.send_activity(card_message(welcome_card(in_team=scope == TEAM)))

    # --- messages ---------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        scope = scope_of(activity.conversation.conversation_type)
        raw_text = (activity.text or "").strip()
        text = normalise_command_text(_without_bot_mention(turn_context))
        if scope == TEAM and not raw_text.startswith("/") and not _mentions_bot(turn_context):
            for listener in self._channel_listeners:
                await listener(turn_context, text)
            return
        command, args = self._commands.parse(text, scope)
        if command is not None:
            # Commands come before dialogs, so a command turn never loads the conversation state
            # (a read per turn); a dialog waiting for an answer gets any text that is no command.
            await command.handler(turn_context, args)
            return
        if await self._dialogs.continue_active(turn_context):
            return
        if not text and isinstance(activity.value, dict):
            await self._on_submit(turn_context, activity.value)
            return
        if not text:
            command, args = self._commands.parse("help", scope)
        if command is None:
            suggestion = self._commands.suggest(args.name, scope)
            await turn_context.send_activity(MessageFactory.text(readable(suggestion.message)))
            return
        await command.handler(turn_context, args)

    async def _on_submit(self, turn_context: TurnContext, value: dict[str, Any]) -> None:
        verb = value.get(VERB_KEY)
        handler = self._card_actions.get(verb) if isinstance(verb, str) else None
        if handler is None:
            await turn_context.send_activity("This form is no longer supported; type `help` for what I can do.")
            return
        result = await handler(turn_context, value)
        if isinstance(result, dict):
            await turn_context.send_activity(card_message(result))
        elif result:
            await turn_context.send_activity(MessageFactory.text(result))

    # --- Action.Execute ---------------------------------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        name = turn_context.activity.name
        if name == ADAPTIVE_CARD_ACTION:
            # Answered here rather than in on_adaptive_card_invoke: botbuilder runs that answer
            # through msrest, which cannot serialise a text `value` (the message response).
            return await self._on_card_action(turn_context)
        response: InvokeResponse | None = await super().on_invoke_activity(turn_context)
        if response is None or int(response.status or 0) >= 500:
            # botbuilder answers 501 for every invoke nobody handles (no name, task/fetch, …):
            # the caller asked for something this bot does not do, which is a 4xx.
            return _invoke_error(400, "BadRequest", f"circlebot does not handle the {name or 'unnamed'!r} invoke")
        return response

    async def _on_card_action(self, turn_context: TurnContext) -> InvokeResponse:
        value = turn_context.activity.value
        action = value.get("action") if isinstance(value, dict) else None
        if not isinstance(action, dict) or action.get("type") != "Action.Execute":
            return _invoke_error(400, "BadRequest", "expected an Action.Execute action in the invoke value")
        verb, data = action.get("verb"), action.get("data")
        handler = self._card_actions.get(verb) if isinstance(verb, str) else None
        if handler is None:
            return _invoke_answer(f"This button ({verb}) is no longer supported; type `help` for what I can do.")
        return _invoke_answer(await handler(turn_context, data if isinstance(data, dict) else {}))


def _invoke_answer(result: CardActionResult) -> InvokeResponse:
    if isinstance(result, dict):
        body = {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": truncate_for_teams(result)}
    else:
        body = {"statusCode": 200, "type": MESSAGE_RESPONSE_TYPE, "value": result or "Done."}
    return InvokeResponse(status=200, body=body)


def _invoke_error(status: int, code: str, message: str) -> InvokeResponse:
    body = {"statusCode": status, "type": ERROR_RESPONSE_TYPE, "value": {"code": code, "message": message}}
    return InvokeResponse(status=status, body=body)


def _authenticated(turn_context: TurnContext) -> bool:
    """True when the turn carried a Bot Framework token that botbuilder verified."""
    identity = turn_context.turn_state.get(BotAdapter.BOT_IDENTITY_KEY)
    return bool(
        identity is not None
        and identity.is_authenticated
        and identity.authentication_type != AuthenticationConstants.ANONYMOUS_AUTH_TYPE
    )


def _mentions_bot(turn_context: TurnContext) -> bool:
    activity = turn_context.activity
    return mentions(activity, activity.recipient.id if activity.recipient else None)


def _without_bot_mention(turn_context: TurnContext) -> str:
    activity = turn_context.activity
    if not isinstance(activity.text, str):
        return ""
    if activity.recipient and activity.recipient.id:
        try:
            return str(TurnContext.remove_recipient_mention(activity) or "")
        except (KeyError, TypeError, AttributeError, re.error):
            # A mention entity without the fields botbuilder expects; fall back to the tag itself.
            log.debug("unusual mention entity", exc_info=True)
    return _MENTION_TAG.sub("", activity.text, count=1) if activity.text.lstrip().startswith("<at>") else activity.text
