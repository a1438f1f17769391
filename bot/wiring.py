"""Builds the Teams side of the app: adapter, state, registries, bot and the /api/messages route."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from apscheduler.triggers.interval import IntervalTrigger
from botbuilder.core import ConversationState, MessageFactory, TurnContext, UserState
from botbuilder.core.invoke_response import InvokeResponse
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes

from adapters.log_setup import request_id
from adapters.runtime import Runtime
from bot.activity_handler import MESSAGE_RESPONSE_TYPE, CircleBot
from bot.auth_config import build_authentication
from bot.bot_connector import BotConnector, token_source
from bot.builtin_commands import register_builtin_commands
from bot.card_actions import CardActionRegistry
from bot.commands import CommandRegistry
from bot.connector_cache import CachingBotFrameworkAuthentication
from bot.dialog_runner import DialogRunner
from bot.endpoint import MESSAGES_PATH, Door, messages_handler
from bot.front_door import ServiceUrlPolicy
from bot.turn_adapter import TurnAdapter
from storage.activity_claims import ActivityClaims
from storage.bot_state import DatabaseStorage

log = logging.getLogger(__name__)

# Teams redelivers within minutes; a week of activity ids is ample and stays small.
PROCESSED_ACTIVITY_RETENTION = timedelta(days=7)


@dataclass
class BotComponents:
    """What features register with (commands, card_actions, dialogs) and what sends (adapter)."""

    adapter: CloudAdapter
    authentication: CachingBotFrameworkAuthentication
    storage: DatabaseStorage
    conversation_state: ConversationState
    user_state: UserState
    commands: CommandRegistry
    card_actions: CardActionRegistry
    dialogs: DialogRunner
    bot: CircleBot


BOT = web.AppKey("bot", BotComponents)


def install_bot(app: web.Application, runtime: Runtime) -> BotComponents:
    """Wire the bot into `app` (route, cleanup, pruning job) and return its parts for features."""
    settings = runtime.settings
    authentication = build_authentication(settings)
    tokens = token_source(
        app_id=settings.app_id,
        app_password=settings.app_password,
        app_type=settings.app_type,
        app_tenant_id=settings.app_tenant_id,
    )
    adapter = TurnAdapter(authentication, BotConnector(tokens, runtime.clock))
    storage = DatabaseStorage(runtime.database)
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    commands = CommandRegistry()
    card_actions = CardActionRegistry()
    dialogs = DialogRunner(conversation_state)
    register_builtin_commands(commands, card_actions, dialogs)
    bot = CircleBot(
        uow=runtime.uow,
        claims=ActivityClaims(runtime.database),
        clock=runtime.clock,
        metrics=runtime.metrics,
        commands=commands,
        card_actions=card_actions,
        dialogs=dialogs,
        states=[conversation_state, user_state],
    )
    adapter.on_turn_error = _turn_error_handler(conversation_state)
    components = BotComponents(
        adapter, authentication, storage, conversation_state, user_state, commands, card_actions, dialogs, bot
    )
    app[BOT] = components
    door = Door(
        app_id=settings.app_id,
        tenant_id=settings.app_tenant_id,
        service_urls=ServiceUrlPolicy(anonymous=settings.anonymous, allowed=settings.service_url_allowlist),
    )
    app.router.add_post(MESSAGES_PATH, messages_handler(adapter, bot, door))
    app.cleanup_ctx.append(_close_connectors(authentication, adapter.connector))

    async def prune_processed_activities() -> None:
        async with runtime.uow() as uow:
            older_than = runtime.clock.now() - PROCESSED_ACTIVITY_RETENTION
            await uow.conversations.prune_processed(older_than=older_than)
            await uow.commit()

    runtime.scheduler.add_leader_job("prune-processed-activities", prune_processed_activities, IntervalTrigger(hours=1))
    return components


def _turn_error_handler(
    conversation_state: ConversationState,
) -> Callable[[TurnContext, Exception], Awaitable[None]]:
    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        activity = turn_context.activity
        ref = request_id.get() or "-"
        log.error(
            "turn failed: %s",
            error.__class__.__name__,
            exc_info=error,
            extra={
                "activity_type": activity.type,
                "activity_name": activity.name,
                "conversation_id": activity.conversation.id if activity.conversation else None,
            },
        )
        apology = f"Sorry, something went wrong on my side; it has been logged (ref {ref})."
        try:
            # A dialog that failed would fail again on every later message: start the conversation afresh.
            await conversation_state.load(turn_context)
            await conversation_state.delete(turn_context)
        except Exception:
            log.exception("could not reset the conversation state after a failed turn")
        try:
            if activity.type == ActivityTypes.invoke:
                await turn_context.send_activity(_invoke_apology(activity.name, apology))
            else:
                await turn_context.send_activity(MessageFactory.text(apology))
        except Exception:
            log.exception("could not tell the user about a failed turn")

    return on_turn_error


def _invoke_apology(name: str | None, apology: str) -> Activity:
    if name == "adaptiveCard/action":
        # Universal Actions show a message response to the user who clicked.
        body = {"statusCode": 200, "type": MESSAGE_RESPONSE_TYPE, "value": apology}
        response = InvokeResponse(status=200, body=body)
    else:
        # Never a 5xx to Teams: it shows its own generic error and may retry; ours has a reference.
        response = InvokeResponse(status=200, body={"error": apology})
    return Activity(type=ActivityTypes.invoke_response, value=response)


def _close_connectors(
    authentication: CachingBotFrameworkAuthentication, connector: BotConnector
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def close_connectors(_app: web.Application) -> AsyncIterator[None]:
        yield
        await connector.close()
        await authentication.connectors.close()

    return close_connectors
