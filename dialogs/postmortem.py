"""Installs the postmortem feature: `/postmortem`, its card buttons, the review-thread listener, and
the GitLab/tracker outbox handlers and timers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web
from botbuilder.core import TurnContext

from adapters.gitlab_docs import gitlab_docs_from_settings
from adapters.postmortem_delivery import register_postmortem_handlers
from adapters.postmortem_timers import postmortem_timer_handlers
from adapters.runtime import Runtime
from bot.commands import ALL_SCOPES, Command
from bot.messenger import Messenger
from bot.postmortem_notifier import TeamsPostmortemNotifier
from bot.wiring import BotComponents
from dialogs.incident_desk import IncidentDesk
from dialogs.postmortem_actions import PostmortemActions
from dialogs.postmortem_commands import PostmortemCommands
from dialogs.postmortem_desk import PostmortemDesk
from domain import postmortem_service as service
from domain.issue_tracker import IssueTracker
from storage.postmortems import SqlPostmortems


def install_postmortems(bot: BotComponents, desk: PostmortemDesk) -> PostmortemCommands:
    """Register `/postmortem`, the postmortem card verbs (and the report's "Start postmortem"), and the
    review-thread listener that nudges towards blameless wording."""
    commands = PostmortemCommands(desk)
    bot.commands.register(
        Command(
            "postmortem",
            "postmortem start | action | review | agree | done | comment | show | list | search",
            "Write the postmortem of a resolved incident, agree corrective actions, search past ones",
            ALL_SCOPES,
            commands.handle,
        )
    )
    PostmortemActions(desk).register(bot.card_actions)

    async def scan_review_comment(turn_context: TurnContext, text: str) -> None:
        # Comments in a review thread get the blameless check; the nudge goes through the outbox.
        if not text.strip() or ";messageid=" not in (turn_context.activity.conversation.id or ""):
            return
        async with desk.uow() as uow:
            postmortem = await SqlPostmortems(uow.session).by_thread(turn_context.activity.conversation.id)
        if postmortem is not None and not postmortem.is_closed:
            await desk.run(service.review_comment, postmortem.incident_number, text)

    bot.bot.add_channel_listener(scan_review_comment)
    return commands


def install_postmortem_feature(
    app: web.Application,
    runtime: Runtime,
    bot: BotComponents,
    incidents: IncidentDesk,
    messenger: Messenger,
    jira: IssueTracker | None,
) -> PostmortemDesk:
    """The whole postmortem feature: chat, card buttons, GitLab/tracker outbox handlers and timers.

    GitLab is used when GITLAB_URL is set; without it the postmortem lives in its Teams thread.
    """
    gitlab = gitlab_docs_from_settings(runtime.settings)
    enabled = gitlab is not None
    notifier = TeamsPostmortemNotifier(messenger, runtime.clock, gitlab_enabled=enabled)
    desk = PostmortemDesk(runtime.uow, runtime.clock, notifier, incidents, gitlab_enabled=enabled)
    install_postmortems(bot, desk)
    register_postmortem_handlers(
        runtime.relay,
        gitlab=gitlab,
        jira=jira,
        results=desk,
        clock=runtime.clock,
        consistency_window=timedelta(seconds=runtime.settings.consistency_window),
    )
    for kind, handler in postmortem_timer_handlers(desk.context).items():
        runtime.timers.register(kind, handler)
    if gitlab is not None:

        async def close_gitlab(_app: web.Application) -> AsyncIterator[None]:
            yield
            gitlab.close()

        app.cleanup_ctx.append(close_gitlab)
    return desk
